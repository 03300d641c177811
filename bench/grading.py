"""Grading retrieved MedQuAD documents with the MEDIQA 2019 experts' judgements, by URL.

The 174 consumer messages of ``consumer/mediqa2019_questions.jsonl`` (MEDIQA 2019 task 3
validation and test sets; Ben Abacha, Shivade & Demner-Fushman, "Overview of the MEDIQA 2019
Shared Task on Textual Inference, Question Entailment and Question Answering", ACL-BioNLP 2019)
each carry ``judged``: the web pages NLM's CHiQA returned, ``{url, score}``, graded 1-4 by
experts (4 excellent, 3 correct but incomplete, 2 related, 1 incorrect). About a third of those
pages are pages that MedQuAD also holds, under another form of the same URL (moved host, old
path scheme, http/https, case). ``url_key`` maps both forms to one key, so that a retrieved
MedQuAD document is graded by its URL:

- a document's grade for a message is the highest grade among that message's judged entries
  whose key is one of the document's keys; a document no entry shares a key with is unjudged;
- LiveQA avgScore (Ben Abacha et al., "Overview of the Medical Question Answering Task at TREC
  2017 LiveQA", TREC 2017) maps grades 1-4 to 0-3 (grade − 1); an unjudged document, a refusal
  or an empty answer scores 0, and the mean is over every message, answered or not;
- "correct" means graded ≥ 3 (correct but incomplete, or excellent) on the 1-4 scale.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CORRECT = 3  # lowest grade (1-4 scale) of an answer that is correct, if incomplete

# Host aliases: a page that moved keeps its key (the key uses the newer host).
_HOST_PATH_ALIASES = (
    # MedlinePlus moved from www.nlm.nih.gov/medlineplus/ to medlineplus.gov/ (2016);
    # MedQuAD holds the old form of the health topics.
    ("nlm.nih.gov/medlineplus/", "medlineplus.gov/"),
    # Genetics Home Reference became MedlinePlus Genetics (2020).
    ("medlineplus.gov/genetics/condition/", "ghr.nlm.nih.gov/condition/"),
)
# GARD pages: /diseases/<id>/<name> on the site, /gard/<id>/<name> in MedQuAD; the id decides.
_GARD = re.compile(r"^rarediseases\.info\.nih\.gov/(?:diseases|gard)/(\d+)(?:/|$)")
# NIDDK's old scheme (MedQuAD): health-information/health-topics/<area>/<topic>/Pages/<p>.aspx;
# the same topic now lives at health-information/<area>/<topic>. A topic's old pages (facts,
# "ez" easy-to-read, index) all map to the topic.
_NIDDK_OLD = re.compile(
    r"^niddk\.nih\.gov/health-information/health-topics/(.+?)(?:/pages(?:/[^/]+)?)?$"
)
# NINDS's newer scheme names a page after its disorder: Disorders/All-Disorders/<Name>-
# Information-Page. MedQuAD holds the older disorders/<slug>/<slug>.htm, whose slug is not the
# name, so ``document_keys`` adds the key of the document's title (its focus).
_NINDS_NEW = re.compile(r"^ninds\.nih\.gov/disorders/all-disorders/(.+)-information-page$")
# The newer NINDS slugs drop these words ("Locked-In Syndrome" → Locked-Syndrome, "Absence of
# the Septum Pellucidum" → Absence-Septum-Pellucidum).
_NINDS_DROPPED = frozenset({"a", "an", "and", "in", "of", "on", "the", "to", "with"})
_EXTENSION = re.compile(r"\.(?:html?|aspx|php)$")
_WORD = re.compile(r"[a-z0-9]+")


def url_key(url: str | None) -> str | None:
    """The key of a page's URL: two URLs of one page give the same key; ``None`` for no URL.

    Case, scheme, a ``www.`` host prefix, query, fragment, a trailing slash, a ``.html``/
    ``.htm``/``.aspx``/``.php`` extension and a final ``/index`` do not matter; the aliases
    above (MedlinePlus, MedlinePlus Genetics, GARD ids, NIDDK, NINDS) map to one form.
    """
    if not url:
        return None
    parts = urlsplit(url.strip().lower())
    host = parts.netloc.removeprefix("www.")
    if not host:
        return None
    path = _EXTENSION.sub("", parts.path.rstrip("/")).removesuffix("/index")
    key = f"{host}{path}"
    for old, new in _HOST_PATH_ALIASES:
        if key.startswith(old):
            key = new + key[len(old) :]
    if gard := _GARD.match(key):
        return f"gard:{gard.group(1)}"
    if niddk := _NIDDK_OLD.match(key):
        return f"niddk.nih.gov/health-information/{niddk.group(1)}"
    if ninds := _NINDS_NEW.match(key):
        return _ninds_name_key(ninds.group(1))
    return key


def _ninds_name_key(name: str) -> str:
    """``ninds:`` and the words of a disorder's name, without ``_NINDS_DROPPED``."""
    words = [w for w in _WORD.findall(name.lower()) if w not in _NINDS_DROPPED]
    return "ninds:" + "-".join(words)


