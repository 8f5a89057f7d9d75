"""The command tree as plain data, for the completion scripts (koito_import.commands.
completion_shells renders it): read from the click command typer builds, so every command,
option and choice is in the scripts without being listed twice."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Opt:
    names: list[str]
    takes_value: bool
    help: str
    choices: list[str] = field(default_factory=list)
    path: bool = False  # its value names a file (--db takes a path or a URL)


@dataclass(slots=True)
class Cmd:
    """One command of the tree; `path` is the words that call it (() for the program)."""

    path: tuple[str, ...]
    help: str
    options: list[Opt]
    subcommands: list[Cmd] = field(default_factory=list)
    arg_choices: list[str] = field(default_factory=list)
    takes_files: bool = False  # a positional argument that names files or folders


def command_tree(command: Any, path: tuple[str, ...] = ()) -> Cmd:
    """The click command `command` (typer's) as plain data the renderers walk."""
    options, choices, files = [], [], False
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        values = list(getattr(param.type, "choices", None) or [])
        if param.param_type_name == "argument":
            choices.extend(str(v) for v in values)
            files = files or "Path" in type(param.type).__name__
            continue
        names = [*param.opts, *param.secondary_opts]
        is_path = "Path" in type(param.type).__name__ or "--db" in names
        options.append(Opt(names, not param.is_flag, _first_sentence(param.help), values, is_path))
    options.append(Opt(["-h", "--help"], False, "Show the help and exit."))
    found = Cmd(
        path, command.short_help or _first_sentence(command.help), options, [], choices, files
    )
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not getattr(sub, "hidden", False):
            found.subcommands.append(command_tree(sub, (*path, name)))
    return found


def _first_sentence(text: str | None) -> str:
    """A help text's first sentence, on one line, short, without what shells' quoting
    chokes on (each renderer still escapes its own quote character)."""
    line = " ".join((text or "").split())
    line = re.split(r"(?<=\.)\s", line, maxsplit=1)[0].rstrip(".")
    line = re.sub(r"[\"`$\\\[\]]", "", line)
    return line if len(line) <= 72 else line[:71].rstrip() + "…"
