"""What a curated crisis rule is: a regular expression with the context it needs, and the
person words rules anchor on.

``patterns`` applies the rules sentence by sentence and decides when a match counts (not
negated, not historical, not hypothetical, not an impersonal question); the rules themselves,
with their sources, are in ``self_harm``, ``poisoning``, ``emergency`` and ``support_cues``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CrisisCategory = Literal["self_harm", "poisoning", "emergency"]


def rx(pattern: str) -> re.Pattern[str]:
    """Compile a case-insensitive rule pattern."""
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """One curated pattern; see the module docstring for when it may fire."""

    category: CrisisCategory
    pattern: re.Pattern[str]
    anchor: Literal["first", "person"] | None = None
    requires: re.Pattern[str] | None = None
    excludes: re.Pattern[str] | None = None
    negatable: bool = True
    # Wording that is about the writer even as a question ("what's the point of living?").
    personal: bool = False


FIRST_PERSON = rx(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine)\b")
PERSON = rx(
    r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|he|she|they|him|her|his|them|their|he's|she's|"
    r"they're|someone|somebody|baby|toddler|infant|kid|son|daughter|husband|wife|mom|dad|"
    r"mother|father|friend|roommate|partner|boyfriend|girlfriend|brother|sister|grandson|"
    r"granddaughter|grandma|grandpa|grandmother|grandfather)\b"
)
