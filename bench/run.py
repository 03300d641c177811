"""``make bench``: run every benchmark and write ``bench/results.md``.

Each figure is printed with the command that produced it. Benchmarks run in subprocesses so
each peak RSS is that process's own. The index is built fresh under ``bench/.cache/var``
unless ``--reuse`` is given (then benchmark 2 is read from the previous run's JSON, or, for an
index put in ``bench/.cache/var`` by hand, carried over from the previous ``results.md`` and
marked as such).
``--labels`` re-measures section 11 (label scale, ``bench.labels``) and replaces it.
``--auth``, ``--consumer``, ``--serving``, ``--embedding`` and ``--jobs [load|runners]``
re-measure one section (7, 1b; 4b with 8; 9; 10 and 10b) and replace it in place;
``--first-run`` times a fresh clone's ``make run`` (10c; not part of the full run: it needs the
machine to itself for half an hour). A full run carries sections 10c and 12 (the soak, ``make
soak``) over from the ``results.md`` it replaces, as they were.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.grading import MESSAGES, load_messages

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
DATA_DIR = CACHE / "var"
SEED_DIR = Path(os.environ.get("LUMEN_SEED_DIR", ROOT.parent / "shared" / "data")).resolve()
RESULTS = ROOT / "bench" / "results.md"


def run_json(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a benchmark module in a subprocess and parse its last stdout line as JSON."""
    print("$", " ".join(args), flush=True)
    out = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main(reuse: bool) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    saved = CACHE / "ingest.json"
    if reuse and saved.exists():
        ingest = json.loads(saved.read_text())
    elif reuse and (DATA_DIR / "lumen.db").exists() and RESULTS.exists():
        # An index built elsewhere (a full ingestion takes half an hour on 2 cores): the
        # ingestion figures are the previous results' own, and say so.
        ingest = carried_over_ingestion(RESULTS.read_text())
    else:
        ingest = fresh_index()
    retrieval = run_json(["-m", "bench.retrieval", str(DATA_DIR), str(SEED_DIR), "1000"])
    consumer_args = ["-m", "bench.consumer", str(DATA_DIR), str(SEED_DIR)]
    consumer = run_json(consumer_args)
    triage = run_json(
        ["-m", "bench.triage_eval", "--json", "--consumer", str(SEED_DIR / "consumer")]
    )

    qfile = http_questions()
    with fake_llm() as llm_url:
        http = run_json(
            ["-m", "bench.http", str(DATA_DIR), str(qfile), llm_url, *serving_options()]
        )
    profile = run_json(["-m", "bench.profile", str(DATA_DIR), str(qfile)])
    auth = run_json(["-m", "bench.auth"])
    embedding = run_json(["-m", "bench.embedding", str(CACHE / "embedding"), str(SEED_DIR)])
    jobs = run_json(["-m", "bench.jobs", str(SEED_DIR), str(qfile)])
    labels = run_json(["-m", "bench.labels"])
    text = (
        render(ingest, retrieval, triage, http)
        + render_auth(auth)
        + render_profile(profile)
        + "\n"
        + render_embedding(embedding)
        + "\n"
        + render_jobs(jobs)
        + "\n"
        + render_labels(labels)
    )
    text = with_consumer(text, render_consumer(consumer, consumer_args))
    previous = RESULTS.read_text() if RESULTS.exists() else ""
    RESULTS.write_text(with_carried_over(text, previous))
    print(RESULTS.read_text())


def fresh_index() -> dict[str, Any]:
    """Build the benchmark index in ``DATA_DIR`` from ``SEED_DIR`` anew (``bench.ingest``: full
    MedQuAD and the SPL labels, about half an hour on 2 cores); its ingestion figures, also
    saved for ``--reuse``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    ingest = run_json(["-m", "bench.ingest", str(DATA_DIR), str(SEED_DIR)])
    (CACHE / "ingest.json").write_text(json.dumps(ingest))
    return ingest


def carried_over_ingestion(results: str) -> dict[str, Any]:
    """Section 2 and the ingestion memory figure of a previous ``results.md``, as ``bench.ingest``
    reports them, with ``carried_over`` naming that run's date. Raises ``ValueError`` when they
    are not there."""
    patterns = {
        "measured": r"Measured (\d{4}-\d\d-\d\d \d\d:\d\d UTC)",
        "medquad_documents": r"documents / chunks indexed \| (\d+) /",
        "medquad_chunks": r"documents / chunks indexed \| \d+ / (\d+)",
        "work": r"pipeline \(parse, chunk, ([^,]+), upsert",
        "pipeline_chunks_per_s": r"pipeline \(parse[^|]*\| ([\d.]+) chunks/s",
        "pipeline_s": r"pipeline \(parse[^|]*\| [\d.]+ chunks/s \((\d+) s\)",
        "encode_only_chunks_per_s": r"`model.encode` alone, same [^|]*\| ([\d.]+) chunks/s",
        "encode_only_s": r"`model.encode` alone, same [^|]*\| [\d.]+ chunks/s \((\d+) s\)",
        "optimize_s": r"HNSW build \(`optimize`\) \| ([\d.]+) s",
        "ingest_peak_rss_mb": r"ingestion \(`bench.ingest`[^|]*\| (\d+) MiB",
    }
    found: dict[str, Any] = {}
    for key, pattern in patterns.items():
        match = re.search(pattern, results)
        if match is None:
            raise ValueError(f"results.md has no {key} to carry over")
        value = match.group(1)
        found[key] = (
            value if key in ("measured", "work") else float(value) if "." in value else int(value)
        )
    # A section carried over before keeps the date it was measured on.
    earlier = re.search(r"Carried over from the run of (\d{4}-\d\d-\d\d \d\d:\d\d UTC)", results)
    found["carried_over"] = earlier.group(1) if earlier else found["measured"]
    del found["measured"]
    return found


def refresh_auth() -> None:
    """Re-measure benchmark 7 alone and replace its section of ``bench/results.md``."""
    section = render_auth(run_json(["-m", "bench.auth"]))
    RESULTS.write_text(with_section(RESULTS.read_text(), AUTH_HEADING, section))
    print(section)


def dev_questions() -> list[str]:
    """MedQuAD's templated dev questions, in file order."""
    with (SEED_DIR / "medquad" / "dev_questions.jsonl").open() as lines:
        return [json.loads(line)["question"] for line in lines]


