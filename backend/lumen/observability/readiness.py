"""What ``/readyz`` asks of each service: its part of the report and whether Lumen can serve.

Each service that Lumen cannot serve without, or whose state an operator watches, implements
``ReadinessCheck``; the composition root lists them in ``ReadinessChecks`` and the health
endpoint merges their reports (DESIGN.md: ``/readyz`` reports DB, index, LLM, jobs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Readiness:
    """One service's part of ``/readyz``: ``report`` merges into the body (JSON values);
    ``ready`` false makes the whole answer 503."""

    ready: bool
    report: dict[str, Any] = field(default_factory=dict)


class ReadinessCheck(Protocol):
    """A service that reports its readiness. Must not raise: a failure is a report."""

    async def readiness(self) -> Readiness:
        """This service's state now."""
        ...


@dataclass(frozen=True)
class ReadinessChecks:
    """The services ``/readyz`` asks, in report order."""

    checks: Sequence[ReadinessCheck]
