"""A real OpenID Connect provider for tests: panva's ``oidc-provider`` run by Node.js.

Import the ``oidc_provider`` fixture from ``tests/auth/conftest.py``::

    from tests.auth.oidc_fixtures import oidc_provider  # noqa: F401

The provider lives in ``tests/auth/oidc_provider/`` (``server.mjs``); see that file for its
client, accounts and claims.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.conftest import require_service

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "lumen"
CLIENT_SECRET = "lumen-test-secret"
REDIRECT_URIS = (
    "http://testserver/api/v1/auth/oidc/callback",
    "http://127.0.0.1:8765/api/v1/auth/oidc/callback",
)
EXTRA_REDIRECTS_ENV = "LUMEN_OIDC_EXTRA_REDIRECTS"
START_TIMEOUT_S = 30.0
MAX_STEPS = 10


class OidcLoginError(AssertionError):
    """The provider's pages did not lead to a redirect back to the client."""


@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """Collects each ``<form>`` with its action, method and named ``<input>`` values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._current: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = _Form(values.get("action", ""), values.get("method", "get").lower())
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and values.get("name"):
            self._current.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


@dataclass(frozen=True)
class OidcProvider:
    """A running test provider with one confidential client (``client_secret_basic``)."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()

    def login(self, authorize_url: str, login: str, password: str = "any") -> str:
        """Sign ``login`` in through the provider's pages, starting at ``authorize_url``.

        Follows the provider's own redirects, submits its login form (and any consent form),
        and returns the first redirect that leaves the provider: the client's redirect_uri
        with ``code`` and ``state`` (or ``error``). That URL is not requested.
        """
        origin = urlsplit(self.issuer)[:2]
        with httpx.Client(follow_redirects=False, timeout=10.0) as client:
            response = client.get(authorize_url)
            for _ in range(MAX_STEPS):
                if response.is_redirect:
                    location = urljoin(str(response.url), response.headers["location"])
                    if urlsplit(location)[:2] != origin:
                        return location
                    response = client.get(location)
                    continue
                form = _post_form(response)
                if form is None:
                    raise OidcLoginError(
                        f"{response.request.method} {response.url} answered "
                        f"{response.status_code} without a form: {response.text[:500]}"
                    )
                data = dict(form.fields)
                if "login" in data:
                    data.update(login=login, password=password)
                response = client.post(urljoin(str(response.url), form.action), data=data)
        raise OidcLoginError(f"no redirect to the client after {MAX_STEPS} steps")


def _post_form(response: httpx.Response) -> _Form | None:
    """The first POST form of an HTML page, or None."""
    if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
        return None
    parser = _FormParser()
    parser.feed(response.text)
    return next((form for form in parser.forms if form.method == "post"), None)


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _install(npm: str) -> None:
    """``npm ci`` in the provider folder when its node_modules is missing."""
    if (PROVIDER_DIR / "node_modules").is_dir():
        return
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=PROVIDER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"npm ci failed in {PROVIDER_DIR}:\n{result.stdout}\n{result.stderr}")


def _wait_until_ready(process: subprocess.Popen[bytes], issuer: str, log: Path) -> None:
    """Poll the discovery document until it answers 200; fail when node exits or times out."""
    url = f"{issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the OIDC provider exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the OIDC provider did not answer {url} in {START_TIMEOUT_S:.0f}s")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """A real oidc-provider on a free 127.0.0.1 port for the whole session (needs Node.js)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        require_service("Node.js", "`node` and `npm` must be on PATH for the test OIDC provider")
    assert node is not None and npm is not None
    _install(npm)

    extra = os.environ.get(EXTRA_REDIRECTS_ENV, "")
    redirect_uris = REDIRECT_URIS + tuple(u.strip() for u in extra.split(",") if u.strip())
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
    }
    log = tmp_path_factory.mktemp("oidc_provider") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, "server.mjs"], cwd=PROVIDER_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_ready(process, issuer, log)
        yield OidcProvider(issuer, CLIENT_ID, CLIENT_SECRET, redirect_uris)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
