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
    assert parse_artists("A ; B x C", "", separators) == ["A", "B", "C"]
    assert parse_artists("A · B", "", compile_separators(None)) == ["A", "B"]


@pytest.mark.parametrize(
    ("artist", "expected"),
    [
        ("A // B · C // D", ["A", "B", "C", "D"]),
        ("A · B", ["A", "B"]),
        ("A//B", ["A", "B"]),
        ("Solo", ["Solo"]),
        ("A // · B", ["A", "· B"]),  # "·" needs a space before it; "//" took that space
    ],
)
def test_several_separators_split_together(artist: str, expected: list[str]) -> None:
    assert parse_artists(artist, "", SEPARATORS) == expected


def test_separators_split_as_their_alternation_would() -> None:
    patterns = [r"\s*&\s*", r"\s+and\s+", r"\s*&&\s*", r"\s*/\s*"]
    separators = compile_separators(";;".join(patterns))
    alternation = re.compile("|".join(f"(?:{p})" for p in patterns))
    for artist in ("A & B and C", "A && B", "Andy and Bandit & Co / Dee", "AC/DC & Friends"):
        expected = [part.strip() for part in alternation.split(artist) if part.strip()]
        assert parse_artists(artist, "", separators) == expected, artist


def test_a_separators_groups_and_empty_matches_make_no_names() -> None:
    assert parse_artists("A x B", "", compile_separators(r"\s+(x)\s+")) == ["A", "B"]
    assert parse_artists("Mixx", "", compile_separators(r"q*")) == ["Mixx"]
