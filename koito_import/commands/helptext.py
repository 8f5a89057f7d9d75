"""What `--help` shows: one complete line per command at 80 columns and wider, and usage
lines naming what each value is (`PATH...`, `--db URL`), not typer's `{paths}...` / `<str>`."""

import re

import typer
from typer.core import TyperCommand

# Click stops at 80 columns whatever the terminal; wider terminals get wider help.
CONTEXT = {"max_content_width": 120, "help_option_names": ["-h", "--help"]}

# Each fits the 62 cells an 80-column help screen leaves beside the longest command name, so
# click never cuts one ("..."); the full description is the command's own --help.
SHORT_HELP = {
    "maloja": "Import a Maloja export (JSON)",
    "spotify": "Import Spotify streaming history (JSON files or the zip)",
    "lastfm": "Import a Last.fm recent-tracks export (JSON or CSV)",
    "listenbrainz": "Import a ListenBrainz export (zip, .jsonl or JSON)",
    "koito": "Import a Koito export (JSON, version 1)",
    "auto": "Import any of these exports, detecting each file's kind",
    "runs": "List the runs that wrote to the database, newest first",
    "undo": "Take one run back: its listens and the entities it made",
    "inbox": "Import each file of Koito's import folder, then move it",
    "report": "Show what the database holds: listens per year, top lists",
    "db": "See where a database's schema stands, or bring it up to date",
    "status": "Say whether the database is Koito's and ready for imports",
    "upgrade": "Create Koito's schema, or add what koito-import needs",
    "completion": "Print a shell completion script: bash, zsh or fish",
    "sync": "Bring Koito up to date from Maloja, ListenBrainz or Last.fm",
    "sync maloja": "Sync from a running Maloja server, through its API",
    "sync listenbrainz": "Sync a ListenBrainz user's listens",
    "sync lastfm": "Sync a Last.fm user's scrobbles (user.getRecentTracks)",
}

_BRACED = re.compile(r"\{([^{}]*)\}")


class Command(TyperCommand):
    """A command whose usage line names its arguments plainly: typer writes a required
    argument as `{NAME}`, which reads like a set."""

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        return [_BRACED.sub(r"\1", piece) for piece in super().collect_usage_pieces(ctx)]
