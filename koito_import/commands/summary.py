"""The table an import prints when it ends: what it read, skipped, inserted and created."""

from rich.table import Table

from koito_import.core.summary import Summary


def summary_table(summary: Summary) -> Table:
    title = "Dry run: nothing written" if summary.dry_run else "Import summary"
    if summary.interrupted:
        title += " (interrupted: stopped after the last whole batch)"
    # A dry run inserts and creates nothing: its numbers are what a run would do.
    inserted, created = ("to insert", "to create") if summary.dry_run else ("inserted", "created")
    table = Table(title=title, show_header=False)
    rows: list[tuple[str, str]] = [
        ("database", summary.database),
        ("user", summary.user),
        ("read", f"{summary.read:,}"),
        ("skipped", f"{summary.skipped:,}"),
        *((f"  {reason}", f"{n:,}") for reason, n in summary.skip_reasons.most_common()),
        (f"listens {inserted}", f"{summary.inserted:,}"),
        ("duplicates", f"{summary.duplicates:,}"),
        (f"artists {created}", f"{summary.artists_created:,}"),
        (f"releases {created}", f"{summary.releases_created:,}"),
        (f"tracks {created}", f"{summary.tracks_created:,}"),
        ("elapsed", f"{summary.elapsed_s:.2f} s"),
    ]
    if summary.run_id is not None:
        rows.append(("run", _run_note(summary)))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _run_note(summary: Summary) -> str:
    """Undo only where the run changed something: a run that inserted nothing has nothing
    to take back."""
    created = summary.artists_created + summary.releases_created + summary.tracks_created
    if summary.inserted or created:
        return f"{summary.run_id} (koito-import undo {summary.run_id} takes it back)"
    return f"{summary.run_id} (it inserted nothing: nothing to undo)"


def skip_hints(summary: Summary) -> list[str]:
    """What the user can do about the plays skipped for being short (Spotify)."""
    hints = []
    unfinished = summary.skip_reasons.get("not played to the end", 0)
    if unfinished:
        hints.append(
            f"{unfinished:,} plays were skipped as not played to the end (Koito's rule); "
            "--min-played 30 also counts plays of at least 30 s"
        )
    short = sum(n for r, n in summary.skip_reasons.items() if r.startswith("played less than"))
    if short:
        hints.append(
            f"{short:,} plays were skipped as too short; --min-played S sets the shortest "
            "play that counts (account data: 30 s unless given)"
        )
    return hints
