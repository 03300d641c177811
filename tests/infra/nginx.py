"""Debian's nginx as an unprivileged test instance in front of a running Lumen, configured with
the repository's ``infra/nginx/lumen.conf`` itself: only its ports, upstream address and
certificate paths are substituted, inside an ``http {}`` block like Debian's."""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.servers import ROOT, free_port

LUMEN_CONF = ROOT / "infra" / "nginx" / "lumen.conf"
PLACEHOLDER_CERT = "/etc/letsencrypt/live/lumen.example.org/fullchain.pem"
PLACEHOLDER_KEY = "/etc/letsencrypt/live/lumen.example.org/privkey.pem"


@dataclass(frozen=True)
class Proxy:
    """A running nginx: its HTTPS and HTTP origins, its master's pid and its folder."""

    https_url: str
    http_url: str
    pid: int
    prefix: Path


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A P-256 certificate for ``localhost`` and ``127.0.0.1``, valid for a day, that is its
    own CA (clients trust it as ``cafile``); ``(certificate, key)`` PEM paths in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def site_config(
    lumen_port: int, http_port: int, https_port: int, cert: Path, key: Path, text: str
) -> str:
    """``lumen.conf``'s text with loopback ports and the test certificate in place of the
    operator's; IPv6 listeners dropped. Raises ``AssertionError`` when a line the substitution
    expects is missing or repeated (the file changed: update this function with it)."""
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;\n": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;\n": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{lumen_port};",
        PLACEHOLDER_CERT: str(cert),
        PLACEHOLDER_KEY: str(key),
    }
    for old, new in replacements.items():
        found = text.count(old)
        assert found == 1, f"{LUMEN_CONF} has {old.strip()!r} {found} times, expected once"
        text = text.replace(old, new)
    return text


def main_config(prefix: Path, site: Path, http_context: str) -> str:
    """An ``nginx.conf`` keeping pid, logs and temporary files under ``prefix``, whose
    ``http {}`` block holds ``http_context`` and includes ``site``. Run as root, the workers
    run as root too (the default ``nobody`` could not enter a pytest tmp folder)."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{
    worker_connections 256;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix / "access.log"};
{temp_paths}
{http_context}
    include {site};
}}
"""


@contextmanager
def run_nginx(nginx: str, lumen_url: str, folder: Path, http_context: str = "") -> Iterator[Proxy]:
    """nginx in the foreground (``daemon off``) with ``lumen.conf`` proxying to ``lumen_url``;
    yields once both ports accept connections; stops it afterwards. Raises ``RuntimeError``
    with nginx's error log if it does not start."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed_certificate(folder)
    http_port = https_port = free_port()
    while https_port == http_port:
        https_port = free_port()
    lumen_port = int(lumen_url.rsplit(":", 1)[1])
    site = folder / "lumen.conf"
    site.write_text(
        site_config(lumen_port, http_port, https_port, cert, key, LUMEN_CONF.read_text())
    )
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site, http_context))
    error_log = folder / "error.log"
    command = [nginx, "-p", str(folder), "-c", str(conf), "-e", str(error_log)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
    proc = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not all(_accepts(port) for port in (http_port, https_port)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{error_log.read_text()}")
            time.sleep(0.05)
        yield Proxy(
            f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", proc.pid, folder
        )
    finally:
        proc.terminate()
        proc.wait(10)


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def upstream_connections(proxy: Proxy, upstream_port: int) -> int:
    """How many TCP connections nginx's worker processes hold ESTABLISHED to
    ``127.0.0.1:upstream_port`` now (read from /proc: the sockets of each worker's open files
    matched against /proc/net/tcp)."""
    workers = Path(f"/proc/{proxy.pid}/task/{proxy.pid}/children").read_text().split()
    inodes: set[str] = set()
    for worker in workers:
        for fd in Path(f"/proc/{worker}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    remote = f"0100007F:{upstream_port:04X}"
    established = "01"
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[2] == remote and fields[3] == established and fields[9] in inodes:
            count += 1
    return count
