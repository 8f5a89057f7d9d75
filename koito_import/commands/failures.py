"""Commands that try several things (`auto`'s sources, the inbox's files): each failure said
on one line as it happens, then a closing list, so that none scrolls away unseen."""

from dataclasses import dataclass

from rich.markup import escape

from koito_import.commands.common import err


@dataclass(frozen=True, slots=True)
class Failure:
    what: str  # the source that failed ("" when the message names all there is to name)
    code: int  # its exit code
    message: str


def one_line(text: str) -> str:
    return " ".join(text.split())


def say_failure(failure: Failure) -> None:
    err.print(f"[red]koito-import: {escape(one_line(failure.message))}[/]", soft_wrap=True)


def closing_list(failures: list[Failure], tried: int) -> None:
    """What failed, last: the first failure's code is the command's."""
    err.print(f"[red]koito-import: {len(failures)} of {tried} failed:[/]", soft_wrap=True)
    for failure in failures:
        what = f"{failure.what}: " if failure.what else ""
        line = f"  {what}{one_line(failure.message)} (exit {failure.code})"
        err.print(escape(line), soft_wrap=True, highlight=False)
