"""Roles, what each may read, and which must use a second factor (DESIGN.md, "Roles")."""

from __future__ import annotations

from enum import StrEnum

from lumen.knowledge.schemas import CONSUMER_HEALTH, DRUG_LABELS, REGULATORY


class Role(StrEnum):
    """``patient``: own conversations; ``pharma``: drug information and API tokens; ``admin``:
    users, knowledge base and audit log (no conversation content but by break glass)."""

    PATIENT = "patient"
    PHARMA = "pharma"
    ADMIN = "admin"


# Knowledge collections each audience may retrieve from; enforced in retrieval (chat and
# /search), not only in the UI.
ROLE_COLLECTIONS: dict[Role, tuple[str, ...]] = {
    Role.PATIENT: (CONSUMER_HEALTH, DRUG_LABELS),
    Role.PHARMA: (DRUG_LABELS, CONSUMER_HEALTH, REGULATORY),
    Role.ADMIN: (CONSUMER_HEALTH, DRUG_LABELS, REGULATORY),
}

# A second factor is required for roles that reach beyond their own data (issue 5; NIST SP
# 800-63B AAL2 for privileged access).
MFA_REQUIRED: frozenset[Role] = frozenset({Role.PHARMA, Role.ADMIN})


def collections_for(role: Role) -> tuple[str, ...]:
    """The collections ``role`` may read, in retrieval order."""
    return ROLE_COLLECTIONS[role]
