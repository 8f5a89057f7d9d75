"""Run a Koito server binary (built elsewhere, never by this repository) on loopback.

    with KoitoServer("/path/to/koito", config_dir, database_url=None) as koito:
        koito.get("/apis/web/v1/stats?period=all_time")

SQLite when `database_url` is None (Koito v0.1.x needs KOITO_SQLITE_ENABLED; v0.2 always uses
`$KOITO_CONFIG_DIR/koito.db`); PostgreSQL otherwise. MusicBrainz, Deezer and the Cover Art
Archive are disabled; no image is fetched during imports.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class KoitoServer:
    def __init__(
        self,
        binary: str | Path,
        config_dir: str | Path,
        database_url: str | None = None,
        sqlite: bool = True,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.binary = str(binary)
        self.config_dir = Path(config_dir)
        self.port = free_port()
        self.log_path = self.config_dir / "koito.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "KOITO_CONFIG_DIR": str(self.config_dir),
            "KOITO_BIND_ADDR": LOOPBACK,
            "KOITO_LISTEN_PORT": str(self.port),
            "KOITO_DISABLE_MUSICBRAINZ": "true",
            "KOITO_DISABLE_DEEZER": "true",
            "KOITO_DISABLE_COVER_ART_ARCHIVE": "true",
            "KOITO_FETCH_IMAGES_DURING_IMPORT": "false",
            "KOITO_DISABLE_RATE_LIMIT": "true",
            "KOITO_LOG_LEVEL": "info",
            "TZ": "UTC",
        }
        if database_url:
            self.env["KOITO_DATABASE_URL"] = database_url
        if sqlite:
            self.env["KOITO_SQLITE_ENABLED"] = "true"
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout_s: float = 60) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [self.binary], env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.config_dir
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Koito exited with {self.proc.returncode}: see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + "/apis/web/v1/health", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"Koito did not answer within {timeout_s} s: see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> KoitoServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- HTTP --

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = None
        hdrs = dict(headers or {})
        if form is not None:
            data = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in form.items()).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, _decode(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, _decode(err.read())

    def get(self, path: str) -> Any:
        status, payload = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {payload}")
        return payload

    def login(self, username: str = "admin", password: str = "changeme") -> None:
        form = {"username": username, "password": password}
        status, payload = self.request("POST", "/apis/web/v1/login", form=form)
        if status >= 300:
            raise RuntimeError(f"login as {username}: HTTP {status}: {payload}")


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