def document_keys(url: str | None, title: str | None = None) -> frozenset[str]:
    """All keys of a MedQuAD document: its ``url_key`` and, for an NINDS page, the key of
    its title (the newer NINDS URLs are named after the disorder; see ``_NINDS_NEW``)."""
    key = url_key(url)
    if key is None:
        return frozenset()
    keys = {key}
    if key.startswith("ninds.nih.gov/") and title:
        keys.add(_ninds_name_key(title))
    return frozenset(keys)


# The consumer messages under the seed data folder (MEDIQA 2019 task 3).
MESSAGES = Path("consumer") / "mediqa2019_questions.jsonl"


@dataclass(frozen=True, slots=True)
class Message:
    """A consumer message and its judgements: ``grades`` maps a page key to the highest grade
    (1-4) among the message's judged entries with that key."""

    id: str
    question: str
    grades: dict[str, int]
    judged_urls: tuple[str, ...]


def load_messages(path: Path) -> list[Message]:
    """The messages of a ``mediqa2019_questions.jsonl`` file, in file order."""
    messages = []
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        grades: dict[str, int] = {}
        for entry in row["judged"]:
            key = url_key(entry["url"])
            if key is not None:
                grades[key] = max(grades.get(key, 0), int(entry["score"]))
        urls = tuple(entry["url"] for entry in row["judged"])
        messages.append(Message(row["id"], row["question"], grades, urls))
    return messages


class DocumentKeys:
    """The keys of every MedQuAD document, looked up by the ``url_key`` of its URL.

    Built from ``medquad/corpus.jsonl`` rows (``url``, ``title``). A URL that is not a MedQuAD
    document's (a drug label, another site) has its ``url_key`` as its only key.
    """

    def __init__(self, rows: Iterable[dict[str, str]]) -> None:
        self._keys: dict[str, frozenset[str]] = {}
        for row in rows:
            key = url_key(row["url"])
            if key is not None:
                self._keys[key] = self._keys.get(key, frozenset()) | document_keys(
                    row["url"], row.get("title")
                )

    def of(self, url: str | None) -> frozenset[str]:
        """The keys of the page at ``url`` (empty for ``None``)."""
        key = url_key(url)
        if key is None:
            return frozenset()
        return self._keys.get(key, frozenset({key}))

    def all(self) -> frozenset[str]:
        """Every key of every MedQuAD document."""
        return frozenset().union(*self._keys.values())

    def grade(self, message: Message, url: str | None) -> int | None:
        """The grade (1-4) of the page at ``url`` for ``message``, ``None`` if unjudged."""
        found = [message.grades[k] for k in self.of(url) if k in message.grades]
        return max(found) if found else None


def live_qa_score(grade: int | None) -> int:
    """A grade on LiveQA's 0-3 scale (Ben Abacha et al. 2017): grade − 1, unjudged 0."""
    return grade - 1 if grade is not None else 0


def is_correct(grade: int | None) -> bool:
    """Graded ≥ 3 on the 1-4 scale (correct but incomplete, or excellent)."""
    return grade is not None and grade >= CORRECT


def ranking_figures(grades: Sequence[Sequence[int | None]], depth: int = 10) -> dict[str, float]:
    """Figures of one ranking per message; ``grades[m][r]`` is the grade of message ``m``'s
    hit at rank ``r`` (0 = first), ``None`` if unjudged; an empty ranking counts as unjudged.

    Returns ``avg_score@1`` (mean LiveQA score of the first hit, 0-3), ``correct@1`` (share
    of messages whose first hit is graded ≥ 3), ``judged@1`` (share whose first hit is graded
    at all: the experts judged only the pages CHiQA returned, so an unjudged hit may still be
    a good one) and ``success@{depth}`` (share with a hit graded ≥ 3 among the first
    ``depth``), each over all messages.
    """
    n = len(grades)
    firsts = [ranking[0] if ranking else None for ranking in grades]
    return {
        "avg_score@1": sum(live_qa_score(g) for g in firsts) / n,
        "correct@1": sum(is_correct(g) for g in firsts) / n,
        "judged@1": sum(g is not None for g in firsts) / n,
        f"success@{depth}": sum(any(is_correct(g) for g in r[:depth]) for r in grades) / n,
    }


def coverage(messages: Sequence[Message], keys: DocumentKeys) -> dict[str, object]:
    """How much of the judging a MedQuAD ranking can be graded by.

    Counts distinct judged URLs, judged entries and messages whose judged pages match a
    MedQuAD document, the matched entries by host, and the messages for which MedQuAD holds
    a page graded ≥ 3 (the oracle's ceiling).
    """
    medquad = keys.all()
    urls = {url for m in messages for url in m.judged_urls}
    matched_urls = {url for url in urls if url_key(url) in medquad}
    entries = [url for m in messages for url in m.judged_urls]
    by_host = Counter(urlsplit(u).netloc.removeprefix("www.") for u in entries if u in matched_urls)
    return {
        "judged_urls": len(urls),
        "judged_urls_in_medquad": len(matched_urls),
        "judged_entries": len(entries),
        "judged_entries_in_medquad": sum(u in matched_urls for u in entries),
        "messages": len(messages),
        "messages_with_medquad_page": sum(any(k in medquad for k in m.grades) for m in messages),
        "messages_with_correct_medquad_page": sum(
            any(k in medquad and is_correct(g) for k, g in m.grades.items()) for m in messages
        ),
        "matched_entries_by_host": dict(by_host.most_common()),
    }
