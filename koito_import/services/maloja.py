"""Maloja: a running server's native API, `/apis/mlj_1/` (its own documentation: GET
`/apis/mlj_1/` on a server; maloja/apis/native_v1.py). `scrobbles` pages newest first
(`page` from 0, `perpage`); ranges are whole days in the server's time zone (`since=2024/05/01`),
so a window is asked from the day before its start and cut here. No `to` is given: scrobbles
arriving meanwhile push older ones down a page, which only shows some twice (a listen already
there is kept as is). Without `since`, Maloja reaches back only to where its history began when
it started: it is always given. Items are the export's own scrobbles, converted by the file
reader. Maloja states no rate limit: one request at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from koito_import.ledger.cursors import SyncKey
from koito_import.services.base import Fetched, Secrets, Transient, converted, shown_url
from koito_import.services.http import NOT_JSON, Http, Policy
from koito_import.sources.base import Item
from koito_import.sources.maloja import to_scrobble

NAME = "Maloja"
API = "/apis/mlj_1"
PER_PAGE = 500
DAY_S = 86_400


class MalojaFeed:
    source = "sync:maloja"
    descending = True

    def __init__(self, url: str, api_key: str | None, policy: Policy) -> None:
        self.root = url.strip().rstrip("/")
        self.api_key = api_key
        server = shown_url(url)
        self.key = SyncKey("maloja", server, "")
        self.shown = server
        self.stats = Fetched()
        secrets = Secrets()
        secrets.add(api_key)
        secrets.add(_password(url))
        self.http = Http(f"{NAME} at {server}", policy, self.stats, secrets)

    def check(self) -> None:
        info = self.http.get(f"{self.root}{API}/serverinfo", {}, self._judge_server)
        if not isinstance(info, dict) or "versionstring" not in info:
            raise self.http.error("this is not a Maloja server (no serverinfo)")
        if self.api_key:
            self.http.get(f"{self.root}{API}/test", {"key": self.api_key}, self._judge_key)

    def pages(self, low: int, high: int) -> Iterator[list[Item]]:
        since = time.strftime("%Y/%m/%d", time.gmtime(max(low - DAY_S, 0)))
        count = self.http.get(f"{self.root}{API}/numscrobbles", {"since": since}, self._judge)
        self.stats.total += _int(count.get("amount"))
        page = 0
        while True:
            params = {"since": since, "perpage": PER_PAGE, "page": page}
            answer = self.http.get(f"{self.root}{API}/scrobbles", params, self._judge)
            scrobbles = answer.get("list")
            if not isinstance(scrobbles, list):
                raise self.http.error("answered without a list of scrobbles")
            self.stats.pages += 1
            where = f"{NAME} page {page}"
            yield converted(scrobbles, to_scrobble, where, (low, high), self.stats, [])
            times = [s["time"] for s in scrobbles if isinstance(s, dict) and _int(s.get("time"))]
            if len(scrobbles) < PER_PAGE or (times and min(times) < low):
                return
            page += 1

    def close(self) -> None:
        self.http.close()

    def _judge(self, status: int, document: Any, headers: Mapping[str, str]) -> Any:
        if status >= 500:
            raise Transient(f"server error {status}")
        if document is NOT_JSON:
            raise Transient(f"answered {status} with something that is not JSON")
        if status != 200 or not isinstance(document, dict):
            said = document.get("error") if isinstance(document, dict) else None
            raise self.http.error(f"answered {status}: {said or 'an unexpected document'}")
        return document

    def _judge_server(self, status: int, document: Any, headers: Mapping[str, str]) -> Any:
        if status >= 500:
            raise Transient(f"server error {status}")
        if status != 200 or not isinstance(document, dict):
            raise self.http.error(f"this is not a Maloja server (serverinfo answered {status})")
        return document

    def _judge_key(self, status: int, document: Any, headers: Mapping[str, str]) -> Any:
        if status == 403:
            raise self.http.error("the API key was refused")
        return self._judge(status, document, headers)


def _password(url: str) -> str | None:
    return urlsplit(url).password


def _int(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0
