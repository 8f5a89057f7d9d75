"""`koito-import completion SHELL`: a static completion script for bash, zsh or fish.

Static on purpose: typer's own completion runs koito-import again on every Tab (a Python
start-up each time, plus shellingham at every start-up to detect the shell). This script is
generated from the command tree when asked, so it always matches the installed version, and a
Tab costs the shell nothing but its own functions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion_command(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.")],
) -> None:
    """Print a completion script: bash, zsh or fish (see the README for where it goes)."""
    # Here, not at start-up: every other command would pay for it.
    from koito_import.commands.completion_shells import RENDERERS
    from koito_import.commands.completion_tree import command_tree

    tree = command_tree(ctx.find_root().command)
    print(RENDERERS[shell.value](tree), end="")
