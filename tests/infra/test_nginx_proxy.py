"""Lumen behind Debian's nginx with ``infra/nginx/lumen.conf``, as the single-machine deployment
runs it: a real ``lumen serve`` over the 5 SPL labels answering through the LLM engine (the
scripted OpenAI-compatible server pacing its tokens, as a 7B model would), TLS with a
self-signed certificate, and clients on other loopback addresses (127.0.0.x) so that the
client's address and the proxy's differ.

The http context around the site is Debian's with compression on, for event streams too (as
some tuned configurations have it): the site's own directives must hold against it.

The first-token figures print with ``-s``:
``.venv/bin/pytest tests/infra/test_nginx_proxy.py -s -k token_by_token``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from lumen.auth.operator import OPERATOR_HEADER
from lumen.knowledge.schemas import REGULATORY
from lumen.knowledge.uploads.endpoints import FORM_OVERHEAD_BYTES
from lumen.settings import Settings
from tests.accounts import PASSWORD, enroll_totp
from tests.chat.fake_llm import FakeLLMServer, Script
from tests.conftest import require_service
from tests.infra.nginx import LUMEN_CONF, Proxy, run_nginx, upstream_connections
from tests.servers import ROOT, lumen_serve

# Debian's nginx.conf has `gzip on;`; text/event-stream in gzip_types is the hostile part.
HTTP_CONTEXT = """
    sendfile on;
    tcp_nopush on;
    gzip on;
    gzip_types text/event-stream application/json text/css application/javascript;