def asked_questions(questions: list[str]) -> list[str]:
    """The 220 dev questions (seed 7) the HTTP benchmarks ask."""
    return random.Random(7).sample(questions, 220)


def http_questions() -> Path:
    """``asked_questions``, written to the cache; its path."""
    return _cached("http_questions.json", asked_questions(dev_questions()))


def new_questions() -> Path:
    """1,000 dev questions outside ``asked_questions`` (seed 8), for the serving benchmark's
    questions never asked before, written to the cache; its path."""
    questions = dev_questions()
    asked = set(asked_questions(questions))
    fresh = [q for q in dict.fromkeys(questions) if q not in asked]
    return _cached("http_new_questions.json", random.Random(8).sample(fresh, 1000))


def consumer_messages() -> Path:
    """The 174 real consumer messages of ``SEED_DIR`` (MEDIQA 2019), unedited, written to the
    cache as a JSON list; its path."""
    messages = load_messages(SEED_DIR / MESSAGES)
    return _cached("http_consumer_messages.json", [m.question for m in messages])


def serving_options() -> list[str]:
    """``bench.http``'s options for the rows beyond the cycling questions: questions never
    asked before, and the real consumer messages."""
    return ["--new", str(new_questions()), "--consumer", str(consumer_messages())]


def _cached(name: str, questions: list[str]) -> Path:
    qfile = CACHE / name
    CACHE.mkdir(parents=True, exist_ok=True)
    qfile.write_text(json.dumps(questions))
    return qfile


def refresh_serving() -> None:
    """Re-measure sections 4b and 8 (serving under load, the profile) on ``LUMEN_DATA_DIR``'s
    index, else the one ``make bench`` built, and replace them in ``bench/results.md``."""
    data_dir = Path(os.environ.get("LUMEN_DATA_DIR", DATA_DIR)).resolve()
    qfile = http_questions()
    serving = render_serving(
        run_json(["-m", "bench.http", str(data_dir), str(qfile), *serving_options()])
    )
    profile = render_profile(run_json(["-m", "bench.profile", str(data_dir), str(qfile)]))
    text = with_section(RESULTS.read_text(), SERVING_HEADING, serving)
    RESULTS.write_text(with_section(text, PROFILE_HEADING, profile))
    print(serving + "\n" + profile)


def with_section(text: str, heading: str, section: str) -> str:
    """``text`` (results.md) with the section starting at ``heading`` (up to the next ``## ``
    heading) replaced by ``section``, or ``section`` appended."""
    if heading not in text:
        return text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    head, rest = text.split(heading, 1)
    tail = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
    return head + section.rstrip("\n") + "\n" + ("\n## " + tail if tail else "")


def with_carried_over(text: str, previous: str) -> str:
    """``text`` (a full run's results.md) with the sections of ``previous`` (the results.md it
    replaces) that a full run does not measure put back as they were: 10c (``--first-run``
    needs the machine to itself for half an hour) and 12 (``make soak`` runs for 30 minutes).
    Each goes before the first section of ``text`` numbered after it (10c before 11), else at
    the end. Other sections of ``previous`` are dropped: the run re-measured them, and a note
    about an earlier run's figures (4a) would no longer be true."""
    from bench.soak import HEADING as SOAK_HEADING

    for heading in (FIRST_RUN_HEADING, SOAK_HEADING):
        if heading in text or heading not in previous:
            continue
        rest = previous.split(heading, 1)[1]
        section = (heading + rest.split("\n## ", 1)[0]).rstrip("\n")
        later = [m.start() for m in SECTION_NUMBER.finditer(text) if _number(m) > _number(heading)]
        if later:
            text = text[: later[0]] + section + "\n\n" + text[later[0] :]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
    return text


SECTION_NUMBER = re.compile(r"^## (\d+)([a-z]?)\.", re.MULTILINE)


def _number(heading: str | re.Match[str]) -> tuple[int, str]:
    """A section's number as sections are ordered: ``## 10c. …`` → ``(10, "c")``."""
    match = SECTION_NUMBER.match(heading) if isinstance(heading, str) else heading
    return (int(match[1]), match[2]) if match else (0, "")


AUTH_HEADING = "## 7. Access control"
CONSUMER_HEADING = "## 1b. Real consumer wording"


def refresh_consumer() -> None:
    """Re-measure benchmark 1b alone and put it in ``bench/results.md`` after section 1.

    The index is ``LUMEN_DATA_DIR``'s if set (a copy: one process at a time may open it),
    else the one ``make bench`` built under ``bench/.cache/var``.
    """
    data_dir = Path(os.environ.get("LUMEN_DATA_DIR", DATA_DIR)).resolve()
    args = ["-m", "bench.consumer", str(data_dir), str(SEED_DIR)]
    section = render_consumer(run_json(args), args)
    RESULTS.write_text(with_consumer(RESULTS.read_text(), section))
    print(section)


