"""The backend's shape holds: the import contracts in pyproject.toml (``[tool.importlinter]``)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_no_domain_imports_the_composition_root_and_auth_does_not_import_chat(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(ROOT)
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == EXIT_STATUS_SUCCESS, "an import contract is broken (see the output above)"


def test_no_route_or_dependency_of_the_api_runs_in_the_thread_pool() -> None:
    """FastAPI runs a plain ``def`` route or dependency in its thread pool: a hand-off to a
    worker thread and back per call, each waiting its turn on a busy event loop. Lumen's do no
    blocking work, so every one is ``async def`` (``lumen.deps``; issue 11)."""
    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute
    from starlette.routing import BaseRoute

    from lumen.app import create_app
    from lumen.settings import Settings

    def sync_calls(dependant: Dependant) -> set[str]:
        own = set()
        if dependant.call is not None and not inspect.iscoroutinefunction(dependant.call):
            own.add(getattr(dependant.call, "__qualname__", repr(dependant.call)))
        return own.union(*(sync_calls(d) for d in dependant.dependencies))

    def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            included = getattr(route, "original_router", None)  # an include_router's routes
            if included is not None:
                yield from api_routes(included.routes)

    app = create_app(Settings(data_dir=ROOT / "var-never-created"))
    routes = list(api_routes(app.routes))
    assert len(routes) > 50
    offenders = {name for route in routes for name in sync_calls(route.dependant)}
    app_wide = [d.dependency for d in app.router.dependencies if d.dependency is not None]
    offenders |= {d.__qualname__ for d in app_wide if not inspect.iscoroutinefunction(d)}
    assert not offenders, f"run in the thread pool on every request: {sorted(offenders)}"