"""
# An answer of 18 pieces, 40 ms apart (0.7 s): slow enough that a buffered stream shows.
TOKENS = [
    "Adalimumab ", "is ", "injected ", "under ", "the ", "skin ", "every ", "other ", "week ",
    "[1]", ". ", "Ask ", "your ", "doctor ", "before ", "changing ", "a ", "dose.",
]  # fmt: skip
TOKEN_INTERVAL_S = 0.04
QUESTIONS = [
    "How is Humira injected?",
    "What is the usual dose of Lipitor?",
    "What are the side effects of Viagra?",
    "Who should not take atorvastatin?",
    "How often is adalimumab given?",
    "What does the cough medicine contain?",
]
# A token that arrives this long after the previous one came in a read of its own.
SEPARATE_READ_S = 0.010
ADMIN_EMAIL = "admin@example.org"


@dataclass(frozen=True)
class Lumen:
    url: str
    data_dir: Path
    operator_token: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    """Debian's nginx (skip, or under CI=true fail, when it is not installed)."""
    for candidate in ("/usr/sbin/nginx", "/usr/bin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    require_service("nginx", "install Debian's: apt-get install -y nginx-light")
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def paced_llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    server.reset(Script(tokens=TOKENS, delay_s=TOKEN_INTERVAL_S))
    yield server
    server.close()


def _lumen_cli(data_dir: Path, *args: str, stdin: str | None = None) -> None:
    env = {**os.environ, "LUMEN_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "lumen.cli", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def lumen(
    nginx_binary: str,
    tmp_path_factory: pytest.TempPathFactory,
    shared_data: Path,
    paced_llm: FakeLLMServer,
) -> Iterator[Lumen]:
    """``lumen serve`` on 127.0.0.1 over the 5 SPL labels, with the first admin created by
    the CLI, answering through the paced LLM; at most 2 registrations per client address an
    hour (the limit under test); chat unthrottled (one user asks every timed question)."""
    data_dir = tmp_path_factory.mktemp("lumen-behind-nginx")
    _lumen_cli(data_dir, "ingest", "spl", str(shared_data / "drug_labels" / "spl"))
    create = ["users", "create", "--email", ADMIN_EMAIL, "--role", "admin", "--password-stdin"]
    _lumen_cli(data_dir, *create, stdin=PASSWORD + "\n")
    env = {
        "LUMEN_LLM_BASE_URL": paced_llm.base_url,
        "LUMEN_REGISTER_RATE_LIMIT": "2/hour",
        "LUMEN_CHAT_RATE_LIMIT": "10000/minute",
    }
    with lumen_serve(data_dir, env, log=data_dir / "serve.log") as (url, _pid):
        token = json.loads((data_dir / "server.json").read_text())["operator_token"]
        yield Lumen(url, data_dir, token)


@pytest.fixture(scope="module")
def proxy(
    nginx_binary: str, lumen: Lumen, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    with run_nginx(
        nginx_binary, lumen.url, tmp_path_factory.mktemp("nginx"), HTTP_CONTEXT
    ) as running:
        yield running


def _tls(proxy: Proxy) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=proxy.prefix / "cert.pem")


def _client(base_url: str, proxy: Proxy, source_ip: str = "127.0.0.1") -> httpx.Client:
    """A client like the web app's (CSRF cookie echoed, the page's Origin sent) connecting
    from ``source_ip``."""
    transport = httpx.HTTPTransport(local_address=source_ip, verify=_tls(proxy))
    client = httpx.Client(
        base_url=base_url, transport=transport, timeout=60, headers={"Origin": base_url}
    )

    def send_csrf(request: httpx.Request) -> None:
        token = client.cookies.get("lumen_csrf")
        if request.method != "GET" and token:
            request.headers["X-CSRF-Token"] = token

    client.event_hooks["request"] = [send_csrf]
    client.get("/api/v1/auth/csrf").raise_for_status()
    return client


def _register(client: httpx.Client, name: str) -> httpx.Response:
    """Register a new patient ``<name>-<n>@example.org`` and sign in."""
    body = {"email": _email(name), "password": PASSWORD}
    return client.post("/api/v1/auth/register", json=body)


def _email(name: str) -> str:
    return f"{name}-{time.monotonic_ns()}@example.org"


# --- streaming ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One streamed answer as the client saw it (seconds from sending the question)."""

    first_token_s: float
    last_token_s: float
    reads: int  # token arrivals SEPARATE_READ_S or more after the previous one, plus one
    engine: str
    headers: httpx.Headers


def _timed_answer(client: httpx.Client, conversation_id: str, question: str) -> Timing:
    arrivals: list[float] = []
    engine = ""
    start = time.perf_counter()
    with connect_sse(
        client,
        "POST",
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"content": question},
        headers={"Accept-Encoding": "gzip"},
    ) as source:
        for event in source.iter_sse():
            if event.event == "meta":
                engine = json.loads(event.data)["engine"]
            elif event.event == "token":
                arrivals.append(time.perf_counter() - start)
            assert event.event != "error", event.data
        headers = source.response.headers
    assert arrivals, "no token arrived"
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    reads = 1 + sum(gap >= SEPARATE_READ_S for gap in gaps)
    return Timing(arrivals[0], arrivals[-1], reads, engine, headers)


@pytest.fixture(scope="module")
def asker(lumen: Lumen, proxy: Proxy) -> Iterator[dict[str, tuple[httpx.Client, str]]]:
    """One patient signed in twice, straight to Lumen and through nginx: per path, its client
    and a conversation."""
    direct = _client(lumen.url, proxy)
    email = _email("asker")
    registered = direct.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    proxied = _client(proxy.https_url, proxy, "127.0.0.5")
    signed_in = proxied.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    paths = {}
    for name, client in (("direct", direct), ("nginx", proxied)):
        created = client.post("/api/v1/conversations", json={})
        assert created.status_code == 201, created.text
        paths[name] = (client, str(created.json()["id"]))
    yield paths
    direct.close()
    proxied.close()


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def test_answers_stream_through_nginx_token_by_token_as_fast_as_direct(
    asker: dict[str, tuple[httpx.Client, str]],
) -> None:
    for name in ("direct", "nginx"):  # warm-up: connections, TLS session, first retrieval
        _timed_answer(*asker[name], QUESTIONS[0])
    timings: dict[str, list[Timing]] = {"direct": [], "nginx": []}
    for i, question in enumerate(QUESTIONS):
        order = ["direct", "nginx"] if i % 2 == 0 else ["nginx", "direct"]
        for name in order:
            timings[name].append(_timed_answer(*asker[name], question))

    first = {name: [t.first_token_s for t in runs] for name, runs in timings.items()}
    spread = {
        name: [t.last_token_s - t.first_token_s for t in runs] for name, runs in timings.items()
    }
    print()
    for name in ("direct", "nginx"):
        print(
            f"{name:>6}: first token median {statistics.median(first[name]) * 1000:.1f} ms, "
            f"p95 {_p95(first[name]) * 1000:.1f} ms; first→last token median "
            f"{statistics.median(spread[name]) * 1000:.0f} ms; reads per answer "
            f"{[t.reads for t in timings[name]]} of {len(TOKENS)} tokens"
        )
    for timing in timings["direct"] + timings["nginx"]:
        assert timing.engine == "openai", "the answers must come from the paced LLM"
    direct_spread = statistics.median(spread["direct"])
    assert direct_spread > (len(TOKENS) - 1) * TOKEN_INTERVAL_S * 0.8
    for timing in timings["nginx"]:
        assert timing.reads >= len(TOKENS) // 2, "tokens came through nginx in a few blobs"
        assert timing.last_token_s - timing.first_token_s > 0.7 * direct_spread
    delay_s = statistics.median(first["nginx"]) - statistics.median(first["direct"])
    assert delay_s < 0.050, f"nginx delays the first token by {delay_s * 1000:.0f} ms"