def with_consumer(text: str, section: str) -> str:
    """``text`` (results.md) with its section 1b replaced by ``section``, or ``section``
    inserted before section 2."""
    if CONSUMER_HEADING in text:
        head, rest = text.split(CONSUMER_HEADING, 1)
        tail = rest[rest.index("\n## ") + 1 :] if "\n## " in rest else ""
    else:
        head, _, tail = text.partition("## 2. ")
        tail = "## 2. " + tail if tail else ""
    return head + section + ("\n" + tail if tail else "")


def _shown(args: list[str]) -> str:
    """A command line with paths under the repository's parent shown relative to the repo."""
    shown = []
    for arg in args:
        path = Path(arg)
        if path.is_absolute() and path.is_relative_to(ROOT.parent):
            arg = os.path.relpath(path, ROOT)
        shown.append(arg)
    return "python " + " ".join(shown)


def render_consumer(c: dict[str, Any], args: list[str]) -> str:
    """Section 1b: retrieval and answers on the 174 MEDIQA 2019 consumer messages."""
    cov, ret, ans = c["coverage"], c["retrieval"], c["answers"]
    n = c["messages"]

    def row(name: str, f: dict[str, float]) -> str:
        return (
            f"| {name} | {f['avg_score@1']:.3f} | {f['correct@1']:.1%} | {f['success@10']:.1%} "
            f"| {f['judged@1']:.1%} |"
        )

    lines = [
        f"{CONSUMER_HEADING} — `{_shown(args)}` (`python -m bench.run --consumer` refreshes it)",
        "",
        f"{n} real consumer messages, unedited (MEDIQA 2019 task 3 validation + test, "
        "`consumer/mediqa2019_questions.jsonl`; Ben Abacha, Shivade & Demner-Fushman, ACL-BioNLP "
        "2019). A retrieved MedQuAD document is graded by its URL with the experts' grades of the "
        "pages NLM's CHiQA returned (4 excellent, 3 correct but incomplete, 2 related, "
        "1 incorrect; the best grade of the message's entries for that page); other hits are "
        "unjudged. avgScore is LiveQA's 0–3 scale (grade − 1; unjudged, refused or uncited 0; "
        f"Ben Abacha et al., TREC 2017), every share is of all {n} messages "
        f"(index: {c['points']} points, full MedQuAD + 5 SPL labels). The messages are public "
        "development data: methods tuned on them may score better here than on unseen ones.",
        "",
        f"Coverage (`bench/grading.py` URL keys): {cov['judged_urls_in_medquad']} of "
        f"{cov['judged_urls']} distinct judged URLs ({cov['judged_entries_in_medquad']} of "
        f"{cov['judged_entries']} judged entries) are MedQuAD documents with answers; "
        f"{cov['messages_with_medquad_page']} messages have a judged MedQuAD page and "
        f"{cov['messages_with_correct_medquad_page']} one graded ≥ 3, the ceiling of every "
        "share below.",
        "",
        "| retrieval, first 10 hits | avgScore@1 (0–3) | first hit graded ≥ 3 | success@10 (≥ 3) | first hit judged |",
        "| --- | --- | --- | --- | --- |",
        row("Lumen: `Retriever.search(k=10)`, consumer_health + drug_labels", ret["lumen"]),
        row(
            f"textbook hybrid: bm25s + all-MiniLM-L6-v2 over the {c['medquad_rows']:,} MedQuAD "
            "rows' answers, RRF k=60",
            ret["textbook"],
        ),
        row("oracle: a perfect ranker over the same MedQuAD rows", ret["oracle"]),
        "",
        f"| answer: extractive engine on Lumen's first {c['answer_k']} hits (`retrieval_k`) | value |",
        "| --- | --- |",
        f"| avgScore (0–3) of the first cited source | {ans['first_cited_avg_score']:.3f} |",
        f"| first cited source graded ≥ 3 | {ans['first_cited_correct']:.1%} |",
        f"| some cited source graded ≥ 3 | {ans['any_cited_correct']:.1%} |",
        f'| refusals: nothing quoted ("I couldn\'t find this…", or only "Lumen has no FDA label for X") | {ans["refusals"]:.1%} |',
        f'| of which "no FDA label for X" alone | {ans.get("gap_only", 0.0):.1%} |',
        f"| answers naming a drug Lumen holds no label for | {ans.get('gap_notes', 0.0):.1%} |",
        "",
        "Examples: of the short messages that MedQuAD holds a page graded ≥ 3 for, the two "
        "shortest where Lumen's first hit is graded higher than the textbook hybrid's, and the "
        "two shortest where it is graded lower (grades 1–4, – unjudged):",
        "",
        "| message | oracle | textbook first hit | Lumen first hit | Lumen answer, first cited |",
        "| --- | --- | --- | --- | --- |",
    ]
    for ex in c["examples"]:
        cited = "refused" if ex["answer_refused"] else ex["answer_first_cited_grade"] or "–"
        message = " ".join(ex["question"].split()).replace("|", "\\|")
        lines.append(
            f"| {message} | {ex['oracle_best']} | {ex['textbook_first_grade'] or '–'} "
            f"| {ex['lumen_first_grade'] or '–'} | {cited} |"
        )
    lines += [
        "",
        f"Per message (id, first-hit URL and grade of each side): `{c['table']}` (not committed).",
        "",
    ]
    return "\n".join(lines)


