"""`koito-import sync …`: Koito brought up to date from a service itself (SPEC §9): `sync maloja
URL`, `sync listenbrainz USER`, `sync lastfm USER`, and `sync` alone for every source of a
config file (commands.sync_config). The service clients (and httpx) load only when a sync runs."""

import inspect
import os
import time
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer._click.core import ParameterSource

from koito_import.commands import sync_config
from koito_import.commands.common import Exit, UsageProblem, classify, err, fail, json_line, out
from koito_import.commands.helptext import CONTEXT, SHORT_HELP, Command
from koito_import.commands.options import import_options, import_parameters
from koito_import.commands.summary import summary_table
from koito_import.commands.sync_config import FILE_NAME

DAY_S = 86_400
SYNC_HELP = (
    "Bring Koito up to date from Maloja, ListenBrainz or Last.fm themselves: only what is new "
    "since the last sync (minus --overlap), page by page, resumable. `sync` alone syncs every "
    "source of the config file."
)
sync_app = typer.Typer(help=SYNC_HELP, rich_markup_mode=None, context_settings=CONTEXT)


def _sync_options(
    overlap: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="DAYS",
            help="Days fetched again below the newest synced listen (late scrobbles).",
        ),
    ] = 14.0,
    full: Annotated[
        bool, typer.Option("--full", help="Fetch the whole history again (nothing doubles).")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            min=1, metavar="SECONDS", help="Seconds to wait for an answer before asking again."
        ),
    ] = 30.0,
) -> None:
    """Only the signature is used: the options every sync adds to the import options."""


SECRET_HELP = "Also from {} (better: a command line is visible to other users)."


def _parameters(*first: inspect.Parameter) -> inspect.Signature:
    own = inspect.signature(_sync_options).parameters.values()
    return inspect.Signature([*first, *import_parameters("paths", "min_played"), *own])


def _argument(name: str, metavar: str, help_: str) -> inspect.Parameter:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    annotation = Annotated[str, typer.Argument(help=help_, metavar=metavar)]
    return inspect.Parameter(name, kind, annotation=annotation)


def _option(
    name: str, flag: str, metavar: str, help_: str, envvar: str | None = None
) -> inspect.Parameter:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    option = typer.Option(flag, envvar=envvar, metavar=metavar, help=help_, show_default=False)
    return inspect.Parameter(name, kind, default=None, annotation=Annotated[str | None, option])


def _api_url(default: str) -> inspect.Parameter:
    return _option("api_url", "--api-url", "URL", f"The service's API root (default {default}).")


def maloja_command(**kw: Any) -> None:
    """A running Maloja server, through its native API (/apis/mlj_1/)."""
    _exit_with(run_one("maloja", kw.pop("url"), kw.pop("api_key"), None, **kw))


def listenbrainz_command(**kw: Any) -> None:
    """A ListenBrainz user's listens (GET /1/user/USER/listens)."""
    user, token, api_url = kw.pop("user_name"), kw.pop("token"), kw.pop("api_url")
    _exit_with(run_one("listenbrainz", user, token, api_url, **kw))


def lastfm_command(**kw: Any) -> None:
    """A Last.fm user's scrobbles (user.getRecentTracks)."""
    _exit_with(run_one("lastfm", kw.pop("user_name"), kw.pop("api_key"), kw.pop("api_url"), **kw))


maloja_command.__signature__ = _parameters(  # type: ignore[attr-defined]
    _argument("url", "URL", "The Maloja server: https://maloja.example.org"),
    _option("api_key", "--api-key", "KEY", SECRET_HELP.format("MALOJA_API_KEY"), "MALOJA_API_KEY"),
)
listenbrainz_command.__signature__ = _parameters(  # type: ignore[attr-defined]
    _argument("user_name", "USER", "The ListenBrainz user."),
    _option(
        "token", "--token", "TOKEN", SECRET_HELP.format("LISTENBRAINZ_TOKEN"), "LISTENBRAINZ_TOKEN"
    ),
    _api_url("https://api.listenbrainz.org"),
)
lastfm_command.__signature__ = _parameters(  # type: ignore[attr-defined]
    _argument("user_name", "USER", "The Last.fm user."),
    _option("api_key", "--api-key", "KEY", SECRET_HELP.format("LASTFM_API_KEY"), "LASTFM_API_KEY"),
    _api_url("https://ws.audioscrobbler.com/2.0/"),
)


def run_one(
    service: str, target: str, secret: str | None, api_url: str | None, **kw: Any
) -> tuple[Exit, str]:
    """Sync one source and show it; (exit code, its one-line failure or "")."""
    from koito_import.services.base import Secrets, ServiceError

    secrets = Secrets()
    secrets.add(secret)
    debug = kw.pop("debug", False)
    try:
        code, message = _sync(service, target, secret, api_url, kw)
    except ServiceError as exc:
        code, message = Exit.SERVICE, str(exc)
    except (Exception, KeyboardInterrupt) as exc:
        if debug and not isinstance(exc, KeyboardInterrupt):
            err.print(secrets.mask(traceback.format_exc()), markup=False, highlight=False)
        code, message = classify(exc, debug=False)
    else:
        return code, message
    message = secrets.mask(message)
    if kw["json"]:  # a line for every source, also one that failed before its run began
        json_line({"service": f"sync:{service}", "error": message, "exit_code": int(code)})
    return code, message


