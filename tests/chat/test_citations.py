"""Citation markers: which [n] count, and the streaming filter that drops the others."""

from __future__ import annotations

import pytest

from lumen.chat.citations import CitationFilter, valid_citations

ANSWER = "Flu causes fever [1]. Colds rarely do [2][9]. Rest helps [1, 3, 2]. See [note] [a"


def _filter_in_pieces(pieces: list[str], n_sources: int) -> str:
    citation_filter = CitationFilter(n_sources)
    out = [text for piece in pieces for text in citation_filter.feed(piece)]
    return "".join(out) + citation_filter.flush()


def test_valid_citations_are_sorted_unique_and_within_the_sources() -> None:
    assert valid_citations("a [2] b [1] c [2] d [0] e [7] f [3, 1]", n_sources=3) == [1, 2, 3]


def test_valid_citations_ignore_brackets_that_are_not_markers() -> None:
    assert valid_citations("see [note], [a1] and [ ]", n_sources=3) == []


def test_the_filter_drops_out_of_range_markers_and_the_blank_before_them() -> None:
    assert _filter_in_pieces(["Fever lasts [9] days [2]. Cough [0]."], 2) == (
        "Fever lasts days [2]. Cough."
    )


def test_the_filter_normalises_groups_to_one_marker_per_source() -> None:
    assert _filter_in_pieces(["Rest helps [1, 3, 2] and [2,2]."], 2) == (
        "Rest helps [1][2] and [2]."
    )


def test_a_marker_split_across_deltas_is_held_until_it_is_decided() -> None:
    citation_filter = CitationFilter(3)
    assert citation_filter.feed("Fever [") == ["Fever"]
    assert citation_filter.feed("1") == []
    assert citation_filter.feed("2]") == []  # [12] is out of range: dropped with its blank
    assert citation_filter.feed(" and cough [") == [" and cough"]
    assert citation_filter.feed("3].") == [" [3]."]
    assert citation_filter.flush() == ""


@pytest.mark.parametrize("cut", range(1, len(ANSWER)))
def test_any_split_into_two_deltas_filters_like_the_whole_text(cut: int) -> None:
    whole = _filter_in_pieces([ANSWER], 3)
    assert _filter_in_pieces([ANSWER[:cut], ANSWER[cut:]], 3) == whole


def test_character_by_character_deltas_filter_like_the_whole_text() -> None:
    whole = _filter_in_pieces([ANSWER], 2)
    assert whole == ("Flu causes fever [1]. Colds rarely do [2]. Rest helps [1][2]. See [note] [a")
    assert _filter_in_pieces(list(ANSWER), 2) == whole


def test_an_unfinished_bracket_at_the_end_is_released_by_flush() -> None:
    citation_filter = CitationFilter(2)
    assert citation_filter.feed("Ask a doctor [1") == ["Ask a doctor"]
    assert citation_filter.flush() == " [1"


def test_a_long_bracketed_number_list_is_not_held_forever() -> None:
    citation_filter = CitationFilter(2)
    long_list = "[" + ", ".join(str(k) for k in range(1, 30))
    assert "".join(citation_filter.feed(long_list)) == long_list