def render_auth(auth: dict[str, Any]) -> str:
    """Section 7: the cost of accounts, sessions and the audit log."""
    pw, ss, au, web = auth["passwords"], auth["sessions"], auth["audit"], auth["http"]
    lines = [
        f"{AUTH_HEADING} — `python -m bench.auth` (`python -m bench.run --auth` refreshes it)",
        "",
        "| measure | p50 ms | p95 ms |",
        "| --- | --- | --- |",
        f"| argon2id hash (m = 19 MiB, t = 2, p = 1) | {pw['hash']['p50_ms']:.1f} | {pw['hash']['p95_ms']:.1f} |",
        f"| argon2id verify | {pw['verify']['p50_ms']:.1f} | {pw['verify']['p95_ms']:.1f} |",
        f"| password policy check (zxcvbn, 200 passphrases) | {pw['policy']['p50_ms']:.2f} | {pw['policy']['p95_ms']:.2f} |",
        f"| session resolution, in-process store | {ss['memory']['p50_ms']:.3f} | {ss['memory']['p95_ms']:.3f} |",
        f"| session resolution, Redis on 127.0.0.1 | {ss['redis']['p50_ms']:.3f} | {ss['redis']['p95_ms']:.3f} |",
        f"| HTTP `POST /api/v1/auth/login` (50 sign-ins) | {web['sign_in']['p50_ms']:.1f} | {web['sign_in']['p95_ms']:.1f} |",
        f"| HTTP `GET /api/v1/auth/me` (300 requests) | {web['me']['p50_ms']:.1f} | {web['me']['p95_ms']:.1f} |",
        "",
        f"| audit log (each entry its own transaction) | appends/s, {au['writers']} concurrent writers ({au['entries']} entries) | appends/s, one writer awaiting each | sealing entries/s | verification entries/s |",
        "| --- | --- | --- | --- | --- |",
        f"| SQLite (WAL, synchronous=NORMAL) | {au['sqlite']['appends_per_s']:.0f} (target ≥ 1,000) | {au['sqlite']['single_writer_appends_per_s']:.0f} | {au['sqlite']['seal_entries_per_s']:.0f} | {au['sqlite']['verify_entries_per_s']:.0f} |",
        f"| PostgreSQL 15 on 127.0.0.1 | {au['postgresql']['appends_per_s']:.0f} (target ≥ 2,000) | {au['postgresql']['single_writer_appends_per_s']:.0f} | {au['postgresql']['seal_entries_per_s']:.0f} | {au['postgresql']['verify_entries_per_s']:.0f} |",
        "| issue 11's baseline (one writer, chain-head lock per append) | SQLite 214, PostgreSQL 302 | | | |",
        "",
        "Entries are inserted unsealed in their change's transaction; the sealer chains them in "
        "batches of up to 2,000 every 0.5 s and signs a checkpoint of the head (Ed25519) every "
        "60 s into a folder outside the database. Verification covers chain and checkpoints.",
        "",
    ]
    return "\n".join(lines)


class fake_llm:  # noqa: N801  (used as a context manager)
    """The tests' chat-completions server, streaming its whole answer at once, on loopback."""

    def __enter__(self) -> str:
        from tests.chat.fake_llm import FakeLLMServer

        self._server = FakeLLMServer()
        self._server.start()
        return self._server.base_url

    def __exit__(self, *_exc: object) -> None:
        self._server.close()


def render_triage(triage: dict[str, Any]) -> str:
    """Section 6: both triage tiers, on the labelled set and the real consumer messages."""
    from bench.triage_eval import render_section

    return render_section(triage)


