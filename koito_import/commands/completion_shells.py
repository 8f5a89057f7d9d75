"""The completion scripts themselves, one renderer per shell, from the command tree that
koito_import.commands.completion_tree builds. Each script is self-contained: completing never runs
koito-import. Option values complete as file names (most are paths or free text), or from
their choices when they have some."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from koito_import.commands.completion_tree import Cmd

PROG = "koito-import"
HEADER = "# {shell} completion for koito-import, written by `koito-import completion {shell}`\n"


def _zq(text: str) -> str:
    """Text inside a zsh single-quoted _arguments or _describe word."""
    return text.replace("'", "'\\''")


def _fq(text: str) -> str:
    """Text inside fish single quotes."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def walk(cmd: Cmd) -> Iterator[Cmd]:
    yield cmd
    for sub in cmd.subcommands:
        yield from walk(sub)


def _names(cmd: Cmd, *, values: bool | None = None) -> str:
    return " ".join(
        n for o in cmd.options if values is None or o.takes_value == values for n in o.names
    )


def bash(tree: Cmd) -> str:
    """COMP_WORDS is walked for the command words; an empty answer falls back on bash's file
    names (`complete -o default`)."""
    steps, per_path = [], []
    for cmd in walk(tree):
        here = " ".join(cmd.path)
        for sub in cmd.subcommands:
            steps.append(f'            "{here}:{sub.path[-1]}") cmdpath="{" ".join(sub.path)}" ;;')
        words = " ".join([*(s.path[-1] for s in cmd.subcommands), *cmd.arg_choices])
        per_path.append(
            f'        "{here}") opts="{_names(cmd)}"; valued="{_names(cmd, values=True)}";'
            f' words="{words}" ;;'
        )
    choices = [
        f'        "{" ".join(c.path)}:{n}") COMPREPLY=($(compgen -W "{" ".join(o.choices)}"'
        ' -- "$cur")); return ;;'
        for c in walk(tree)
        for o in c.options
        if o.choices
        for n in o.names
    ]
    return (
        HEADER.format(shell="bash")
        + "_koito_import() {\n"
        + '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"\n'
        + '    local cmdpath="" i opts valued words\n'
        + "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
        + '        case "$cmdpath:${COMP_WORDS[i]}" in\n'
        + "\n".join(steps)
        + "\n        esac\n    done\n"
        + '    case "$cmdpath" in\n'
        + "\n".join(per_path)
        + "\n    esac\n"
        + (f'    case "$cmdpath:$prev" in\n{chr(10).join(choices)}\n    esac\n' if choices else "")
        + '    if [[ " $valued " == *" $prev "* ]]; then COMPREPLY=(); return; fi\n'
        + '    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur"));\n'
        + '    else COMPREPLY=($(compgen -W "$words" -- "$cur")); fi\n'
        + "}\n"
        + f"complete -o default -F _koito_import {PROG}\n"
    )


def _zsh_spec(cmd: Cmd) -> str:
    specs = []
    for opt in cmd.options:
        for name in opt.names:
            value = ""
            if opt.takes_value:
                value = ":value:_files" if opt.path else ":value: "
                if opt.choices:
                    value = f":value:({' '.join(opt.choices)})"
            specs.append(f"'{name}[{_zq(opt.help)}]{value}'")
    if cmd.arg_choices:
        specs.append(f"'1:{cmd.path[-1]}:({' '.join(cmd.arg_choices)})'")
    elif cmd.takes_files:
        specs.append("'*:file:_files'")
    return " ".join(specs)


def zsh(tree: Cmd) -> str:
    """The command words are shifted off `words`, then _arguments completes the options of
    the command reached (or _describe its subcommands)."""
    steps, per_path = [], []
    for cmd in walk(tree):
        here = " ".join(cmd.path)
        for sub in cmd.subcommands:
            steps.append(f'            ("{here}:{sub.path[-1]}") cmdpath="{" ".join(sub.path)}" ;;')
        if cmd.subcommands:
            described = " ".join(f"'{s.path[-1]}:{_zq(s.help)}'" for s in cmd.subcommands)
            per_path.append(
                f'        ("{here}") if [[ $PREFIX == -* ]]; then _arguments {_zsh_spec(cmd)};'
                f" else local -a subs=({described}); _describe command subs; fi ;;"
            )
        else:
            per_path.append(f'        ("{here}") _arguments -S {_zsh_spec(cmd)} ;;')
    return (
        "#compdef koito-import\n"
        + HEADER.format(shell="zsh")
        + "_koito_import() {\n"
        + '    local cmdpath="" i depth=0\n'
        + "    for ((i = 2; i < CURRENT; i++)); do\n"
        + '        case "$cmdpath:${words[i]}" in\n'
        + "\n".join(steps)
        + "\n            (*) continue ;;\n        esac\n"
        + "        depth=$((i - 1))\n    done\n"
        + '    words=("${(@)words[depth+1,-1]}"); (( CURRENT -= depth ))\n'
        + '    case "$cmdpath" in\n'
        + "\n".join(per_path)
        + "\n    esac\n}\n"
        + f'if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _koito_import "$@";'
        f" else compdef _koito_import {PROG}; fi\n"
    )


def fish(tree: Cmd) -> str:
    """One `complete` line per command and option; a command's lines apply once all its
    words have been seen."""
    lines = [HEADER.format(shell="fish").rstrip("\n"), f"complete -c {PROG} -e"]
    for cmd in walk(tree):
        if cmd.path:
            seen = "; and ".join(f"__fish_seen_subcommand_from {w}" for w in cmd.path)
        else:
            seen = "__fish_use_subcommand"
        subs = [s.path[-1] for s in cmd.subcommands]
        if subs and cmd.path:
            seen_here = f"{seen}; and not __fish_seen_subcommand_from {' '.join(subs)}"
        else:
            seen_here = seen
        files = "" if cmd.takes_files else " -f"
        lines.append(f"complete -c {PROG} -n '{seen_here}'{files}")
        for sub in cmd.subcommands:
            lines.append(
                f"complete -c {PROG} -n '{seen_here}' -f -a {sub.path[-1]} -d '{_fq(sub.help)}'"
            )
        for choice in cmd.arg_choices:
            lines.append(f"complete -c {PROG} -n '{seen}' -f -a {choice}")
        for opt in cmd.options:
            flags = " ".join(
                f"-l {n[2:]}" if n.startswith("--") else f"-s {n[1:]}" for n in opt.names
            )
            value = " -r" if opt.takes_value else ""
            if opt.choices:
                value += f" -f -a '{' '.join(opt.choices)}'"
            lines.append(f"complete -c {PROG} -n '{seen_here}' {flags}{value} -d '{_fq(opt.help)}'")
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Cmd], str]] = {"bash": bash, "zsh": zsh, "fish": fish}
