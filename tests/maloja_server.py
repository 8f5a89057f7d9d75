"""A real Maloja server for the tests: `malojaserver` from its own virtual environment.

`make maloja` (run by `make install` and .ci/run) installs the pinned server into .venv-maloja/;
KOITO_TEST_MALOJA may name another `maloja` executable. Nothing here needs pytest or a network:
the server listens on a free 127.0.0.1 port, keeps everything in one data directory, and every
setting that would reach the internet (image and metadata providers, proxy scrobbling) is off.

    with MalojaServer() as server:  # started, answering, API key written
        server.scrobble(["Björk"], "Jóga", album="Homogenic", time=1_700_000_000)
        server.scrobbles()  # newest first

`seed()` fills the database from a Maloja export through `maloja import`, before `start()`.

Facts about Maloja 3.2.3 that callers meet (read from its source and seen on the server):
- a scrobble's time is the primary key: a second scrobble of another track in the same second is
  refused (409), of the same track ignored (200 with a warning), so give each one its own time;
- GET /apis/mlj_1/scrobbles without `since` only reaches back to the oldest scrobble the server
  had when it started (or its start time, when empty): scrobbles posted later with older times
  are missed. `scrobbles()` therefore asks since 1970/01/01 unless told otherwise;
- ranges take days, not instants (`since=2024/05/01`, `to=2024/05`, `in=2024/w18`, `today`),
  in the server's UTC offset (set to 0 here); a Unix time or an ISO date is a 500.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXECUTABLE_ENV = "KOITO_TEST_MALOJA"
DEFAULT_EXECUTABLE = REPO / ".venv-maloja" / "bin" / "maloja"
API_PATH = "/apis/mlj_1"
API_KEY = "koitoimporttestkey0123456789abcdef"
KEY_NAME = "koito-import-tests"
# The web admin's password (doreah auth), fixed so that a test could log in; the API key suffices
# for scrobbling.
PASSWORD = "koito-import-tests"
# Days in `since`/`to` are Maloja's own (year/month/day) format.
EPOCH = "1970/01/01"


class MalojaNotInstalled(RuntimeError):
    pass


class MalojaError(RuntimeError):
    """The server did not start, or answered an API call with an error."""


def maloja_executable() -> Path:
    named = os.environ.get(EXECUTABLE_ENV)
    path = Path(named) if named else DEFAULT_EXECUTABLE
    if not path.exists():
        raise MalojaNotInstalled(
            f"no Maloja server at {path}: run `make maloja` (or set {EXECUTABLE_ENV})"
        )
    return path


def export_scrobble(
    time: int,
    artists: Sequence[str],
    title: str,
    *,
    album: str | None = None,
    album_artists: Sequence[str] | None = None,
    length: int | None = None,
    duration: int | None = None,
) -> dict[str, Any]:
    """One scrobble as Maloja exports it (and as `seed()` takes it)."""
    return {
        "time": time,
        "track": {
            "artists": list(artists),
            "title": title,
            "album": (
                {"artists": list(album_artists or artists), "albumtitle": album} if album else None
            ),
            "length": length,
        },
        "duration": duration,
        "origin": "client:koito-import-tests",
    }


class MalojaServer:
    """One `maloja run` process on 127.0.0.1 with its own data directory."""

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        api_key: str = API_KEY,
        executable: Path | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="koito-import-maloja-"))
        self.api_key = api_key
        self.executable = executable or maloja_executable()
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> MalojaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server-output.log"

    def environment(self) -> dict[str, str]:
        """The process environment: the caller's, less its MALOJA_* settings, plus ours."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALOJA_")}
        env.pop("PATH_SEPARATOR", None)  # would change how list settings below are split
        env.update(
            MALOJA_DATA_DIRECTORY=str(self.data_dir),
            MALOJA_SKIP_SETUP="yes",  # no prompts: unset third-party keys are stored as False
            MALOJA_FORCE_PASSWORD=PASSWORD,
            MALOJA_HOST="127.0.0.1",
            MALOJA_PORT=str(self.port or 42010),
            MALOJA_TIMEZONE="0",
            MALOJA_CLEAN_OUTPUT="yes",
            # Offline: no image or metadata look-ups (Deezer and MusicBrainz need no key, so
            # they are on by default), no proxy scrobbling, no image downloads.
            MALOJA_METADATA_PROVIDERS="",
            MALOJA_SCROBBLE_LASTFM="no",
            MALOJA_PROXY_IMAGES="no",
        )
        return env

    def start(self) -> MalojaServer:
        """Start the server and wait until its database answers; retried on a taken port."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._write_api_key()
        began = time.monotonic()
        for attempt in range(3):
            self.port = _free_port()
            with self.log_file.open("ab") as log:
                self._process = subprocess.Popen(
                    [str(self.executable), "run"],
                    cwd=self.data_dir,
                    env=self.environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, ended whole by stop()
                )
            if self._wait_until_ready(began + self.start_timeout):
                self.startup_seconds = time.monotonic() - began
                return self
            output = self._log_tail()
            self._kill()
            if "Is another Maloja process already running" not in output or attempt == 2:
                raise MalojaError(f"Maloja did not start on port {self.port}:\n{output}")
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """End the server's process group; delete the data directory if this object made it."""
        self._kill()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        process.wait(5)

    def _wait_until_ready(self, deadline: float) -> bool:
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                status, info = self.get("serverinfo", timeout=2)
            except OSError:
                status, info = 0, None
            db = info.get("db_status", {}) if isinstance(info, dict) else {}
            if status == 200 and db.get("healthy") and db.get("complete"):
                return True
            time.sleep(0.05)
        return False

    def _write_api_key(self) -> None:
        """apikeys.yml maps a client's name to its key; with one there, setup makes none."""
        (self.data_dir / "apikeys.yml").write_text(
            f"{KEY_NAME}: {json.dumps(self.api_key)}\n", encoding="utf-8"
        )

    def _log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    # -- seeding ------------------------------------------------------------------------------

    def seed(self, scrobbles: Iterable[Mapping[str, Any]] | Path) -> int:
        """Import a Maloja export (scrobble dicts as `export_scrobble` makes, or an export file)
        with `maloja import`, before the server starts. Returns how many were imported."""
        if self.running:
            # The running server would neither see the older scrobbles nor drop its caches.
            raise MalojaError("seed() before start(), or stop() first")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # `maloja import` knows a Maloja export by its name: maloja_export[_0-9]*.json
        target = self.data_dir / f"maloja_export_{time.time_ns()}.json"
        if isinstance(scrobbles, Path):
            shutil.copyfile(scrobbles, target)
        else:
            data = {"maloja": {"export_time": int(time.time())}, "scrobbles": list(scrobbles)}
            target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        try:
            result = subprocess.run(
                [str(self.executable), "import", str(target)],
                cwd=self.data_dir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            target.unlink()
        found = re.search(r"Successfully imported (\d+) scrobbles", result.stdout)
        if result.returncode != 0 or not found:
            raise MalojaError(f"maloja import failed:\n{result.stdout[-2000:]}{result.stderr}")
        return int(found.group(1))

    # -- the native API -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise MalojaError("the server has not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + API_PATH

    def request(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        timeout: float = 30,
    ) -> tuple[int, Any]:
        """(HTTP status, decoded JSON or text) of /apis/mlj_1/<endpoint>; errors are returned."""
        url = f"{self.api_url}/{endpoint}"
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        text = raw.decode("utf-8", errors="replace")
        try:
            return status, json.loads(text)
        except json.JSONDecodeError:
            return status, text

    def get(self, endpoint: str, timeout: float = 30, **params: Any) -> tuple[int, Any]:
        return self.request("GET", endpoint, params=params, timeout=timeout)

    def scrobble(
        self,
        artists: Sequence[str],
        title: str,
        *,
        time: int | None = None,
        album: str | None = None,
        album_artists: Sequence[str] | None = None,
        duration: int | None = None,
        length: int | None = None,
        nofix: bool = False,
    ) -> dict[str, Any]:
        """POST /apis/mlj_1/newscrobble with the API key; `time` (Unix seconds) backdates it."""
        body: dict[str, Any] = {"key": self.api_key, "artists": list(artists), "title": title}
        optional = {
            "time": time,
            "album": album,
            "albumartists": list(album_artists) if album_artists is not None else None,
            "duration": duration,
            "length": length,
            "nofix": True if nofix else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        status, result = self.request("POST", "newscrobble", body=body)
        if status != 200 or not isinstance(result, dict) or result.get("status") != "success":
            raise MalojaError(f"newscrobble answered {status}: {result}")
        return result

    def scrobbles(self, **params: Any) -> list[dict[str, Any]]:
        """GET /apis/mlj_1/scrobbles (newest first; `reverse="no"` for oldest first), since
        1970/01/01 unless `since`, `from`, `to` or `in` is given (see the module's notes)."""
        if not {"since", "from", "start", "in", "within", "during"} & params.keys():
            params["since"] = EPOCH
        status, result = self.get("scrobbles", **params)
        if status != 200 or not isinstance(result, dict) or result.get("status") != "ok":
            raise MalojaError(f"scrobbles answered {status}: {result}")
        return result["list"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