def render(
    ingest: dict[str, Any], retrieval: dict[str, Any], triage: dict[str, Any], http: dict[str, Any]
) -> str:
    q = retrieval["quality"]
    lat = retrieval["latency"]
    ratio = ingest["pipeline_chunks_per_s"] / ingest["encode_only_chunks_per_s"]
    # A run from before ingestion stored sentence vectors (carried over) keeps its own wording.
    stored = "encode_only_sentences" in ingest or "sentence vectors" in ingest.get("work", "")
    work = "dense + BM25 + sentence vectors" if stored else "dense + BM25"
    texts = "texts (chunks and their quotable sentences)" if stored else "chunks"
    ext = http["extractive"]
    llm = http.get("llm_immediate", {})
    lines = [
        "# Lumen benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, by `make bench` "
        "(`python -m bench.run`). Each section names the module that measured it.",
        "",
        "## 1. Retrieval quality — `python -m bench.retrieval` "
        f"({retrieval['sample']} dev questions, seed {retrieval['seed']}, "
        f"{retrieval['points']} points: full MedQuAD + 5 SPL labels)",
        "",
        "Gold = the QA pair of `dev_questions.jsonl`; a hit counts when its section is a gold pair. "
        "Indexed text is the answer chunk with its focus and question type, not the question.",
        "",
        "| retrieval | recall@5 | MRR@10 |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {q[mode]['recall@5']:.3f} | {q[mode]['mrr@10']:.3f} |"
            for name, mode in (
                ("BM25 only", "sparse"),
                ("dense only", "dense"),
                ("hybrid (RRF k=60)", "hybrid-plain"),
                ("hybrid steered by question understanding (Lumen's default)", "hybrid"),
            )
            if mode in q
        ),
        "",
        "## 2. Ingestion of full MedQuAD — `python -m bench.ingest`",
        "",
        *(
            [
                f"Carried over from the run of {ingest['carried_over']} (`--reuse` on an index "
                "built outside the benchmark): not re-measured by this run.",
                "",
            ]
            if "carried_over" in ingest
            else []
        ),
        "| measure | value |",
        "| --- | --- |",
        f"| documents / chunks indexed | {ingest['medquad_documents']} / {ingest['medquad_chunks']} |",
        f"| pipeline (parse, chunk, {work}, upsert, DB) | {ingest['pipeline_chunks_per_s']:.1f} chunks/s ({ingest['pipeline_s']:.0f} s) |",
        f"| `model.encode` alone, same {texts} | {ingest['encode_only_chunks_per_s']:.1f} chunks/s ({ingest['encode_only_s']:.0f} s) |",
        f"| pipeline / raw model | {ratio:.1%} (target ≥ 85 %) |",
        f"| HNSW build (`optimize`) | {ingest['optimize_s']:.1f} s |",
        "",
        "## 3. Hybrid retrieval latency — `python -m bench.retrieval`",
        "",
        "| measure | p50 ms | p95 ms |",
        "| --- | --- | --- |",
        f"| query embedding alone | {lat['embed_p50_ms']:.1f} | {lat['embed_p95_ms']:.1f} |",
        f"| hybrid retrieval as Lumen runs it (question understanding; per sub-question an embedding, BM25 and two RRF queries: the focus's documents, then all) | {lat['hybrid_p50_ms']:.1f} | {lat['hybrid_p95_ms']:.1f} |",
        "",
        f"{lat['queries']} queries after 20 warm-up; hybrid p95 / embed p95 = "
        f"{lat['hybrid_p95_ms'] / lat['embed_p95_ms']:.2f} (target ≤ 1.5).",
        "",
        "## 4. Through the HTTP endpoint — `python -m bench.http` (uvicorn, one worker)",
        "",
        "| measure | p50 ms | p95 ms | target |",
        "| --- | --- | --- | --- |",
        f"| extractive: first token ({ext['questions']} questions, {ext['errors']} errors) | {ext['first_token_p50_ms']:.0f} | {ext['first_token_p95_ms']:.0f} | p95 ≤ 150 |",
        f"| extractive: total | {ext['total_p50_ms']:.0f} | {ext['total_p95_ms']:.0f} | p95 ≤ 400 |",
    ]
    if llm:
        lines.append(
            f"| LLM engine, test server answering at once: first token ({llm['questions']} questions, {llm['errors']} errors) | {llm['first_token_p50_ms']:.0f} | {llm['first_token_p95_ms']:.0f} | p95 ≤ 60 |"
        )
    lines += [
        "",
        render_serving(http),
        "## 5. Memory",
        "",
        "| process | peak RSS |",
        "| --- | --- |",
        f"| ingestion (`bench.ingest`, full MedQuAD + SPL) | {ingest['ingest_peak_rss_mb']:.0f} MiB |",
        f"| serving (`lumen serve`, full index, after the runs above) | {http['serve_peak_rss_mb']:.0f} MiB |",
        "",
        render_triage(triage),
    ]
    return "\n".join(lines)


SERVING_HEADING = "## 4b. Serving under load"


def render_serving(http: dict[str, Any]) -> str:
    """Section 4b: one client and fifty on both columns, beside issue 11's baseline."""
    index = http["index"]
    ext, prod = http["extractive"], http.get("extractive_production")
    rows = [("embedded", ext)] + ([("production", prod)] if prod else [])
    return "\n".join(
        [
            f"{SERVING_HEADING} — `python -m bench.http` (`python -m bench.run --serving` "
            f"refreshes it), index of {index['documents']} documents, {index['sections']} "
            f"sections; measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            "",
            "| one client, extractive engine | first token p50 ms | first token p95 ms | target |",
            "| --- | --- | --- | --- |",
            *(
                f"| {name} ({r['questions']} questions, {r['errors']} errors) | "
                f"{r['first_token_p50_ms']:.0f} | {r['first_token_p95_ms']:.0f} | p95 ≤ 150 |"
                for name, r in rows
            ),
            "| issue 11's baseline (full index, embedded, before it) | 269 | 371 | |",
            "",
            render_concurrency(http),
            "",
        ]
    )


def render_concurrency(http: dict[str, Any]) -> str:
    """The concurrency table: both columns beside issue 11's baseline."""
    columns = [("embedded: SQLite, in-process sessions", http["concurrent"])]
    if "concurrent_production" in http:
        columns.append(("production: PostgreSQL + Redis", http["concurrent_production"]))
    con = http["concurrent"]
    return "\n".join(
        [
            f"{con['clients']} concurrent streaming clients for {con['seconds']:.0f} s, each its "
            "own account and a new conversation per question, signed up before the clock "
            "starts; the 220 questions cycle, so after the first pass retrieval and embeddings "
            "are warm (as for a popular question):",
            "",
            "| column | answers/s | errors | first token p50 ms | first token p95 ms | server CPU per answer | clients' CPU per answer |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *(
                f"| {name} | {c['answers_per_s']:.1f} | {c['errors']} | "
                f"{c['first_token_p50_ms']:.0f} | {c['first_token_p95_ms']:.0f} | "
                f"{c['server_cpu_ms_per_answer']:.1f} ms | {_client_cpu(c)} |"
                for name, c in columns
            ),
            "| issue 11's baseline (full index, embedded, before it) | 3.4 | 0 | 14,275 | 19,066 | — | — |",
            "| target | ≥ 50 | 0 | | ≤ 500 | | |",
            *_new_questions_row(http.get("concurrent_new")),
            *_consumer_row(http.get("concurrent_consumer")),
        ]
    )


