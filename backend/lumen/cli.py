"""The ``lumen`` command: serve, migrate, ingest, search, users, audit."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import anyio
import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lumen.admin.service import UserAdminService
from lumen.app import SERVER_FILE, create_app
from lumen.audit.checkpoints import write_signing_key
from lumen.audit.service import open_audit_log
from lumen.auth.operator import OPERATOR_HEADER
from lumen.auth.roles import Role
from lumen.auth.sessions import MemorySessionStore, Sessions
from lumen.db import Database
from lumen.knowledge.index.edge import IndexLocked
from lumen.knowledge.ingestion import IngestReport
from lumen.knowledge.schemas import LoadError, SourceDocument, UnheldFocus
from lumen.knowledge.tasks import (
    INGEST_DAILYMED,
    INGEST_MEDQUAD,
    INGEST_OPENFDA,
    INGEST_SPL,
    OPTIMIZE_AFTER_CHUNKS,
    open_source,
)
from lumen.migrate import upgrade_to_head
from lumen.problems import Problem
from lumen.runtime import Runtime, build_knowledge
from lumen.settings import MEDQUAD_ARCHIVE_URL, get_settings

app = typer.Typer(
    help="Lumen: medical question answering with cited sources.", no_args_is_help=True
)
ingest_app = typer.Typer(help="Load a source into the knowledge base.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
users_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
audit_app = typer.Typer(help="Check the audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console(stderr=True)


# glibc's mallopt(3) parameters, and the values a server process runs with.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MALLOC_ARENAS = 2
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's initial threshold, now held there


def tune_malloc() -> None:
    """Make glibc's malloc give a long-running server's memory back (mallopt(3)); call before
    the server starts its threads. A no-op where the C library is not glibc.

    - At most ``MALLOC_ARENAS`` arenas (``M_ARENA_MAX``, as ``MALLOC_ARENA_MAX=2`` would): by
      default each thread that allocates under contention gets an arena of its own, up to 8
      per core, and the server's threads (anyio's pool for embedding and retrieval, SQLite's,
      the sealer's) kept memory in them that was never given back. Side by side over 8
      minutes of 10 streaming patients (``python -m bench.soak --minutes 8 --streams 10``):
      RSS at the end 1,438 MiB by default, 1,188 MiB with 2 arenas, same answers/s.
    - Blocks of ``MMAP_THRESHOLD_BYTES`` or more mapped on their own and unmapped when freed
      (``M_MMAP_THRESHOLD``, as ``MALLOC_MMAP_THRESHOLD_=131072`` would). Setting it turns
      off glibc's dynamic threshold, which rises to the size of each large block freed (up
      to 32 MiB): the model's activations, a few MiB a batch and of a new size each time,
      were then carved from the arenas, which fragmented and kept growing. Side by side over
      12 minutes of 20 streaming patients (``python -m bench.soak --minutes 12 --streams
      20``): with 2 arenas alone, RSS 1,433 MiB after warm-up and 1,508 at the end (+5.3 %,
      the heap still climbing), 14.6 answers/s; with this too, 1,017 and 1,038 MiB (+2.1 %),
      15.1 answers/s. The 30-minute soak: ``bench/results.md`` section 12.
    """
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return
    libc = ctypes.CDLL(name)
    if hasattr(libc, "mallopt"):
        libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def freeze_startup_heap() -> None:
    """Put every object alive once the server is built out of the cyclic garbage collector's
    reach (``gc.freeze()``, after a collection so that no garbage is kept): the embedding
    model's modules, the vocabularies, the triage examples, the routes. They live as long as
    the process, yet every full collection walked them all again. Call once, when the
    runtime is built and before serving; objects made afterwards are collected as before.

    50 streaming clients on the e2e-sized index (``bench/results.md`` section 4b): the
    collector's share of the server's CPU fell from about 7 % to 2 % (``perf record``).
    """
    gc.collect()
    gc.freeze()


@app.command()
def serve(
    seed: Annotated[bool, typer.Option(help="Load the knowledge base on first run")] = True,
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
) -> None:
    """Serve the API and the web app (one process: the embedded index is single-process)."""
    import uvicorn

    tune_malloc()

    settings = get_settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    url = f"http://{settings.host}:{settings.port}"

    def ready() -> None:
        freeze_startup_heap()
        console.print(f"\n[bold green]Lumen is serving on {url}[/]")
        console.print(f"Progress of knowledge-base loading: curl -s {url}/readyz")
        console.print(
            f"Create an account at {url}/register, then ask in {url}/chat "
            "(the first admin: lumen users create --email … --role admin)\n",
            highlight=False,
        )

    uvicorn.run(
        create_app(settings, seed=seed, on_ready=ready),
        host=settings.host,
        port=settings.port,
        workers=1,
        log_level=settings.log_level.lower(),
    )


@app.command()
def worker(
    queues: Annotated[
        str, typer.Option(help="Queues to consume, comma-separated")
    ] = "ingest,export",
    concurrency: Annotated[int, typer.Option(help="Tasks run at once (pool processes)")] = 1,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, solo or threads")] = "prefork",
) -> None:
    """Run a Celery worker for the job queues (production: LUMEN_JOBS_RUNNER=celery, a shared
    index at LUMEN_QDRANT_URL, the broker at LUMEN_CELERY_BROKER_URL or LUMEN_REDIS_URL).
    Start as many as the load needs, on as many machines; each loads its own model."""
    from celery.signals import worker_process_init

    from lumen.jobs.celery_app import create_celery, lazy, register_tasks
    from lumen.runtime import build_worker_context

    settings = get_settings()
    celery = create_celery(settings)
    context = lazy(lambda: build_worker_context(settings))
    register_tasks(celery, settings, context)
    # Load the model before taking tasks: in each pool process (prefork), or here.
    if pool == "prefork":
        worker_process_init.connect(lambda **_: context(), weak=False)
    else:
        context()
    celery.worker_main(
        [
            "worker",
            f"--queues={queues}",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--loglevel={settings.log_level}",
            "--hostname=lumen@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def scheduler() -> None:
    """Run the one periodic scheduler (Celery beat): stale-job recovery every
    LUMEN_JOB_RECOVERY_INTERVAL_S. Run exactly one, whatever the number of workers."""
    from lumen.jobs.celery_app import create_celery

    settings = get_settings()
    celery = create_celery(settings)
    schedule = settings.data_dir / "celerybeat-schedule"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    celery.Beat(loglevel=settings.log_level, schedule=str(schedule)).run()


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest revision."""
    upgrade_to_head(get_settings().sqlalchemy_url)
    console.print("database is at the newest revision")