def _sync(
    service: str, target: str, secret: str | None, api_url: str | None, kw: dict[str, Any]
) -> tuple[Exit, str]:
    from koito_import.importer.streaming import SyncPlan, run_sync
    from koito_import.importer.sync_progress import sync_reporter
    from koito_import.services.http import Policy

    overlap, full, timeout = kw.pop("overlap"), kw.pop("full"), kw.pop("timeout")
    options = import_options(f"sync:{service}", paths=[], **kw)
    backoff = float(os.environ.get("KOITO_IMPORT_BACKOFF_S", "1"))  # tests make it short
    feed = _feed(service, target, secret, api_url, Policy(timeout_s=timeout, backoff_s=backoff))
    upper = int(time.time()) if options.before is None else min(options.before, int(time.time()))
    plan = SyncPlan(upper, max(options.after or 0, 0), int(overlap * DAY_S), full)
    if not kw["quiet"]:
        verb = "Checking against" if options.dry_run else "Syncing into"
        err.print(
            f"koito-import: {verb} {escape(options.db.display())} from {escape(feed.shown)}",
            soft_wrap=True,
        )
    reporter = sync_reporter(kw["quiet"], err)
    try:
        summary = run_sync(options, feed, plan, reporter)
    finally:
        reporter.close()
        feed.close()
    _show(summary, kw["quiet"], kw["json"])
    return (Exit.SERVICE, summary.error) if summary.error else (Exit.OK, "")


def _feed(service: str, target: str, secret: str | None, api_url: str | None, policy: Any) -> Any:
    from koito_import.services import lastfm, listenbrainz, maloja

    for url in (target if service == "maloja" else None, api_url):
        if url is not None and not url.startswith(("http://", "https://")):
            raise UsageProblem(f"{url!r} is not a URL: start it with https:// (or http://)")
    if service == "maloja":
        return maloja.MalojaFeed(target, secret, policy)
    if service == "listenbrainz":
        url = api_url or listenbrainz.DEFAULT_API_URL
        return listenbrainz.ListenBrainzFeed(target, secret, url, policy)
    if not secret:
        raise UsageProblem("Last.fm needs an API key: --api-key, or LASTFM_API_KEY")
    return lastfm.LastfmFeed(target, secret, api_url or lastfm.DEFAULT_API_URL, policy)


def _show(summary: Any, quiet: bool, as_json: bool) -> None:
    if as_json:
        json_line(summary.as_json())
    elif not quiet:
        table = summary_table(summary)
        table.title = ("Dry run: nothing written" if summary.dry_run else "Sync summary") + (
            " (stopped by the service's failure)" if summary.error else ""
        )
        f = summary.fetch
        table.add_row("fetched", f"{f.fetched:,} in {f.pages:,} pages")
        table.add_row("requests", f"{f.requests:,} ({f.retries:,} retries)")
        newest = "" if f.newest is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(f.newest))
        table.add_row("newest listen", f"{newest} UTC" if newest else "none")
        out.print(table)
    if summary.created_user and not as_json:
        out.print(f"[bold]koito-import: {escape(summary.created_user)}[/]", soft_wrap=True)


def _exit_with(result: tuple[Exit, str]) -> None:
    code, message = result
    if code:
        fail(code, message)


def sync_all_command(ctx: typer.Context, **kw: Any) -> None:
    """Every source of the config file, one run each: a source that fails does not stop the
    others, and the exit code is the first failure's."""
    if ctx.invoked_subcommand is not None:
        return
    path = kw.pop("config") or sync_config.default_path()
    if path is None:
        fail(Exit.USAGE, "name the config file (--config FILE) or set KOITO_CONFIG_DIR")
    try:
        sources = sync_config.read_config(path)
    except UsageProblem as exc:
        fail(Exit.USAGE, str(exc))
    if sync_config.exposed(path, sources):
        err.print(
            f"[yellow]koito-import: warning: {escape(str(path))} holds a secret and other users "
            f"can read it: chmod 600 {escape(str(path))}[/]",
            soft_wrap=True,
        )
    given = {name for name in kw if ctx.get_parameter_source(name) != ParameterSource.DEFAULT}
    first = Exit.OK
    for source in sources:
        options = {**kw, **source.options, **{name: kw[name] for name in given}}
        code, message = run_one(
            source.service, source.target, source.secret, source.api_url, **options
        )
        if code:
            one_line = " ".join(message.split())
            err.print(f"[red]koito-import: {escape(one_line)}[/]", soft_wrap=True)
            first = first or code
        if code == Exit.INTERRUPTED:  # Ctrl-C stops every source, not only this one
            break
    if first:
        raise typer.Exit(int(first))


_CONFIG = inspect.Parameter(
    "config",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    default=None,
    annotation=Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help=f"The sources to sync (default: $KOITO_CONFIG_DIR/{FILE_NAME})."
        ),
    ],
)
_CONTEXT = inspect.Parameter(
    "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
)
sync_all_command.__signature__ = _parameters(_CONTEXT, _CONFIG)  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    """`sync` and its three commands, on `app`."""
    sync_app.callback(invoke_without_command=True)(sync_all_command)
    for name, command in SYNC_COMMANDS.items():
        sync_app.command(name, cls=Command, short_help=SHORT_HELP[f"sync {name}"])(command)
    app.add_typer(sync_app, name="sync", short_help=SHORT_HELP["sync"])


SYNC_COMMANDS = {
    "maloja": maloja_command,
    "listenbrainz": listenbrainz_command,
    "lastfm": lastfm_command,
}