def _client_cpu(run: dict[str, Any]) -> str:
    """The load generator's CPU per answer (it runs on the server's 2 cores), where measured."""
    client = run.get("client_cpu_ms_per_answer")
    return "—" if client is None else f"{client:.1f} ms"


def _new_questions_row(new: dict[str, Any] | None) -> list[str]:
    """The row of questions never asked before, and what it says, when it was measured."""
    if new is None:
        return []
    return [
        f"| embedded, {new['clients']} clients for {new['seconds']:.0f} s asking questions "
        f"never asked before | {new['answers_per_s']:.1f} | {new['errors']} | "
        f"{new['first_token_p50_ms']:.0f} | {new['first_token_p95_ms']:.0f} | "
        f"{new['server_cpu_ms_per_answer']:.1f} ms | {_client_cpu(new)} |",
        "",
        "A question never asked before costs an embedding of the question (triage's, which "
        "retrieval reuses: section 8, one client, the largest share) and caches filled for the "
        "first time (question understanding, sentence splits); its candidate sentences' "
        "vectors come with their chunks, stored at ingestion.",
    ]


def _consumer_row(real: dict[str, Any] | None) -> list[str]:
    """The row of the real consumer messages, and what it says, when it was measured."""
    if real is None:
        return []
    return [
        "",
        "| real consumer wording | answers/s | errors | first token p50 ms | first token p95 ms "
        "| server CPU per answer | clients' CPU per answer |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| embedded, {real['clients']} clients for {real['seconds']:.0f} s asking the 174 "
        f"MEDIQA 2019 messages in turn (section 1b) | {real['answers_per_s']:.1f} | "
        f"{real['errors']} | {real['first_token_p50_ms']:.0f} | "
        f"{real['first_token_p95_ms']:.0f} | {real['server_cpu_ms_per_answer']:.1f} ms | "
        f"{_client_cpu(real)} |",
        "",
        "A real message is several sentences, often long; triage weighs each sentence and "
        "retrieval each sub-question. The messages cycle, so after the first pass their "
        "embeddings are cached, as the dev questions' are above.",
    ]


def render_profile(profile: dict[str, Any]) -> str:
    """Section 8: where the server's CPU goes, per stage, for one client and for fifty."""
    one, many = profile["one_client"], profile["fifty_clients"]
    stages = list(dict.fromkeys([*one["stages"], *many["stages"]]))
    return "\n".join(
        [
            f"{PROFILE_HEADING} — `python -m bench.profile` (py-spy, 100 samples/s of every "
            "running thread of `lumen serve`)",
            "",
            f"One client: {one['questions']} questions one after another (first token p50 "
            f"{one['first_token_p50_ms']:.0f} ms, p95 {one['first_token_p95_ms']:.0f} ms); fifty "
            f"clients: {many['seconds']:.0f} s, {many['answers']} answers "
            f"({many['answers_per_s']:.1f}/s, first token p95 {many['first_token_p95_ms']:.0f} ms). "
            "Share of the server's CPU samples:",
            "",
            f"| stage | one client ({one['samples']} samples) | fifty clients ({many['samples']} samples) |",
            "| --- | --- | --- |",
            *(
                f"| {stage} | {one['stages'].get(stage, 0):.1%} | {many['stages'].get(stage, 0):.1%} |"
                for stage in stages
            ),
            "",
        ]
    )


PROFILE_HEADING = "## 8. Where a request's time goes"
EMBEDDING_HEADING = "## 9. Embedding backends: torch and onnx-int8"