@ingest_app.command("medquad")
def ingest_medquad(
    source: Annotated[
        str, typer.Argument(help="Archive URL, local zip, or unpacked folder")
    ] = MEDQUAD_ARCHIVE_URL,
) -> None:
    """Load MedQuAD (NIH consumer-health QA, CC BY 4.0). Exit 1 if any file failed."""
    _ingest(INGEST_MEDQUAD, source)


@ingest_app.command("spl")
def ingest_spl(
    source: Annotated[str, typer.Argument(help="SPL XML file, folder, or zip")],
) -> None:
    """Load FDA drug labels in SPL XML (DailyMed format). Exit 1 if any file failed."""
    _ingest(INGEST_SPL, _local_or_url(source))


@ingest_app.command("dailymed")
def ingest_dailymed(
    source: Annotated[str, typer.Argument(help="Release zip (URL or local), or folder of them")],
) -> None:
    """Load a DailyMed release of FDA labels: the full release's parts or an update (a zip of
    zipped SPL labels), read one label at a time. Exit 1 if any label failed."""
    _ingest(INGEST_DAILYMED, _local_or_url(source))


@ingest_app.command("openfda")
def ingest_openfda(
    source: Annotated[
        str, typer.Argument(help="drug-label-*.json.zip part (URL or local), .json, or folder")
    ],
) -> None:
    """Load openFDA's drug label download (drug/label parts), streamed record by record; a
    label is the same document as from DailyMed. Exit 1 if any record failed."""
    _ingest(INGEST_OPENFDA, _local_or_url(source))