def test_the_stream_through_nginx_is_uncompressed_and_carries_hsts(
    asker: dict[str, tuple[httpx.Client, str]],
) -> None:
    timing = _timed_answer(*asker["nginx"], QUESTIONS[1])
    assert timing.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in timing.headers, "compressed streams arrive in bursts"
    assert timing.headers["strict-transport-security"].startswith("max-age=63072000")


# --- the client's address ------------------------------------------------------------------


def test_sessions_and_the_audit_log_name_the_client_not_the_proxy(
    lumen: Lumen, proxy: Proxy
) -> None:
    with closing(_client(proxy.https_url, proxy, "127.0.0.2")) as client:
        # A client cannot pass itself off as another address.
        client.headers["X-Forwarded-For"] = "203.0.113.9"
        registered = _register(client, "addressed")
        assert registered.status_code == 201, registered.text
        user_id = registered.json()["user"]["id"]
        assert "secure" in registered.headers["set-cookie"].lower(), "the scheme reached Lumen"
        sessions = client.get("/api/v1/auth/sessions").json()["items"]
        assert [s["ip"] for s in sessions if s["current"]] == ["127.0.0.2"]

    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(lumen.data_dir / "lumen.db") as db:
            audited = db.execute(
                "SELECT ip FROM audit_entries WHERE action = 'user.register' AND object_id = ?",
                (user_id,),
            ).fetchall()
        if audited or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert audited == [("127.0.0.2",)]


def test_the_per_address_registration_limit_counts_each_client_behind_nginx(
    proxy: Proxy,
) -> None:
    with closing(_client(proxy.https_url, proxy, "127.0.0.3")) as first:
        assert [_register(first, "limited").status_code for _ in range(3)] == [201, 201, 429]
    with closing(_client(proxy.https_url, proxy, "127.0.0.4")) as other:
        other.headers["X-Forwarded-For"] = "127.0.0.9"
        assert _register(other, "neighbour").status_code == 201, "another client is not limited"


def test_the_operator_token_does_not_pass_through_nginx(lumen: Lumen, proxy: Proxy) -> None:
    operator = {OPERATOR_HEADER: lumen.operator_token}
    params = {"q": "cough", "k": "3"}
    direct = httpx.get(f"{lumen.url}/api/v1/search", params=params, headers=operator)
    assert direct.status_code == 200, direct.text
    proxied = httpx.get(
        f"{proxy.https_url}/api/v1/search", params=params, headers=operator, verify=_tls(proxy)
    )
    assert proxied.status_code == 401


# --- bodies, routes, TLS -------------------------------------------------------------------