def render_embedding(e: dict[str, Any]) -> str:
    """Section 9: the two embedding backends on the same chunks and questions."""
    t, o = e["backends"]["torch"], e["backends"]["onnx-int8"]
    sub = e["subset"]

    def quality(b: dict[str, Any], mode: str) -> str:
        q = b["quality"][mode]
        return f"{q['recall@5']:.3f} / {q['mrr@10']:.3f}"

    return "\n".join(
        [
            f"{EMBEDDING_HEADING} — `python -m bench.embedding` (`python -m bench.run "
            f"--embedding` refreshes it), measured {e['measured']}",
            "",
            f"MedQuAD's {', '.join(sub['collections'])} collections ({sub['documents']} documents, "
            f"{t['chunks_indexed']} chunks) through the real pipeline with each backend, batch "
            f"{e['batch_size']}, {e['threads']} threads; quality on {e['quality_questions']} "
            "dev questions whose gold is in the subset, each backend on its own index; query "
            f"latency over {e['latency_questions']} questions one at a time, cache cleared.",
            "",
            "| measure | torch | onnx-int8 | ratio / difference |",
            "| --- | --- | --- | --- |",
            f"| embedding alone (each chunk and its quotable sentences), chunks/s | {t['encode_chunks_per_s']:.1f} | {o['encode_chunks_per_s']:.1f} | {e['encode_ratio']:.2f}× (target ≥ 2×) |",
            f"| ingestion pipeline, chunks/s | {t['pipeline_chunks_per_s']:.1f} | {o['pipeline_chunks_per_s']:.1f} | {e['pipeline_ratio']:.2f}× |",
            f"| query embedding p50 / p95 ms | {t['query_p50_ms']:.1f} / {t['query_p95_ms']:.1f} | {o['query_p50_ms']:.1f} / {o['query_p95_ms']:.1f} | {t['query_p95_ms'] / o['query_p95_ms']:.1f}× at p95 |",
            f"| dense only: recall@5 / MRR@10 | {quality(t, 'dense')} | {quality(o, 'dense')} | {100 * (o['quality']['dense']['recall@5'] - t['quality']['dense']['recall@5']):+.1f} / {100 * (o['quality']['dense']['mrr@10'] - t['quality']['dense']['mrr@10']):+.1f} points |",
            f"| hybrid (Lumen's default): recall@5 / MRR@10 | {quality(t, 'hybrid')} | {quality(o, 'hybrid')} | {100 * (o['quality']['hybrid']['recall@5'] - t['quality']['hybrid']['recall@5']):+.1f} / {100 * (o['quality']['hybrid']['mrr@10'] - t['quality']['hybrid']['mrr@10']):+.1f} points |",
            f"| peak RSS | {t['peak_rss_mb']:.0f} MiB | {o['peak_rss_mb']:.0f} MiB | |",
            "",
            f"The int8 model is built here once from the packaged weights ({e['onnx_build_s']:.0f} s: "
            "torch's exporter, onnxruntime's BERT fusion, dynamic int8 quantisation per channel). "
            f"{_embedding_verdict(e)} `torch` stays the default: triage's and the extractive "
            "engine's thresholds were calibrated on torch's vectors, and int8 moves a cosine by "
            "up to 0.03, so switch the default only with those thresholds re-calibrated "
            "(`bench.calibrate_extractive`) and the safety evaluation (section 6) re-run on "
            "int8. `LUMEN_EMBEDDING_BACKEND=onnx-int8` (re-ingest after a switch) is the choice "
            "for ingestion and query latency on shared cores.",
            "",
        ]
    )


def _embedding_verdict(e: dict[str, Any]) -> str:
    """What section 9's figures say about the targets: ingestion ≥ 2×, quality within one
    point of recall@5 and MRR@10."""
    t, o = e["backends"]["torch"], e["backends"]["onnx-int8"]
    within = all(
        abs(o["quality"][mode][m] - t["quality"][mode][m]) <= 0.01
        for mode in ("dense", "hybrid")
        for m in ("recall@5", "mrr@10")
    )
    quality = "Quality is within one point" if within else "Quality is not within one point"
    speed = (
        f"ingestion embeds {e['encode_ratio']:.2f}× as fast as torch (target ≥ 2×)"
        if e["encode_ratio"] >= 2
        else f"ingestion embeds only {e['encode_ratio']:.2f}× as fast as torch (target ≥ 2×)"
    )
    return (
        f"{quality}, and {speed} on this machine ({e.get('cpu', 'its CPU')}): int8 speeds up "
        "the matrix products while attention, layer norm and GELU stay float32, so how much "
        "it gains depends on the CPU's int8 instructions (the 2026-12-02 run, on another "
        "machine of this kind, measured 1.66×)."
    )


def refresh_embedding() -> None:
    """Re-measure section 9 and replace it in ``bench/results.md``."""
    work = CACHE / "embedding"
    section = render_embedding(run_json(["-m", "bench.embedding", str(work), str(SEED_DIR)]))
    RESULTS.write_text(with_section(RESULTS.read_text(), EMBEDDING_HEADING, section))
    print(section)


LOAD_HEADING = "## 10. Questions during the first load"
RUNNERS_HEADING = "## 10b. Ingestion on each runner"


def render_load(j: dict[str, Any]) -> str:
    """Section 10: questions during the first load, beside the load alone."""
    alone, asking, before = j["load_alone"], j["load_asking"], j["load_asking_in_server"]

    def questions(r: dict[str, Any]) -> str:
        return (
            f"{r['questions']} questions, {r['errors']} errors; first token p50 "
            f"{r['first_token_p50_ms']:.0f} / p95 {r['first_token_p95_ms']:.0f} / max "
            f"{r['first_token_max_ms']:.0f} ms"
        )

    def load(r: dict[str, Any]) -> str:
        return f"{r['seconds']:.0f} s ({r['chunks']} chunks, {r['chunks_per_s']:.1f} chunks/s)"

    return "\n".join(
        [
            f"{LOAD_HEADING} — `python -m bench.jobs SEED QUESTIONS load` (`python -m "
            f"bench.run --jobs load` refreshes it), measured {j['measured']}",
            "",
            f"Embedded default, `lumen serve`, HTTP: a full MedQuAD load from an empty index, "
            f"timed until it has read its first {alone['files']} files (the A.D.A.M. and "
            f"MedlinePlus-drug pages, names only, then CancerGov and GARD, embedded); alone, then "
            f"from scratch again while {j['patients']} patients ask one question every "
            f"{j['ask_interval_s']} s.",
            "",
            "| run | load | questions |",
            "| --- | --- | --- |",
            f"| load alone (child process) | {load(alone)} | none |",
            f"| load + questions (child process, the default) | {load(asking)} | "
            f"{questions(asking)} |",
            f"| load + questions, ingestion in the serving process (before issue 12, "
            f"`LUMEN_INGEST_IN_CHILD_PROCESS=false`) | {load(before)} | {questions(before)} |",
            "",
            f"The load's rate while questions are asked: "
            f"{100 * alone['seconds'] / asking['seconds']:.0f} % of its rate alone (target ≥ "
            f"85 %); first-token p95 {asking['first_token_p95_ms']:.0f} ms (target ≤ 300 ms).",
            "",
        ]
    )


