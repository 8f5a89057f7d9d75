"""The import commands, one per source plus `auto`: read, import, print what happened."""

import inspect
from collections.abc import Callable
from typing import Any

import typer

from koito_import.commands.auto import run_auto
from koito_import.commands.common import classify, fail, json_line
from koito_import.commands.one_run import import_one, stop_if_interrupted
from koito_import.commands.options import import_options, import_parameters

__all__ = ["SOURCE_HELP", "import_one", "source_command"]  # import_one: the inbox's too

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
    quiet, as_json = kwargs["quiet"], kwargs["json"]
    try:
        options = import_options(source, **kwargs)
        if source == "auto":
            run_auto(options, quiet, as_json, debug)
            return
        summary = import_one(options, quiet, as_json)
    except typer.Exit:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        fail(*classify(exc, debug))
    if as_json:
        json_line(summary.as_json())
    stop_if_interrupted(summary)