def test_the_upload_route_takes_lumens_whole_upload_budget(lumen: Lumen, proxy: Proxy) -> None:
    limit = _location_body_limit("= /api/v1/admin/documents")
    defaults = Settings.model_fields
    budget = (
        defaults["upload_max_files"].default * defaults["upload_max_bytes"].default
        + FORM_OVERHEAD_BYTES
    )
    assert limit == budget, f"{LUMEN_CONF}: client_max_body_size is not Lumen's budget"

    with closing(_client(proxy.https_url, proxy, "127.0.0.6")) as admin:
        login = {"email": ADMIN_EMAIL, "password": PASSWORD}
        assert admin.post("/api/v1/auth/login", json=login).json()["status"] == (
            "mfa_enrollment_required"
        )
        enroll_totp(admin)
        # One file 1 MiB over Lumen's per-file limit: far past nginx's default 1 MB, so only
        # Lumen's own refusal, naming its limit, shows that the body reached it.
        big = b"notes\n" * ((defaults["upload_max_bytes"].default + 2**20) // 6)
        refused = admin.post(
            "/api/v1/admin/documents",
            files={"files": ("big-notes.txt", big, "text/plain")},
            data={"collection": REGULATORY},
        )
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "20,971,520 bytes" in refused.json()["detail"]

    over = _raw_request(
        proxy,
        "POST /api/v1/admin/documents",
        {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(budget + 1)},
    )
    assert over.status_code == 413
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json()["title"] == "Content too large"
    assert "strict-transport-security" in over.headers


def test_other_routes_refuse_bodies_over_a_megabyte(proxy: Proxy) -> None:
    too_big = _raw_request(
        proxy,
        "POST /api/v1/auth/login",
        {"Content-Type": "application/json", "Content-Length": str(2**20 + 1)},
    )
    assert too_big.status_code == 413
    assert too_big.json()["status"] == 413


def test_metrics_are_not_served_through_nginx(lumen: Lumen, proxy: Proxy) -> None:
    assert "# HELP" in httpx.get(f"{lumen.url}/metrics/").text
    for path in ("/metrics", "/metrics/", "//metrics/", "/%6Detrics/", "/api/../metrics/"):
        response = _raw_request(proxy, f"GET {path}", {})
        assert response.status_code == 404, path
        assert "# HELP" not in response.text


def test_plain_http_is_redirected_to_https(proxy: Proxy) -> None:
    response = httpx.get(f"{proxy.http_url}/chat?from=bookmark")
    assert response.status_code == 301
    assert response.headers["location"] == "https://127.0.0.1/chat?from=bookmark"


def test_nginx_keeps_its_connections_to_lumen_open_between_requests(
    lumen: Lumen, proxy: Proxy
) -> None:
    with httpx.Client(base_url=proxy.https_url, verify=_tls(proxy)) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
    assert upstream_connections(proxy, lumen.port) >= 1


def _location_body_limit(location: str) -> int:
    """The ``client_max_body_size`` (bytes) inside ``location <location> { … }`` of the conf."""
    block = LUMEN_CONF.read_text().split(f"location {location} {{", 1)[1].split("}", 1)[0]
    value = block.split("client_max_body_size", 1)[1].split(";", 1)[0].strip()
    assert value.endswith("m"), value
    return int(value[:-1]) * 2**20


def _raw_request(proxy: Proxy, request_line: str, headers: dict[str, str]) -> httpx.Response:
    """Send a request's head only (no body, whatever Content-Length says) over TLS and read
    the response: how a client sees a refusal that comes before its body is read."""
    host = proxy.https_url.removeprefix("https://")
    head = f"{request_line} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    port = int(host.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        _tls(proxy).wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(head.encode())
        received = b""
        while b"\r\n\r\n" not in received:
            received += tls.recv(65536)
        status_line, _, rest = received.partition(b"\r\n")
        header_block, _, body = rest.partition(b"\r\n\r\n")
        parsed = dict(line.decode("latin-1").split(": ", 1) for line in header_block.split(b"\r\n"))
        length = int(next(v for k, v in parsed.items() if k.lower() == "content-length"))
        while len(body) < length:
            body += tls.recv(65536)
    return httpx.Response(int(status_line.split()[1]), headers=parsed, content=body[:length])
