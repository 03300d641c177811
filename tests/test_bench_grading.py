"""The real-wording benchmark's grading: URL keys, document grades, LiveQA figures."""

from __future__ import annotations

import pytest
from bench.consumer import cited_in_order
from bench.grading import DocumentKeys, Message, ranking_figures, url_key


@pytest.mark.parametrize(
    ("judged", "medquad"),
    [
        # MedlinePlus health topics moved host.
        (
            "https://medlineplus.gov/anxiety.html",
            "https://www.nlm.nih.gov/medlineplus/anxiety.html",
        ),
        # GARD: /diseases/<id>/… on the site, /gard/<id>/… in MedQuAD; the id decides.
        (
            "https://rarediseases.info.nih.gov/diseases/5/abetalipoproteinemia",
            "https://rarediseases.info.nih.gov/gard/5/abetalipoproteinemia",
        ),
        (
            "https://ghr.nlm.nih.gov/condition/Down-Syndrome/",
            "https://ghr.nlm.nih.gov/condition/down-syndrome",
        ),
        (
            "https://www.nhlbi.nih.gov/health/health-topics/topics/asthma",
            "http://www.nhlbi.nih.gov/health/health-topics/topics/asthma",
        ),
        ("http://nihseniorhealth.gov/copd/toc.html", "http://nihseniorhealth.gov/copd/toc.html"),
        (
            "https://www.niddk.nih.gov/health-information/digestive-diseases/gastritis",
            "http://www.niddk.nih.gov/health-information/health-topics/digestive-diseases/"
            "gastritis/Pages/facts.aspx",
        ),
        (
            "http://www.niddk.nih.gov/health-information/health-topics/Diabetes/hypoglycemia/"
            "Pages/index.aspx",
            "http://www.niddk.nih.gov/health-information/health-topics/Diabetes/hypoglycemia/"
            "Pages/index.aspx#causes",
        ),
    ],
)
def test_one_page_one_key(judged: str, medquad: str) -> None:
    assert url_key(judged) == url_key(medquad) is not None


def test_different_pages_differ() -> None:
    assert url_key("https://rarediseases.info.nih.gov/diseases/5/x") != url_key(
        "https://rarediseases.info.nih.gov/diseases/55/x"
    )
    assert url_key("https://www.cancer.gov/types/lung") != url_key(
        "https://www.cancer.gov/types/lung/patient/lung-prevention-pdq"
    )
    assert url_key("#") is None
    assert url_key(None) is None


def test_newer_ninds_page_matches_the_document_by_title() -> None:
    keys = DocumentKeys(
        [
            {
                "url": "http://www.ninds.nih.gov/disorders/lockedinsyndrome/lockedinsyndrome.htm",
                "title": "Locked-In Syndrome",
            }
        ]
    )
    new = "https://www.ninds.nih.gov/Disorders/All-Disorders/Locked-Syndrome-Information-Page"
    message = Message("m", "q", {url_key(new) or "": 4}, (new,))
    old = "http://www.ninds.nih.gov/disorders/lockedinsyndrome/lockedinsyndrome.htm"
    assert keys.grade(message, old) == 4
    assert keys.grade(message, "https://www.ninds.nih.gov/disorders/epilepsy/epilepsy.htm") is None


def test_document_grade_is_the_best_of_its_entries() -> None:
    url = "https://ghr.nlm.nih.gov/condition/cystic-fibrosis"
    keys = DocumentKeys([{"url": url, "title": "Cystic fibrosis"}])
    message = Message("m", "q", {url_key(url) or "": 3}, (url, url))
    assert keys.grade(message, url) == 3
    assert keys.grade(message, None) is None


def test_ranking_figures_count_every_message() -> None:
    figures = ranking_figures([[4, 1], [None, 3], [], [2]], depth=10)
    assert figures["avg_score@1"] == pytest.approx((3 + 0 + 0 + 1) / 4)
    assert figures["correct@1"] == pytest.approx(1 / 4)
    assert figures["success@10"] == pytest.approx(2 / 4)
    assert figures["judged@1"] == pytest.approx(2 / 4)


def test_citations_in_reading_order() -> None:
    assert cited_in_order("A [2] B [1][2] C [1, 3] D [9]", n_sources=3) == [2, 1, 3]
