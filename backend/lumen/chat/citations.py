"""Citation markers in answer text: which ``[n]`` are valid, and a streaming filter for the rest.

DESIGN.md (SSE contract): every ``[n]`` in a finished answer refers to a source in ``meta``; the
backend drops any other. Models also write groups such as ``[1, 2]``; those are normalised to
``[1][2]`` so the frontend only has one form to link.
"""

from __future__ import annotations

import re

# "[3]", "[1, 2]", "[ 4 ]"; a group may also hold numbers out of range, which are dropped.
_MARKER = re.compile(r"(?P<space>[ \t]*)\[\s*(?P<numbers>\d+(?:\s*,\s*\d+)*)\s*\]")
# What a marker can look like before its closing bracket has arrived.
_MARKER_PREFIX = re.compile(r"\[[\d\s,]*")
# A pending tail longer than this cannot be a marker a model would write; let it through.
_MAX_PENDING_CHARS = 32


def valid_citations(text: str, n_sources: int) -> list[int]:
    """Sorted, unique source numbers ``k`` with ``1 <= k <= n_sources`` cited as ``[k]`` in text.

    Group markers count for each member: ``"[2, 1]"`` cites 1 and 2.
    """
    cited = {k for match in _MARKER.finditer(text) for k in _numbers(match) if 1 <= k <= n_sources}
    return sorted(cited)


class CitationFilter:
    """Drops ``[k]`` markers with ``k`` outside ``1..n_sources`` from a stream of text deltas.

    Markers may be split across deltas (``"["`` then ``"12]"``): text that could still become a
    marker is held back until it is decided, so ``feed`` may return less than it was given (as
    a list of zero or one strings, to loop over) and ``flush`` returns the rest at the end of
    the stream. Blanks before a dropped marker are dropped with it (``"pain [9]."`` becomes
    ``"pain."``), so trailing blanks are held too. Joining every ``feed`` result and ``flush``
    gives the same text as filtering the whole answer at once.
    """

    def __init__(self, n_sources: int) -> None:
        self._n_sources = n_sources
        self._pending = ""

    def feed(self, delta: str) -> list[str]:
        """The filtered text that became final with ``delta``: ``[]`` or one non-empty string."""
        text = self._pending + delta
        cut = len(text)
        bracket = text.rfind("[")
        if bracket != -1 and _MARKER_PREFIX.fullmatch(text, bracket):
            cut = bracket
        while cut > 0 and text[cut - 1] in " \t":
            cut -= 1
        if len(text) - cut > _MAX_PENDING_CHARS:
            cut = len(text)
        self._pending = text[cut:]
        ready = self._rewrite(text[:cut])
        return [ready] if ready else []

    def flush(self) -> str:
        """The held-back tail, filtered; call once when the stream has ended."""
        text, self._pending = self._pending, ""
        return self._rewrite(text)

    def _rewrite(self, text: str) -> str:
        return _MARKER.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        kept = [k for k in dict.fromkeys(_numbers(match)) if 1 <= k <= self._n_sources]
        if not kept:
            return ""
        return match["space"] + "".join(f"[{k}]" for k in kept)


def _numbers(match: re.Match[str]) -> list[int]:
    return [int(part) for part in match["numbers"].split(",")]
