"""Label search over a full FDA label set (about 150,000 SPL labels): ranked, bounded, paged.

Ranking, in tiers; inside a tier, by the name the tier matched on, then document id:

1. the brand name starts with the query (``"lip"`` → Lipitor);
2. the generic name starts with it, the brand name does not (``"atorva"`` → every
   atorvastatin, repackagers and generics included);
3. the brand or generic name contains it elsewhere (``"statin"`` → atorvastatin, Lipitor's
   generic too), for queries of ``SUBSTRING_MIN_CHARS`` characters or more: shorter
   fragments match a large share of all names and no index narrows them (a trigram needs 3).

A blank query lists every label by brand name (tier 0). Names are compared as
``lumen.knowledge.models.name_key`` folds them.

Paging is by keyset, not offset: the cursor carries the tier and the (name key, document id)
of the last label given, and the next page starts strictly after it. A page therefore costs
the same deep into a blank query's 150,000 labels as at its start, and each label is given
once however many pages are read. A cursor is opaque to clients (URL-safe base64 of JSON).

How each tier is served by an index (``DocumentRepository.label_page``):

- prefixes are ranges of the btree indexes ``(source, status, brand_key, id, generic_key)``
  and ``(source, status, generic_key, id, brand_key)`` in the order they are returned; on
  PostgreSQL the keys have collation "C", so a range is exactly a prefix in any locale;
- substrings: PostgreSQL has pg_trgm GIN indexes on both keys, and its planner chooses
  between them (rare substrings: the matches, then a sort) and walking the brand index in
  order until a page is full (common ones). SQLite has no planner statistics by default, so
  the choice is made here: an FTS5 table with the trigram tokenizer
  (``LABEL_TRIGRAMS``, kept in step with ``documents`` by triggers, so every writer keeps it
  right) gives the labels containing the query but starting with it in neither name (tier 3
  exactly), up to ``TRIGRAM_CANDIDATES_MAX``; they are then read by rowid and sorted. When
  there are more, the tier is large, and walking the brand index (which covers both keys:
  about 100 bytes a label, never its text) fills a page after a few thousand entries.
  Without the trigram index, every query whose tier 3 is smaller than a page would walk the
  whole index: 150,000 entries. Figures in ``bench/labels.py`` (bench/results.md section 11).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import IntEnum

from lumen.knowledge.models import Document
from lumen.problems import InvalidInput

LABEL_PAGE_SIZE = 50
LABEL_PAGE_MAX = 100
SUBSTRING_MIN_CHARS = 3  # a trigram's length: no trigram index narrows a shorter fragment
# SQLite's FTS5 trigram table of label names (migration d2c8f4a61e93), rowids of ``documents``.
LABEL_TRIGRAMS = "documents_label_trigrams"
# Up to this many candidates, reading them by rowid and sorting beats walking the brand index;
# above it, a match is at least every 150th label of a full set, and the walk fills a page of 50
# within ~7,500 index entries.
TRIGRAM_CANDIDATES_MAX = 1000


class LabelTier(IntEnum):
    """Why a label matched, best first; a page lists tiers in this order."""

    ALL = 0  # blank query
    BRAND_PREFIX = 1
    GENERIC_PREFIX = 2
    SUBSTRING = 3


def tiers_for(needle: str) -> list[LabelTier]:
    """The tiers a folded query (``name_key``) is searched in, in ranking order."""
    if not needle:
        return [LabelTier.ALL]
    if len(needle) < SUBSTRING_MIN_CHARS:
        return [LabelTier.BRAND_PREFIX, LabelTier.GENERIC_PREFIX]
    return [LabelTier.BRAND_PREFIX, LabelTier.GENERIC_PREFIX, LabelTier.SUBSTRING]


def tier_key(tier: LabelTier, document: Document) -> str:
    """The name a label is ordered by in ``tier``: its generic key in tier 2, else its brand
    key."""
    return document.generic_key if tier == LabelTier.GENERIC_PREFIX else document.brand_key


@dataclass(frozen=True, slots=True)
class LabelCursor:
    """Where a page ended: the tier, and the name key and document id of its last label."""

    tier: LabelTier
    key: str
    document_id: str

    def encode(self) -> str:
        """URL-safe base64 of ``[tier, key, document_id]`` as JSON, without padding."""
        raw = json.dumps([int(self.tier), self.key, self.document_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> LabelCursor:
        """The cursor ``encode`` wrote. Raises ``InvalidInput`` (422) for anything else."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            tier, key, document_id = json.loads(raw)
            if not (isinstance(key, str) and isinstance(document_id, str)):
                raise ValueError("key and document id must be strings")
            if "\x00" in key or "\x00" in document_id:
                raise ValueError("no NUL: PostgreSQL text cannot hold one")
            return cls(LabelTier(tier), key, document_id)
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise InvalidInput("The cursor is not one a previous page gave.") from exc


@dataclass(frozen=True, slots=True)
class LabelPage:
    """One page of label search: at most ``limit`` labels in ranking order; ``next_cursor``
    (set exactly when ``has_more``) asks for the page after it."""

    labels: list[Document]
    has_more: bool
    next_cursor: str | None


def prefix_range(needle: str) -> tuple[str, str]:
    """``(low, high)`` such that a key starts with ``needle`` exactly when ``low <= key <
    high`` in code-point (byte-wise UTF-8) order; ``needle`` is not empty."""
    last = ord(needle[-1])
    if last == 0x10FFFF:  # no next code point: the range ends after every continuation
        return needle, needle + "\U0010ffff"
    return needle, needle[:-1] + chr(last + 1)


def trigram_query(needle: str) -> str:
    """The FTS5 query of tier 3 under the trigram tokenizer: names containing ``needle`` (one
    phrase) where neither name starts with it (``^``, an initial-token query), so it finds
    exactly the tier's labels (https://sqlite.org/fts5.html, sections 3.3 and 3.5)."""
    phrase = '"' + needle.replace('"', '""') + '"'
    return f"{phrase} NOT ^{phrase}"


def like_substring(needle: str) -> str:
    """A LIKE pattern matching ``needle`` anywhere, with ``\\`` escaping ``%``, ``_`` and
    itself."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
