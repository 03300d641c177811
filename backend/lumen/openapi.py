"""Write or check the OpenAPI schema the frontend's typed client is generated from.

``python -m lumen.openapi PATH`` writes it; ``--check PATH`` exits 1 when PATH differs from
what the backend serves at ``/openapi.json`` (``make test`` runs the check, so the two sides
cannot drift).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lumen.app import create_app


def schema_text() -> str:
    """The app's OpenAPI document as stable, indented JSON."""
    return json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """Entry point; returns the exit status."""
    check = "--check" in argv
    path = Path(next(a for a in argv if not a.startswith("--")))
    text = schema_text()
    if not check:
        path.write_text(text)
        return 0
    if path.exists() and path.read_text() == text:
        return 0
    sys.stderr.write(f"{path} is stale: run `make openapi` and commit the result\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
