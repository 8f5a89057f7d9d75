"""The import commands, one per source plus `auto`: read, import, print what happened."""

import inspect
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.markup import escape

from koito_import.commands.common import RERUN, Exit, classify, err, fail, json_line, out
from koito_import.commands.options import import_options, import_parameters
from koito_import.commands.summary import skip_hints, summary_table
from koito_import.core.summary import Summary
from koito_import.importer.options import ImportOptions
from koito_import.importer.pipeline import run_import
from koito_import.importer.progress import PlainReporter, QuietReporter, RichReporter
from koito_import.sources import group_by_source

# One command per source (koito_import.sources.SOURCES, which a test keeps in step), plus auto.
SOURCE_HELP = {
    "maloja": "Import a Maloja export: the JSON from /admin_overview (scrobbles or list form).",
    "spotify": "Import Spotify streaming history: Streaming_History_Audio_*.json files, a "
    "folder of them, the export zip, or the older StreamingHistory*.json / endsong_*.json.",
    "lastfm": "Import a Last.fm recent-tracks export: JSON pages (as the ghan.nl exporter "
    "writes them) or CSV with artist, album, track and date columns.",
    "listenbrainz": "Import a ListenBrainz export: the zip, .jsonl files, or the older JSON array.",
    "koito": "Import Koito's own export (JSON, version 1).",
    "auto": "Import Maloja, Spotify, Last.fm, ListenBrainz or Koito exports, detecting which "
    "each file is: a mix of exports is imported as one run per source.",
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
        shown = shown_paths(paths)
        err.print(f"koito-import: detected a {source} export: {escape(shown)}", soft_wrap=True)
        yield replace(options, source=source, paths=paths)


def import_one(options: ImportOptions, quiet: bool, as_json: bool) -> Summary:
    """One run, shown as the options ask: progress, then the summary table (and on a
    terminal what the run inserted) unless `as_json` (the caller prints the JSON)."""
    if not quiet:
        verb = "Checking against" if options.dry_run else "Importing into"
        err.print(f"koito-import: {verb} {escape(options.db.display())}", soft_wrap=True)
    reporter = _reporter(quiet, options.dry_run)
    try:
        summary = run_import(options, reporter)
    finally:
        reporter.close()
    if not as_json:  # --quiet hides the progress, not what the run did
        out.print(summary_table(summary))
        for hint in skip_hints(summary):
            err.print(f"koito-import: {hint}", soft_wrap=True)
        if out.is_terminal and not quiet:
            _landed_report(options, summary)
    if summary.created_user and not as_json:
        # Plainly, last, even --quiet, a note on stderr: Koito is open to anyone who knows
        # the default (--json: in `notes`).
        err.print(f"[bold]koito-import: {escape(summary.created_user)}[/]", soft_wrap=True)
    return summary


def shown_paths(paths: list[Path], at_most: int = 3) -> str:
    """The paths, or the first few and how many more: never "and 1 more" for a name that
    fits in its place."""
    if len(paths) <= at_most + 1:
        return ", ".join(map(str, paths))
    return ", ".join(map(str, paths[:at_most])) + f" and {len(paths) - at_most} more"


def _landed_report(options: ImportOptions, summary: Summary) -> None:
    """Below the summary table on a terminal: what this run inserted, and what it skipped."""
    from koito_import.report.charts import render_landed
    from koito_import.report.queries import landed_report

    report = landed_report(options.db, summary.landed, artists=not summary.dry_run)
    render_landed(report, summary, out)


def _reporter(quiet: bool, dry_run: bool) -> QuietReporter:
    if quiet:
        return QuietReporter()
    if err.is_terminal:
        return RichReporter(err, dry_run=dry_run)
    return PlainReporter(dry_run=dry_run)
