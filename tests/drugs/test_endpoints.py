"""Drug information: label search by brand or generic name, a label with its sections."""

from __future__ import annotations

import httpx
import pytest

from lumen.knowledge.labels import LabelCursor, LabelTier


@pytest.fixture
def client(patient) -> httpx.Client:  # type: ignore[no-untyped-def]
    """A signed-in patient's client: drug labels are open to every role."""
    return patient.client


@pytest.mark.parametrize("query", ["lipitor", "ATORVASTATIN"])
def test_labels_are_found_by_brand_or_generic_name(client: httpx.Client, query: str) -> None:
    items = client.get("/api/v1/drugs", params={"q": query}).json()["items"]
    assert len(items) == 2, "the original label and the repackager's"
    assert all("atorvastatin" in (i["generic_name"] or "").lower() for i in items)
    assert len({i["set_id"] for i in items}) == 2


def test_an_unknown_drug_finds_nothing(client: httpx.Client) -> None:
    assert client.get("/api/v1/drugs", params={"q": "notadrugname"}).json()["items"] == []


def test_a_label_has_its_sections_with_loinc_names_and_text(client: httpx.Client) -> None:
    humira = client.get("/api/v1/drugs", params={"q": "humira"}).json()["items"][0]
    label = client.get(f"/api/v1/drugs/{humira['set_id']}").json()
    names = [(s["name"] or "").lower() for s in label["sections"]]
    assert "boxed warning" in names and "indications and usage" in names
    boxed = next(s for s in label["sections"] if s["code"] == "34066-1")
    assert "infection" in boxed["text"].lower()
    assert label["url"].startswith("https://dailymed.nlm.nih.gov/")
    assert label["licence"] and label["attribution"]


def test_an_unknown_set_id_is_404_problem_json(client: httpx.Client) -> None:
    response = client.get("/api/v1/drugs/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_search_pages_with_a_cursor_until_every_label_is_listed(client: httpx.Client) -> None:
    everything = client.get("/api/v1/drugs", params={"q": ""}).json()
    assert not everything["has_more"] and everything["next_cursor"] is None
    seen: list[str] = []
    params: dict[str, str | int] = {"q": "", "limit": 2}
    while True:
        page = client.get("/api/v1/drugs", params=params).json()
        seen += [item["set_id"] for item in page["items"]]
        if not page["has_more"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [item["set_id"] for item in everything["items"]]
    assert len(seen) == len(set(seen)) >= 5


def test_a_cursor_no_page_gave_is_422_problem_json(client: httpx.Client) -> None:
    response = client.get("/api/v1/drugs", params={"q": "lip", "cursor": "forged"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_query_or_cursor_with_a_nul_is_422_problem_json(client: httpx.Client) -> None:
    # Found by the API contract test: a NUL ended SQLite's FTS5 phrase and the search was a 500.
    for q in ("lip\x00itor", "\x00\x00\x00", "tab\there"):
        response = client.get("/api/v1/drugs", params={"q": q})
        assert response.status_code == 422, q
        assert response.headers["content-type"] == "application/problem+json"
    forged = LabelCursor(LabelTier.BRAND_PREFIX, "lip\x00", "x").encode()
    response = client.get("/api/v1/drugs", params={"q": "lip", "cursor": forged})
    assert response.status_code == 422
