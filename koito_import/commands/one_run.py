"""One import run as the command line shows it: progress, the summary table, the short
report of what it inserted, and its notes (import commands, `auto` and `inbox` share it)."""

from rich.markup import escape

from koito_import.commands.common import RERUN, Exit, err, fail, out
from koito_import.commands.summary import skip_hints, summary_table
from koito_import.core.summary import Summary
from koito_import.importer.options import ImportOptions
from koito_import.importer.pipeline import run_import
from koito_import.importer.progress import PlainReporter, QuietReporter, RichReporter


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


def stop_if_interrupted(summary: Summary) -> None:
    """Ctrl-C during a run ends the command after its last whole batch (exit 130)."""
    if summary.interrupted:
        fail(
            Exit.INTERRUPTED,
            f"interrupted (Ctrl-C): stopped after the last whole batch, "
            f"{summary.inserted:,} listens inserted; {RERUN}",
        )