def render_runners(j: dict[str, Any]) -> str:
    """Section 10b: one MedQuAD slice on the in-process runner and on 1 and 2 Celery workers."""
    local, one, two = j["slice_in_process"], j["slice_celery_1"], j["slice_celery_2"]

    def sliced(r: dict[str, Any]) -> str:
        return (
            f"{r['seconds']:.1f} s, {r['chunks']} chunks, {r['chunks_per_s']:.1f} chunks/s "
            f"({r['status']})"
        )

    return "\n".join(
        [
            f"{RUNNERS_HEADING} — `python -m bench.jobs SEED QUESTIONS runners` (`python -m "
            f"bench.run --jobs runners` refreshes it), measured {j['measured']}",
            "",
            f"{j['slice']['files']} MedQuAD files ({j['slice']['folder']}), batches of "
            f"{j['slice']['batch_files']} files, timed from the job's start to its end as the "
            "jobs table records them. Celery workers run `lumen worker --pool solo` against this "
            "machine's PostgreSQL and Redis, each on an index folder of its own (qdrant-client's "
            "local mode; no Qdrant server runs here), the 2 cores' threads split between them.",
            "",
            "| runner | time, chunks, rate | vs in-process |",
            "| --- | --- | --- |",
            f"| in-process (`lumen serve`, SQLite, Edge, child process) | {sliced(local)} | 1.00× |",
            f"| Celery, 1 worker process (2 threads) | {sliced(one)} | "
            f"{one['chunks_per_s'] / local['chunks_per_s']:.2f}× |",
            f"| Celery, 2 worker processes (1 thread each) | {sliced(two)} | "
            f"{two['chunks_per_s'] / local['chunks_per_s']:.2f}× |",
            "",
        ]
    )


def render_jobs(j: dict[str, Any]) -> str:
    """Sections 10 and 10b from ``bench.jobs``'s output (the parts it measured)."""
    parts = [render_load(j["load"])] if "load" in j else []
    parts += [render_runners(j["runners"])] if "runners" in j else []
    return "\n".join(parts)


def refresh_jobs(part: str) -> None:
    """Re-measure section 10 (``load``), 10b (``runners``) or both, in ``bench/results.md``."""
    qfile = http_questions()
    measured = run_json(["-m", "bench.jobs", str(SEED_DIR), str(qfile), part])
    text = RESULTS.read_text()
    if "load" in measured:
        text = with_section(text, LOAD_HEADING, render_load(measured["load"]))
    if "runners" in measured:
        text = with_section(text, RUNNERS_HEADING, render_runners(measured["runners"]))
    RESULTS.write_text(text)
    print(render_jobs(measured))


FIRST_RUN_HEADING = "## 10c. A new user's first `make run`"


def render_first_run(j: dict[str, Any], machine: str) -> str:
    """Section 10c from ``bench.first_run``'s output; ``machine`` says what the clone shared
    (a new machine, or this one with its pip and npm caches)."""
    return "\n".join(
        [
            f"{FIRST_RUN_HEADING} — `python -m bench.first_run` (`python -m bench.run "
            f"--first-run` refreshes it), measured {j['measured']}",
            "",
            f"`make run` in a fresh clone on {machine}, `/readyz` polled every 5 s:",
            "",
            "| milestone | time from `make run` |",
            "| --- | --- |",
            f"| the app serves (venv, web app build, migrations, model) | {j['serving_s']:.0f} s |",
            f"| the five FDA labels indexed | {j['labels_indexed_s']:.0f} s |",
            f"| the index fully loaded ({j['documents']} documents, {j['points']} points) | "
            f"{j['fully_loaded_s']:.0f} s ({j['fully_loaded_s'] / 60:.1f} min) |",
            "",
        ]
    )


def refresh_first_run() -> None:
    """Time a fresh clone's ``make run`` (``bench.first_run``) and replace section 10c."""
    section = render_first_run(
        run_json(["-m", "bench.first_run"]), "this machine (sharing its pip and npm caches)"
    )
    RESULTS.write_text(with_section(RESULTS.read_text(), FIRST_RUN_HEADING, section))
    print(section)


def render_labels(measured: dict[str, Any]) -> str:
    """Section 11 (label scale) from ``bench.labels``'s output."""
    from bench.labels import render

    return render(measured)


def refresh_labels() -> None:
    """Re-measure section 11 (drug search and label view over 20,000 generated labels, SQLite
    and PostgreSQL) and replace it in ``bench/results.md``."""
    from bench.labels import HEADING

    section = render_labels(run_json(["-m", "bench.labels"]))
    RESULTS.write_text(with_section(RESULTS.read_text(), HEADING, section))
    print(section)


if __name__ == "__main__":
    if "--jobs" in sys.argv:
        parts = [a for a in sys.argv[sys.argv.index("--jobs") + 1 :] if not a.startswith("-")]
        refresh_jobs(parts[0] if parts else "both")
    elif "--first-run" in sys.argv:
        refresh_first_run()
    elif "--auth" in sys.argv:
        refresh_auth()
    elif "--serving" in sys.argv:
        refresh_serving()
    elif "--embedding" in sys.argv:
        refresh_embedding()
    elif "--labels" in sys.argv:
        refresh_labels()
    elif "--consumer" in sys.argv:
        refresh_consumer()
    else:
        main(reuse="--reuse" in sys.argv)