def _local_or_url(source: str) -> str:
    """A local path made absolute (a job may run in the server's working directory); a URL
    (or a path that does not exist, for the loader to refuse) as given."""
    return str(Path(source).resolve()) if Path(source).exists() else source


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="The question")],
    k: Annotated[int, typer.Option(help="Number of hits")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Ranked passages by hybrid retrieval."""
    settings = get_settings()
    try:
        runtime = build_knowledge(settings)
    except IndexLocked:
        server = _running_server(settings.data_dir)
        response = httpx.get(
            f"{server['url']}/api/v1/search",
            params={"q": question, "k": k},
            headers={OPERATOR_HEADER: server["operator_token"]},
        )
        response.raise_for_status()
        hits: list[dict[str, Any]] = response.json()["items"]
    else:
        hits = [h.model_dump() for h in runtime.retriever.search(question, k=k)]
        runtime.index.close()
    if as_json:
        sys.stdout.write(json.dumps(hits, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table("#", "score", "title", "section", "source", "passage")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            f"{hit['score']:.4f}",
            hit["title"],
            hit["section"][:60],
            hit["source_name"] + (f" ({hit['qid']})" if hit.get("qid") else ""),
            hit["passage"][:120].replace("\n", " ") + "…",
        )
    Console().print(table)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The account's e-mail address")],
    role: Annotated[Role, typer.Option(help="patient, pharma or admin")] = Role.PATIENT,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create an active account (the first admin, say). The password is asked for, or read
    from standard input with --password-stdin; it must meet the password policy. Pharma and
    admin accounts enroll TOTP at their first sign-in. Exit 1 when refused."""
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    settings = get_settings()
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    log = open_audit_log(settings, db)
    admin = UserAdminService(db, Sessions(MemorySessionStore(), 1, 1), log, 1)

    async def create() -> None:
        try:
            user = await admin.create(email, role, password)
            await anyio.to_thread.run_sync(log.sealer.seal)  # no server may be running
        finally:
            await db.dispose()
        console.print(f"created {user.role} {user.email} ({user.id})")

    try:
        anyio.run(create)
    except Problem as exc:
        console.print(f"[red]{exc.title}:[/] {exc.detail}")
        raise typer.Exit(1) from exc


@audit_app.command("verify")
def audit_verify() -> None:
    """Seal pending entries, then check the audit log's hash chain against its head and the
    latest signed checkpoints; exit 1 and name the first broken entry if any."""
    settings = get_settings()
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    log = open_audit_log(settings, db)
    report = log.verify()
    latest = log.sealer.checkpoints.latest()
    anyio.run(db.dispose)
    if report.ok:
        signed = f"; signed checkpoint at entry {latest.seq} ({latest.at})" if latest else ""
        console.print(f"audit log intact: {report.entries_checked} entries{signed}")
        return
    where = f" at entry {report.first_broken_seq}" if report.first_broken_seq else ""
    console.print(
        f"[red]audit log broken{where}:[/] {report.problem} "
        f"({report.entries_checked} entries check out before it)"
    )
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Seal pending entries and write a signed checkpoint of the chain head now (the server
    writes one every ``LUMEN_AUDIT_CHECKPOINT_INTERVAL_S`` by itself)."""
    settings = get_settings()
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    log = open_audit_log(settings, db)
    written = log.sealer.checkpoint()
    anyio.run(db.dispose)
    if written is None:
        console.print("no new entries since the last checkpoint")
    else:
        console.print(f"signed checkpoint at entry {written.seq}: {log.sealer.checkpoints.folder}")


@audit_app.command("keygen")
def audit_keygen(path: Path) -> None:
    """Write a new Ed25519 signing key (PKCS#8 PEM, mode 0600) to PATH for
    ``LUMEN_AUDIT_SIGNING_KEY_FILE``; an existing file is never replaced."""
    try:
        write_signing_key(path)
    except FileExistsError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"signing key written to {path}; keep it outside the database's backups")


def _ingest(kind: str, source: str) -> None:
    settings = get_settings()
    upgrade_to_head(settings.sqlalchemy_url)
    try:
        runtime = build_knowledge(settings)
    except IndexLocked:
        raise typer.Exit(_ingest_through_server(settings.data_dir, kind, source)) from None
    try:
        report = _ingest_here(runtime, kind, source)
    finally:
        runtime.index.close()
    _print_report(report)
    raise typer.Exit(0 if report.ok else 1)


def _ingest_here(runtime: Runtime, kind: str, source: str) -> IngestReport:
    loader = open_source(kind, source, runtime.settings.data_dir / "downloads")
    with _progress() as progress:
        task = progress.add_task(f"{kind} items", total=loader.total)

        def items() -> Iterator[SourceDocument | LoadError | UnheldFocus]:
            # ``processed`` counts every file read, also those without an answered pair.
            for item in loader:
                progress.update(task, completed=loader.processed)
                yield item

        report = runtime.ingestor.ingest(items())
        if report.chunks_indexed >= OPTIMIZE_AFTER_CHUNKS:
            progress.update(task, description="building the HNSW index")
            runtime.index.optimize()
    return report


def _ingest_through_server(data_dir: Path, kind: str, source: str) -> int:
    """Hand the job to the running server, which holds the index, and follow its progress."""
    server = _running_server(data_dir)
    console.print(f"The Lumen server at {server['url']} holds the index; the job runs there.")
    operator = {OPERATOR_HEADER: server["operator_token"]}
    response = httpx.post(
        f"{server['url']}/api/v1/jobs", json={"kind": kind, "source": source}, headers=operator
    )
    if response.status_code != 202:
        console.print(f"[red]The server refused the job: {response.json().get('detail')}[/]")
        return 2
    job = response.json()
    with _progress() as progress:
        task = progress.add_task(kind, total=None)
        while job["status"] in ("queued", "running"):
            time.sleep(1.0)
            job = httpx.get(f"{server['url']}/api/v1/jobs/{job['id']}", headers=operator).json()
            progress.update(task, completed=job["done"], total=job["total"])
    console.print(f"job {job['status']}" + (f": {job['error']}" if job["error"] else ""))
    return 0 if job["status"] == "succeeded" else 1


def _running_server(data_dir: Path) -> dict[str, Any]:
    path = data_dir / SERVER_FILE
    if not path.exists():
        console.print(
            f"[red]Another process holds the index in {data_dir / 'index'} and no running "
            "server answers for it. Stop that process and try again.[/]"
        )
        raise typer.Exit(2)
    server: dict[str, Any] = json.loads(path.read_text())
    return server


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _print_report(report: IngestReport) -> None:
    console.print(
        f"{report.documents_indexed} documents indexed ({report.chunks_indexed} chunks), "
        f"{report.documents_unchanged} unchanged, {len(report.failed)} failed, "
        f"{report.seconds:.1f} s"
    )
    for failure in report.failed:
        where = f":{failure.line}" if failure.line else ""
        console.print(f"[red]failed[/] {failure.name}{where}: {failure.message}")


if __name__ == "__main__":
    app()
