"""The import commands, one per source plus `auto`: read, import, print what happened."""

import inspect
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from rich.markup import escape
from rich.table import Table

from koito_import.commands.common import RERUN, Exit, classify, err, fail, json_line, out
from koito_import.commands.options import import_options, import_parameters
from koito_import.core.summary import Summary
from koito_import.importer.options import ImportOptions
from koito_import.importer.pipeline import run_import
from koito_import.importer.progress import PlainReporter, QuietReporter, RichReporter
from koito_import.sources import group_by_source

# One command per source (koito_import.sources.SOURCES, which a test keeps in step), plus auto.
SOURCE_HELP = {
    "maloja": "Maloja's export JSON (scrobbles or list form).",
    "spotify": "Spotify streaming history: Streaming_History_Audio_*.json, the export zip, or "
    "the older StreamingHistory*.json / endsong_*.json.",
    "lastfm": "Last.fm recent-tracks JSON export (pages) or CSV (artist,album,track,date).",
    "listenbrainz": "ListenBrainz export zip, .jsonl files, or the older JSON array.",
    "koito": "Koito's own export (version 1).",
    "auto": "Any of the formats above: the source is detected from each file.",
}


def source_command(source: str) -> Callable[..., None]:
    """The command importing `source`: every import option (--min-played where it applies)."""

    def command(**kwargs: Any) -> None:
        _run(source, **kwargs)

    leave_out = () if source in ("spotify", "auto") else ("min_played",)
    signature = inspect.Signature(import_parameters(*leave_out))
    command.__signature__ = signature  # type: ignore[attr-defined]
    command.__doc__ = SOURCE_HELP[source]
    return command


def _run(source: str, *, debug: bool = False, **kwargs: Any) -> None:
    try:
        options = import_options(source, **kwargs)
        for one in _by_source(options):
            summary = import_one(one, kwargs["quiet"], as_json=kwargs["json"])
            if kwargs["json"]:
                json_line(summary.as_json())
            if summary.interrupted:
                break
    except (Exception, KeyboardInterrupt) as exc:
        fail(*classify(exc, debug))
    if summary.interrupted:
        fail(
            Exit.INTERRUPTED,
            f"interrupted (Ctrl-C): stopped after the last whole batch, "
            f"{summary.inserted:,} listens inserted; {RERUN}",
        )


def _by_source(options: ImportOptions) -> Iterator[ImportOptions]:
    """`auto` imports each kind of export it is given as a run of its own, saying which."""
    if options.source != "auto":
        yield options
        return
    for source, paths in group_by_source(options.paths):
        shown = ", ".join(map(str, paths[:3]))
        if len(paths) > 3:
            shown += f" and {len(paths) - 3} more"
        err.print(f"koito-import: detected a {source} export: {escape(shown)}", soft_wrap=True)
        yield replace(options, source=source, paths=paths)


def import_one(options: ImportOptions, quiet: bool, as_json: bool) -> Summary:
    """One run, shown as the options ask: progress, then the summary table (and on a
    terminal what the run inserted) unless `as_json` (the caller prints the JSON)."""
    if not quiet:
        verb = "Checking against" if options.dry_run else "Importing into"
        err.print(f"koito-import: {verb} {escape(options.db.display())}", soft_wrap=True)
    reporter = _reporter(quiet)
    try:
        summary = run_import(options, reporter)
    finally:
        reporter.close()
    if not (as_json or quiet):
        out.print(_summary_table(summary))
        if out.is_terminal:
            _landed_report(options, summary)
    if summary.created_user and not as_json:
        # Plainly, last, even --quiet: Koito is open to anyone who knows the default
        # (--json: in `notes`).
        out.print(f"[bold]koito-import: {escape(summary.created_user)}[/]", soft_wrap=True)
    return summary


def _landed_report(options: ImportOptions, summary: Summary) -> None:
    """Below the summary table on a terminal: what this run inserted, and what it skipped."""
    from koito_import.report.charts import render_landed
    from koito_import.report.queries import landed_report

    report = landed_report(options.db, summary.landed, artists=not summary.dry_run)
    render_landed(report, summary, out)


def _reporter(quiet: bool) -> QuietReporter:
    if quiet:
        return QuietReporter()
    if err.is_terminal:
        return RichReporter(err)
    return PlainReporter()


def _summary_table(summary: Summary) -> Table:
    title = "Dry run: nothing written" if summary.dry_run else "Import summary"
    if summary.interrupted:
        title += " (interrupted: stopped after the last whole batch)"
    table = Table(title=title, show_header=False)
    rows: list[tuple[str, str]] = [
        ("database", summary.database),
        ("user", summary.user),
        ("read", f"{summary.read:,}"),
        ("skipped", f"{summary.skipped:,}"),
        *((f"  {reason}", f"{n:,}") for reason, n in summary.skip_reasons.most_common()),
        ("listens inserted", f"{summary.inserted:,}"),
        ("duplicates", f"{summary.duplicates:,}"),
        ("artists created", f"{summary.artists_created:,}"),
        ("releases created", f"{summary.releases_created:,}"),
        ("tracks created", f"{summary.tracks_created:,}"),
        ("elapsed", f"{summary.elapsed_s:.2f} s"),
    ]
    if summary.run_id is not None:
        rows.append(("run", f"{summary.run_id} (koito-import undo {summary.run_id} takes it back)"))
    for name, value in rows:
        table.add_row(name, value)
    return table
