"""ListenBrainz: `GET /1/user/USER/listens` (https://listenbrainz.readthedocs.io/en/latest/users/
api/core.html). Given `min_ts` the service answers the `count` listens just above it (newest
first within the page), so a window is read oldest first, page after page, with `max_ts` fixed
at the window's top: listens scrobbled meanwhile shift nothing. Items are the export's own
listens, converted by the file reader. Rate limits: the `X-RateLimit-*` headers and 429
(services.http)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from koito_import.ledger.cursors import SyncKey
from koito_import.services.base import (
    Fetched,
    Secrets,
    Transient,
    at_second,
    converted,
    shown_url,
)
from koito_import.services.http import NOT_JSON, Http, Policy
from koito_import.sources.base import Item
from koito_import.sources.listenbrainz import listen_scrobble

NAME = "ListenBrainz"
DEFAULT_API_URL = "https://api.listenbrainz.org"
COUNT = 1000  # the most one request returns (MAX_ITEMS_PER_GET)


class ListenBrainzFeed:
    source = "sync:listenbrainz"
    descending = False

    def __init__(self, user: str, token: str | None, api_url: str, policy: Policy) -> None:
        self.user = user
        self.base = f"{api_url.rstrip('/')}/1/user/{quote(user)}"
        self.root = api_url.rstrip("/")
        self.key = SyncKey("listenbrainz", shown_url(api_url), user)
        self.shown = f"{shown_url(api_url)}/1/user/{quote(user)}"  # `runs` shows its last part
        self.stats = Fetched()
        secrets = Secrets()
        secrets.add(token)
        secrets.add(urlsplit(api_url).password)
        self.http = Http(NAME, policy, self.stats, secrets)
        self.headers = {"Authorization": f"Token {token}"} if token else {}
        self.count = 0  # the user's listens, as the service counts them

    def check(self) -> None:
        """A token given is checked (reading listens needs none, and would not say); the
        user's listen count is the progress total of a window reaching back to the start."""
        if self.headers:
            answer = self.http.get(f"{self.root}/1/validate-token", {}, self._judge, self.headers)
            if not answer.get("valid"):
                raise self.http.error(f"the token was refused ({answer.get('message')})")
        answer = self.http.get(f"{self.base}/listen-count", {}, self._judge, self.headers)
        payload = answer.get("payload")
        self.count = _int(payload.get("count")) if isinstance(payload, dict) else 0

    def pages(self, low: int, high: int) -> Iterator[list[Item]]:
        if low <= 0:
            self.stats.total += self.count
        above = low - 1  # min_ts and max_ts exclude their own second
        seen: list[Any] = []
        while True:
            params = {"min_ts": above, "max_ts": high + 1, "count": COUNT}
            answer = self.http.get(f"{self.base}/listens", params, self._judge, self.headers)
            payload = answer.get("payload")
            listens = payload.get("listens") if isinstance(payload, dict) else None
            if not isinstance(listens, list):
                raise self.http.error("answered without a list of listens")
            self.stats.pages += 1
            listens = [x for x in listens if not (isinstance(x, dict) and x.get("playing_now"))]
            where = f"{NAME} page {self.stats.pages}"
            window = (low, high)
            yield converted(reversed(listens), listen_scrobble, where, window, self.stats, seen)
            times = [_time(x) for x in listens]
            known = [t for t in times if t is not None]
            if len(listens) < COUNT or not known:
                return
            # Again from the newest second's start: a page may have cut that second's listens.
            newest = max(known)
            above = newest - 1 if min(known) < newest else newest
            seen = at_second(listens, times, newest) if above < newest else []

    def close(self) -> None:
        self.http.close()

    def _judge(self, status: int, document: Any, headers: Mapping[str, str]) -> Any:
        said = document.get("error") if isinstance(document, dict) else None
        if status == 429:
            raise Transient("rate limited (429)", _float(headers.get("X-RateLimit-Reset-In")))
        if status >= 500:
            raise Transient(f"server error {status}")
        if document is NOT_JSON:
            raise Transient(f"answered {status} with something that is not JSON")
        if status == 404:
            raise self.http.error(f"no user {self.user!r} ({said or 'not found'})")
        if status in (401, 403):
            raise self.http.error(f"the token was refused ({said or status})")
        if status != 200 or not isinstance(document, dict):
            raise self.http.error(f"answered {status}: {said or 'an unexpected document'}")
        return document


def _time(listen: Any) -> int | None:
    at = listen.get("listened_at") if isinstance(listen, dict) else None
    return at if type(at) is int else None


def _int(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0


def _float(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) + 0.1 if value is not None else None
    except ValueError:
        return None
