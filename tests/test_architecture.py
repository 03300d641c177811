"""The backend's shape holds: the import contracts in pyproject.toml (``[tool.importlinter]``)."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_no_domain_imports_the_composition_root_and_auth_does_not_import_chat(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(ROOT)
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == EXIT_STATUS_SUCCESS, "an import contract is broken (see the output above)"
