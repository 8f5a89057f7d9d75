"""Parsing of credited artist strings, on the cases Koito's own test suite pins down."""

import re

import pytest

from koito_import.catalog.artist_names import compile_separators, parse_artists

SEPARATORS = [re.compile(r"\s*//\s*"), re.compile(r"\s+·\s+")]

CASES = [
    ("NELKE", "", ["NELKE"]),
    ("The Brook & The Bluff", "", ["The Brook & The Bluff"]),
    ("half·alive", "", ["half·alive"]),
    ("Earth, Wind & Fire", "The Very Best of Earth, Wind & Fire", ["Earth, Wind & Fire"]),
    ("Carly Rae Jepsen feat. Rufus Wainwright", "", ["Carly Rae Jepsen", "Rufus Wainwright"]),
    ("Mimi (feat. HATSUNE MIKU & KAFU)", "", ["Mimi", "HATSUNE MIKU", "KAFU"]),
    ("Magnify Tokyo · Kanade Ishihara", "", ["Magnify Tokyo", "Kanade Ishihara"]),
    ("Daft Punk [feat. Paul Williams]", "", ["Daft Punk", "Paul Williams"]),
    (
        "Tyler, The Creator",
        "CA (feat. Alice Smith, Leon Ware & Clem Creevy)",
        ["Tyler, The Creator", "Alice Smith", "Leon Ware", "Clem Creevy"],
    ),
    (
        "ONE OK ROCK",
        "C.U.R.I.O.S.I.T.Y. (feat. Paledusk and CHICO CARLITO)",
        ["ONE OK ROCK", "Paledusk", "CHICO CARLITO"],
    ),
    ("Rat Tally", "In My Car feat. Madeline Kenney", ["Rat Tally", "Madeline Kenney"]),
    (
        "Daft Punk feat. Julian Casablancas",
        "Instant Crush (feat. Julian Casablancas)",
        ["Daft Punk", "Julian Casablancas"],
    ),
    ("MINSU", "오해 금지 (Feat. BIG Naughty)", ["MINSU", "BIG Naughty"]),
    ("MINSU", "오해 금지 Feat. BIG Naughty", ["MINSU", "BIG Naughty"]),
    ("MIMiNARI//楠木ともり", "眠れない", ["MIMiNARI", "楠木ともり"]),
    (
        "The Killers",
        "Song (feat. Brandon Flowers and Ünal)",
        ["The Killers", "Brandon Flowers", "Ünal"],
    ),
]


@pytest.mark.parametrize(("artist", "title", "expected"), CASES)
def test_parse_artists_main_artist_first(artist: str, title: str, expected: list[str]) -> None:
    assert parse_artists(artist, title, SEPARATORS) == expected


def test_separator_env_patterns_are_joined_by_double_semicolon() -> None:
    separators = compile_separators(r"\s*;\s*;;\s+x\s+")
    assert parse_artists("A ; B x C", "", separators) == ["A", "B x C", "A ; B", "C"]
    assert parse_artists("A · B", "", compile_separators(None)) == ["A", "B"]
