"""`koito-import completion SHELL` (issue 21): each script, sourced by its real shell, offers
the commands, the subcommands of `db`, each command's options and option choices. bash and fish
answer a completion request directly; zsh's completion widgets need a terminal, so its
completers (_describe, _arguments) are stood in for by functions that print what they were
given, which tests the script's own logic: which command the words reached; and a real
interactive zsh on a pseudo-terminal completes a few lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from koito_import import cli
from koito_import.commands import completion_tree as completion
from koito_import.commands.completion_shells import RENDERERS

PROG = [sys.executable, "-m", "koito_import"]


def script(tmp_path: Path, shell: str) -> Path:
    done = subprocess.run([*PROG, "completion", shell], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    path = tmp_path / f"koito-import.{shell}"
    path.write_text(done.stdout)
    return path


def shell(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bash(tmp_path: Path) -> None:
    path = script(tmp_path, "bash")

    def complete(*words: str) -> set[str]:
        line = " ".join(f'"{w}"' for w in words)
        out = shell(
            "bash",
            "-c",
            f'source "{path}"; COMP_WORDS=(koito-import {line}); '
            "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _koito_import; "
            'printf "%s\\n" "${COMPREPLY[@]}"',
        )
        return set(out.split())

    assert complete("ma") == {"maloja"}
    assert {"spotify", "db", "report", "completion", "inbox"} <= complete("")
    assert complete("db", "") == {"status", "upgrade"}
    assert complete("db", "status", "--") == {"--db", "--help"}
    assert complete("maloja", "export.json", "--dr") == {"--dry-run"}
    assert complete("completion", "") == {"bash", "zsh", "fish"}
    assert complete("maloja", "--db", "") == set()  # bash's file names take over
    assert shell("bash", "-c", f'source "{path}"; complete -p koito-import').strip() == (
        "complete -o default -F _koito_import koito-import"
    )


def test_fish(tmp_path: Path) -> None:
    path = script(tmp_path, "fish")

    def complete(line: str) -> set[str]:
        out = shell("fish", "--no-config", "-c", f'source "{path}"; complete -C "{line}"')
        return {row.split("\t")[0] for row in out.splitlines()}

    assert "maloja" in complete("koito-import ma")
    assert complete("koito-import db ") == {"status", "upgrade"}
    assert complete("koito-import db status --") == {"--db", "--help"}
    assert {"--dry-run", "--min-played"} <= complete("koito-import spotify x.zip --")
    assert "--min-played" not in complete("koito-import maloja x.json --")
    assert {"bash", "zsh", "fish"} <= complete("koito-import completion ")


ZSH_STUBS = """
_describe() { print -r -- "describe ${(P)2}" }
_arguments() { print -r -- "arguments $*" }
compdef() { print -r -- "compdef $*" }
"""


def test_zsh(tmp_path: Path) -> None:
    path = script(tmp_path, "zsh")
    assert path.read_text().startswith("#compdef koito-import\n")  # autoloadable from $fpath
    shell("zsh", "-n", str(path))

    def complete(*words: str, prefix: str = "") -> str:
        line = " ".join(f'"{w}"' for w in words)
        return shell(
            "zsh",
            "-f",
            "-c",
            f'{ZSH_STUBS}\nsource "{path}"\nwords=(koito-import {line}); CURRENT=${{#words}}; '
            f'PREFIX="{prefix}"; _koito_import',
        )

    assert complete("").startswith("compdef _koito_import koito-import\ndescribe ")
    assert "maloja:Import a Maloja export (JSON)" in complete("")
    assert "status:" in complete("db", "") and "maloja:" not in complete("db", "")
    spotify = complete("spotify", "x.zip", "--m", prefix="--m")
    assert "'--min-played[" in spotify or "--min-played[" in spotify
    assert "*:file:_files" in spotify
    assert "1:completion:(bash zsh fish)" in complete("completion", "")
    assert "--db[" in complete("db", "upgrade", "--", prefix="--")


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_every_command_and_option_is_in_every_script(name: str) -> None:
    """The scripts are generated from the command tree, so nothing can be forgotten."""
    import typer.main

    tree = completion.command_tree(typer.main.get_command(cli.app))
    text = RENDERERS[name](tree)
    for cmd in completion_walk(tree):
        if cmd.path:
            assert cmd.path[-1] in text
        for opt in cmd.options:
            for option in opt.names:
                assert (option.lstrip("-") if name == "fish" else option) in text


def completion_walk(cmd: completion.Cmd) -> list[completion.Cmd]:
    return [cmd, *(c for sub in cmd.subcommands for c in completion_walk(sub))]


# An interactive zsh on a pseudo-terminal (zsh's own zpty module), the script installed as
# $fpath's _koito-import, compinit run: a Tab after each line, then what the line became.
ZSH_TERMINAL = r"""
zmodload zsh/zpty
for line in "$@"; do
  zpty -b z "ZDOTDIR=$ZDOT zsh -i"
  zpty -w -n z "$line"$'\t'
  got=""
  end=$(( SECONDS + 20 ))
  while (( SECONDS < end )) && [[ $got != *"$line"?*' '* ]]; do
    chunk=""; zpty -r -t z chunk && got+=$chunk || sleep 0.1
    got=${got//$'\r'/}; got=${got//$'\e'\[[0-9\;\?]#[a-zA-Z]/}
  done
  print -r -- "${got//$'\n'/ }"
  zpty -d z
done
"""


def test_zsh_completes_in_a_terminal(tmp_path: Path) -> None:
    functions = tmp_path / "functions"
    functions.mkdir()
    script(tmp_path, "zsh").rename(functions / "_koito-import")
    (tmp_path / ".zshrc").write_text(
        f"fpath=({functions} $fpath)\nautoload -Uz compinit && compinit -u -d {tmp_path}/dump\n"
        "koito-import() { :; }\nsetopt extendedglob\nPS1='> '\n"
    )
    (tmp_path / "drive.zsh").write_text(ZSH_TERMINAL)
    lines = ["koito-import ma", "koito-import db st", "koito-import runs --li",
             "koito-import completion f", "koito-import spotify --min-p"]  # fmt: skip
    done = subprocess.run(
        ["zsh", "-f", "-o", "extendedglob", str(tmp_path / "drive.zsh"), *lines],
        env={**os.environ, "ZDOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=150,
    )
    shown = done.stdout.splitlines()
    assert len(shown) == len(lines), done.stderr
    for typed, seen in zip(lines, shown, strict=True):
        word = typed.split()[-1]
        expected = typed[: -len(word)] + COMPLETED[word] + " "
        assert expected in seen.replace("\b", ""), (expected, seen)


COMPLETED = {"ma": "maloja", "st": "status", "--li": "--limit", "f": "fish",
             "--min-p": "--min-played"}  # fmt: skip
