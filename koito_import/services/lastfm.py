"""Last.fm: `user.getRecentTracks` (https://www.last.fm/api/show/user.getRecentTracks), with
`extended=1`. A window is read newest first, always as page 1 of `from..to` with `to` moved
down to the oldest second seen: scrobbles arriving meanwhile (above the window, or late inside
it) shift no page past a listen, and deep page numbers, slow on Last.fm, are never asked.
Items are the export's own tracks, converted by the file reader; the track playing now is no
listen and is left out. At most five requests a second (the API terms, 4.4); error 29 (rate
limit) and 8, 11, 16 (temporary) are asked again (services.http)."""

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
from koito_import.sources.lastfm import track_scrobble

NAME = "Last.fm"
DEFAULT_API_URL = "https://ws.audioscrobbler.com/2.0/"
LIMIT = 200  # the documented maximum per page
MIN_INTERVAL_S = 0.2
TRANSIENT = {8, 11, 16, 29}
WRONG_KEY = {10, 26}


class LastfmFeed:
    source = "sync:lastfm"
    descending = True

    def __init__(self, user: str, api_key: str, api_url: str, policy: Policy) -> None:
        self.user = user
        self.url = api_url if api_url.endswith("/") else api_url + "/"
        self.key = SyncKey("lastfm", shown_url(api_url), user)
        self.shown = f"{shown_url(api_url)}/?method=user.getrecenttracks&user={quote(user)}"
        self.stats = Fetched()
        secrets = Secrets()
        secrets.add(api_key)
        secrets.add(urlsplit(api_url).password)
        policy.min_interval_s = max(policy.min_interval_s, MIN_INTERVAL_S)
        self.http = Http(NAME, policy, self.stats, secrets)
        self.params = {
            "method": "user.getrecenttracks",
            "user": user,
            "api_key": api_key,
            "format": "json",
            "extended": 1,
            "limit": LIMIT,
            "page": 1,
        }

    def check(self) -> None:
        """The first page says all a check would."""

    def pages(self, low: int, high: int) -> Iterator[list[Item]]:
        # Whether `from` and `to` include their own second is not documented: ask a second
        # more on each side, the window's bounds are applied here.
        below, first = high + 1, True
        seen: list[Any] = []
        while True:
            params = {**self.params, "from": max(low - 1, 0), "to": below}
            tracks, total = self._page(params)
            if first and total:
                self.stats.total += total
            first = False
            self.stats.pages += 1
            where = f"{NAME} page {self.stats.pages}"
            yield converted(tracks, track_scrobble, where, (low, high), self.stats, seen)
            times = [_uts(t) for t in tracks]
            known = [t for t in times if t is not None]
            if len(tracks) < LIMIT or not known:
                return
            # Again from the oldest second's end: a page may have cut that second's listens.
            oldest = min(known)
            below = oldest + 1 if max(known) > oldest else oldest
            seen = at_second(tracks, times, oldest) if below > oldest else []

    def close(self) -> None:
        self.http.close()

    def _page(self, params: dict[str, Any]) -> tuple[list[Any], int]:
        """The page's tracks without the one playing now, and the total it reports."""
        answer = self.http.get(self.url, params, self._judge)
        recent = answer.get("recenttracks")
        if not isinstance(recent, dict):
            raise self.http.error("answered without recent tracks")
        tracks = recent.get("track", [])
        tracks = [tracks] if isinstance(tracks, dict) else tracks  # a lone track: an object
        if not isinstance(tracks, list):
            raise self.http.error("answered without a list of tracks")
        playing = [t for t in tracks if _now_playing(t)]
        attr = recent.get("@attr") if isinstance(recent.get("@attr"), dict) else {}
        total = str(attr.get("total", ""))
        return [t for t in tracks if t not in playing], int(total) if total.isdigit() else 0

    def _judge(self, status: int, document: Any, headers: Mapping[str, str]) -> Any:
        if isinstance(document, dict) and "error" in document:
            self._refuse(document.get("error"), str(document.get("message", "")))
        if status >= 500 or status == 429:
            raise Transient(f"server error {status}" if status >= 500 else "rate limited (429)")
        if document is NOT_JSON:
            raise Transient(f"answered {status} with something that is not JSON")
        if status != 200 or not isinstance(document, dict):
            raise self.http.error(f"answered {status} with an unexpected document")
        return document

    def _refuse(self, code: Any, message: str) -> None:
        said = f"error {code}: {message}" if message else f"error {code}"
        if code in TRANSIENT:
            raise Transient(said)
        if code in WRONG_KEY:
            raise self.http.error(f"the API key was refused ({said})")
        if code == 17:
            raise self.http.error(f"{self.user}'s listening history is private ({said})")
        if code == 6:
            raise self.http.error(f"no user {self.user!r} ({said})")
        raise self.http.error(said)


def _now_playing(track: Any) -> bool:
    attr = track.get("@attr") if isinstance(track, dict) else None
    return isinstance(attr, dict) and str(attr.get("nowplaying", "")).lower() == "true"


def _uts(track: Any) -> int | None:
    date = track.get("date") if isinstance(track, dict) else None
    uts = date.get("uts") if isinstance(date, dict) else None
    return int(uts) if isinstance(uts, str | int) and str(uts).isdigit() else None
