"""Local stand-ins for the ListenBrainz and Last.fm APIs, so that `koito-import sync …` can be
tested without the internet: a stdlib `ThreadingHTTPServer` on 127.0.0.1 (a free port) in a
thread, holding per-user listen stores in each service's own item shape, paging them as the
service does, recording every request, and scriptable with the failures a sync must survive.

    with FakeListenBrainz() as lb:
        lb.add_listens("alice", [lb_listen("Artist", "Title", 1_700_000_000, album="Album")])
        lb.rate_limited_next(reset_in=1)  # the first request gets a 429, the next succeeds
        run(["sync", "listenbrainz", "alice", "--api-url", lb.api_url])
        assert lb.requests[0].header("User-Agent").startswith("koito-import")

The pytest fixtures `fake_listenbrainz` and `fake_lastfm` (registered in conftest.py) give a
started fake and stop it afterwards.

- Data: `add_listens` / `add_tracks` (items from `lb_listen` / `lastfm_track`, or
  `synthetic_lb_listens` / `synthetic_lastfm_tracks` for a benchmark's 50,000),
  `set_playing_now` / `set_now_playing`, `add_user` (a token; a private Last.fm profile).
- What was asked: `requests` / `listing_requests` (RecordedRequest: path, query, headers,
  `header(name)`, status).
- Scripted, for the next request(s) (`listing_only=True`: the next page requests):
  `rate_limited_next`, `error_next`, `server_error_next`, `html_error_next`, `fail_next` (any
  status and body), `malformed_next`, `slow_next`; `after_request(n, hook)` changes the store
  after the nth page. Continuous: `rate_limit()` (the service's real limit), `latency`.
- Knobs: ListenBrainz `reject_unknown_tokens`; Last.fm `from_inclusive`, `to_inclusive`,
  `max_limit`, `single_track_as_object`, `api_key`.

What each fake follows, and where it was read
---------------------------------------------
ListenBrainz (https://listenbrainz.readthedocs.io/en/latest/users/api/core.html, whose text is
the docstrings of listenbrainz/webserver/views/api.py in metabrainz/listenbrainz-server; the
behaviour below is from that code, listenstore/timescale_listenstore.py `fetch_listens`, and
docs/users/api/index.rst and docs/users/json.rst, as of 2026-08):
- `GET /1/user/(user_name)/listens?min_ts=&max_ts=&count=`: `max_ts` returns listens "with
  listened_at less than (but not including)" it, `min_ts` those "greater than (but not
  including)" it; both may be given (400 "max_ts should be greater than min_ts" unless
  max_ts > min_ts); `count` defaults to 25 and is cut to MAX_ITEMS_PER_GET = 1000 (400 when
  negative). Listens are always returned newest first. With no `min_ts` the page is the
  `count` newest listens below `max_ts`; with `min_ts` (alone or with `max_ts`) the store reads
  upwards from `min_ts` and reverses, so the page is the `count` listens just above `min_ts`,
  newest first.
- The answer: `{"payload": {"count", "listens", "latest_listen_ts", "oldest_listen_ts",
  "user_id"}}`; the two timestamps are the user's newest and oldest listen overall (0 when
  none), `user_id` is the name as requested. A listen is `{"track_metadata": {"artist_name",
  "track_name", "release_name"?, "additional_info": {…, "recording_msid"}, "mbid_mapping"?},
  "listened_at", "recording_msid", "user_name", "inserted_at"}` (Listen.to_api).
- `GET /1/user/(user_name)/playing-now`: `{"payload": {"count": 0|1, "user_id", "playing_now":
  true, "listens": [{"track_metadata", "user_name", "playing_now": true}]}}` (no
  `listened_at`). `GET /1/user/(user_name)/listen-count`: `{"payload": {"count"}}`.
- `GET /1/validate-token` (`Authorization: Token …`, or `?token=`): 200 with `{"code": 200,
  "message": "Token valid.", "valid": true, "user_name"}` or `{"code": 200, "message": "Token
  invalid.", "valid": false}`; 400 without a token. Reading listens needs no token and the real
  server does not check one there (`reject_unknown_tokens` makes this fake answer 401
  `{"code": 401, "error": "Invalid authorization token."}`, what endpoints that need a token say).
- Errors are `{"code": N, "error": "…"}`; an unknown user is 404 "Cannot find user: NAME"
  (user names are matched case-insensitively, as `LOWER(musicbrainz_id)`).
- Rate limiting: every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
  `X-RateLimit-Reset-In` (seconds, the recommended one) and `X-RateLimit-Reset` (epoch seconds);
  over the limit the answer is 429 `{"code": 429, "error": "You have exceeded your rate limit.
  …"}`. The limiter (metabrainz/brainzutils-python brainzutils/ratelimit.py) counts requests in
  fixed windows aligned on multiples of the window length, 30 requests per 10 s per IP unless
  the token is whitelisted (listenbrainz/webserver/__init__.py sets only the per-token limit).

Last.fm (https://www.last.fm/api/show/user.getRecentTracks; the community pages
https://lastfm-docs.github.io/api-docs/user/getRecentTracks/ and .../codes/ for the JSON shapes,
HTTP statuses and error codes; https://www.last.fm/api/tos 4.4 for the rate):
- `GET /2.0/?method=user.getrecenttracks&user=&limit=&page=&from=&to=&extended=&api_key=
  &format=json`. `limit` defaults to 50; the page documents 200 as the maximum but the service
  takes up to 1000 (lastfm-docs, and its "limit param out of bounds (1-1000)" error, error 6);
  `page` counts from 1 ("page param out of bounds (1-1000000)" otherwise).
- `from` and `to`: documented as "only display scrobbles after/before this time"; observed live
  (lastfm-edit's recorded test, https://docs.rs/lastfm-edit/7.0.1/lastfm_edit/api/trait.
  LastFmApiClient.html) `from` is inclusive and `to` exclusive; `from_inclusive` and
  `to_inclusive` choose either.
- The answer: `{"recenttracks": {"track": [...], "@attr": {"user", "totalPages", "page",
  "perPage", "total"}}}`, every `@attr` value a string, newest first. A track: `{"artist":
  {"mbid", "#text"}, "streamable", "image", "mbid", "album": {"mbid", "#text"}, "name", "url",
  "date": {"uts", "#text"}}`, empty strings for unknown MBIDs and a missing album. With
  `extended=1` the artist is `{"url", "name", "mbid", "image"}` and the track gains `"loved"`.
- The track playing now comes first on page 1 with `"@attr": {"nowplaying": "true"}` and no
  `date`, in addition to `limit` ("One track is added when the user is currently listening").
- A page of one track may come as an object instead of a list (multi-scrobbler's
  LastfmApiClient.ts works around it): `single_track_as_object`.
- Errors are `{"error": CODE, "message": "…"}`: 6 "User not found" (HTTP 404), 17 "Login: User
  required to be logged in" for a private profile (403), 10 invalid API key (403), 29 rate limit
  exceeded (429), 8 / 11 / 16 worth retrying. Last.fm sometimes sends an error with HTTP 200
  (`fail_next` takes any status and body).
- The terms: no "more than 5 requests per originating IP address per second, averaged over a
  5 minute period"; `rate_limit()` enforces a token bucket of that rate.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, quote_plus, unquote, urlsplit

JSON = "application/json"
Hook = Callable[[Any], None]

# ListenBrainz: listenbrainz/webserver/views/api_tools.py
LB_DEFAULT_COUNT = 25
LB_MAX_COUNT = 1000
# brainzutils.ratelimit: ratelimit_per_ip_default, ratelimit_window_default
LB_REAL_LIMIT = 30
LB_REAL_WINDOW = 10
LB_RATE_HEADERS = "X-RateLimit-Remaining,X-RateLimit-Limit,X-RateLimit-Reset,X-RateLimit-Reset-In"
LB_RATE_LIMITED = (
    "You have exceeded your rate limit. See the X-RateLimit-* response headers for more "
    "information on your current rate limit."
)

LASTFM_DEFAULT_LIMIT = 50
LASTFM_MAX_LIMIT = 1000
LASTFM_MAX_PAGE = 1_000_000
# code → (HTTP status this fake sends, message). 6 "User not found" is 404 and 17 is 403 in
# lastfm-docs' examples, 29 is 429 in its codes page, 10 is 403 as clients record it; the others
# are this fake's choice.
LASTFM_ERRORS: dict[int, tuple[int, str]] = {
    3: (400, "Invalid Method - No method with that name in this package"),
    6: (400, "Invalid parameters - Your request is missing a required parameter"),
    8: (500, "Operation failed - Most likely the backend service failed. Please try again."),
    10: (403, "Invalid API key - You must be granted a valid key by last.fm"),
    11: (503, "Service Offline - This service is temporarily offline. Try again later."),
    16: (500, "There was a temporary error processing your request. Please try again"),
    17: (403, "Login: User required to be logged in"),
    26: (
        403,
        "Suspended API key - Access for your account has been suspended, please contact Last.fm",
    ),
    29: (429, "Rate Limit Exceeded - Your IP has made too many requests in a short period"),
}
IMAGE_SIZES = ("small", "medium", "large", "extralarge")
MBID_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # uuid.NAMESPACE_URL


# ---------------------------------------------------------------------------------------------
# Items in each service's shape


def lb_listen(
    artist: str,
    title: str,
    ts: int | None,
    *,
    album: str | None = None,
    recording_mbid: str | None = None,
    release_mbid: str | None = None,
    release_group_mbid: str | None = None,
    artist_mbids: Iterable[str] = (),
    duration_ms: int | None = None,
    tracknumber: int | None = None,
    submission_client: str | None = "test player",
    media_player: str | None = None,
    mapped: bool = False,
    mbid_mapping: dict[str, Any] | None = None,
    inserted_at: int | None = None,
) -> dict[str, Any]:
    """A listen as `GET /1/user/…/listens` returns it. `album` None or "" leaves
    `release_name` out (as a scrobbler that knew no album sends it); MBIDs go into
    `additional_info` (what the client submitted); `mapped` also writes them into
    `mbid_mapping` (what ListenBrainz resolved), or `mbid_mapping` gives that element outright.
    `ts` None makes a playing-now listen (no `listened_at`)."""
    msid = _mbid("msid", f"{artist}\0{title}\0{album or ''}")
    info: dict[str, Any] = {}
    artist_mbids = list(artist_mbids)
    if artist_mbids:
        info["artist_mbids"] = artist_mbids
    if duration_ms is not None:
        info["duration_ms"] = duration_ms
    if recording_mbid:
        info["recording_mbid"] = recording_mbid
    info["recording_msid"] = msid
    if release_group_mbid:
        info["release_group_mbid"] = release_group_mbid
    if release_mbid:
        info["release_mbid"] = release_mbid
    if submission_client:
        info["submission_client"] = submission_client
    if media_player:
        info["media_player"] = media_player
    if tracknumber is not None:
        info["tracknumber"] = tracknumber
    metadata: dict[str, Any] = {"artist_name": artist, "track_name": title}
    if album:
        metadata["release_name"] = album
    metadata["additional_info"] = info
    if mbid_mapping is None and mapped and recording_mbid:
        mbid_mapping = {"recording_mbid": recording_mbid, "recording_name": title}
        if release_mbid:
            mbid_mapping["release_mbid"] = release_mbid
        if release_group_mbid:
            mbid_mapping["release_group_mbid"] = release_group_mbid
        if artist_mbids:
            mbid_mapping["artist_mbids"] = artist_mbids
            mbid_mapping["artists"] = [
                {
                    "artist_mbid": mbid,
                    "artist_credit_name": artist if i == 0 else "",
                    "join_phrase": "",
                }
                for i, mbid in enumerate(artist_mbids)
            ]
    if mbid_mapping is not None:
        metadata["mbid_mapping"] = mbid_mapping
    if ts is None:
        return {"track_metadata": metadata}
    return {
        "inserted_at": ts if inserted_at is None else inserted_at,
        "listened_at": ts,
        "recording_msid": msid,
        "track_metadata": metadata,
    }


def lastfm_track(
    artist: str,
    title: str,
    ts: int | None,
    *,
    album: str = "",
    artist_mbid: str = "",
    album_mbid: str = "",
    mbid: str = "",
    loved: bool = False,
) -> dict[str, Any]:
    """A scrobble as user.getRecentTracks returns it without `extended` (the fake makes the
    extended artist object from it when asked; `loved` is kept for that). An unknown album or
    MBID is "", as Last.fm sends it. `ts` None makes a now-playing track (no `date`)."""
    item: dict[str, Any] = {
        "artist": {"mbid": artist_mbid, "#text": artist},
        "streamable": "0",
        "image": _images(),
        "mbid": mbid,
        "album": {"mbid": album_mbid, "#text": album},
        "name": title,
        "url": f"https://www.last.fm/music/{quote_plus(artist)}/_/{quote_plus(title)}",
        "loved": "1" if loved else "0",
    }
    if ts is not None:
        when = datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y, %H:%M")
        item["date"] = {"uts": str(ts), "#text": when}
    return item


def synthetic_lb_listens(
    n: int, *, newest: int = 1_700_000_000, spacing: int = 181, mbid_every: int = 3
) -> list[dict[str, Any]]:
    """`n` distinct-enough listens, newest first, `spacing` seconds apart: 500 artists, 5,000
    titles, 1,500 albums, every `mbid_every`-th with MBIDs (also mapped), every 17th without
    an album. 50,000 take about half a second."""
    out = []
    for i in range(n):
        t = i % 5000
        a, r = t % 500, t % 1500  # a track keeps its album and artist
        with_mbids = mbid_every > 0 and i % mbid_every == 0
        out.append(
            lb_listen(
                f"Artist {a}",
                f"Track {t}",
                newest - i * spacing,
                album=None if i % 17 == 0 else f"Album {r}",
                recording_mbid=_mbid("recording", t) if with_mbids else None,
                release_mbid=_mbid("release", r) if with_mbids and i % 17 else None,
                artist_mbids=[_mbid("artist", a)] if with_mbids else (),
                duration_ms=180_000 + t,
                mapped=with_mbids,
            )
        )
    return out


def synthetic_lastfm_tracks(
    n: int, *, newest: int = 1_700_000_000, spacing: int = 181, mbid_every: int = 3
) -> list[dict[str, Any]]:
    """Last.fm scrobbles made as synthetic_lb_listens makes listens."""
    out = []
    for i in range(n):
        t = i % 5000
        a, r = t % 500, t % 1500  # a track keeps its album and artist
        with_mbids = mbid_every > 0 and i % mbid_every == 0
        out.append(
            lastfm_track(
                f"Artist {a}",
                f"Track {t}",
                newest - i * spacing,
                album="" if i % 17 == 0 else f"Album {r}",
                artist_mbid=_mbid("artist", a) if with_mbids else "",
                album_mbid=_mbid("release", r) if with_mbids and i % 17 else "",
                mbid=_mbid("recording", t) if with_mbids else "",
            )
        )
    return out


@functools.lru_cache(maxsize=65536)
def _mbid(kind: str, key: object) -> str:
    """A made-up MBID (or MessyBrainz ID), the same for the same key."""
    return str(uuid.uuid5(MBID_NAMESPACE, f"{kind}\0{key}"))


def _images() -> list[dict[str, str]]:
    return [{"size": size, "#text": ""} for size in IMAGE_SIZES]


# ---------------------------------------------------------------------------------------------
# Requests, replies, scripted behaviour


@dataclass
class RecordedRequest:
    """One request as the fake received it. `query` keeps the last value of each parameter,
    `query_pairs` all of them in order. `listing` marks a request for a page of listens
    (ListenBrainz /listens, Last.fm user.getRecentTracks); `listing_number` counts those."""

    number: int
    method: str
    raw_path: str
    path: str
    query: dict[str, str]
    query_pairs: list[tuple[str, str]]
    headers: dict[str, str]
    at: float
    listing: bool = False
    listing_number: int = 0
    status: int | None = None
    rate: tuple[int, int, int, int] | None = None  # LB: limit, remaining, reset, reset_in

    def header(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    @property
    def user_agent(self) -> str | None:
        return self.header("User-Agent")


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON


def json_reply(status: int, document: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(document, ensure_ascii=False).encode()
    return Reply(status, body, dict(headers or {}))


@dataclass
class _Scripted:
    remaining: int
    listing_only: bool
    make: Callable[[RecordedRequest], Reply] | None = None  # None: answer as usual
    delay: float = 0.0
    malformed: bool = False

    def matches(self, request: RecordedRequest) -> bool:
        return request.listing or not self.listing_only


@dataclass
class _Hook:
    n: int
    listing_only: bool
    fn: Hook
    done: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


class _Handler(BaseHTTPRequestHandler):
    service: ClassVar[FakeService]
    server_version = "service-fake"

    def do_GET(self) -> None:
        self.service._serve(self)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeService:
    """The server, the request log and the script; FakeListenBrainz and FakeLastfm answer.

    Every method may be called before or while the server runs; state is guarded by a lock.
    `latency` (seconds) delays every answer, for a benchmark's realistic timing."""

    name = "service"

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._listings = 0
        self._script: list[_Scripted] = []
        self._hooks: list[_Hook] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> Self:
        handler = type(f"{type(self).__name__}Handler", (_Handler,), {"service": self})
        self._closing.clear()
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"fake-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes answers sleeping in slow_next or latency
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        if self._server is None:
            raise RuntimeError(f"the fake {self.name} is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What --api-url is given."""
        return self.url

    # -- the request log ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def listing_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._requests if r.listing]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._listings = 0

    # -- the script ---------------------------------------------------------------------------

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int,
        body: bytes | str | dict[str, Any] | list[Any] = b"",
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        listing_only: bool = False,
    ) -> None:
        """Answer the next `times` requests (or page requests) with this, then as usual."""
        if isinstance(body, dict | list):
            data, kind = json.dumps(body).encode(), content_type or JSON
        elif isinstance(body, str):
            data, kind = body.encode(), content_type or "text/html; charset=utf-8"
        else:
            data, kind = body, content_type or "text/plain"
        reply = Reply(status, data, dict(headers or {}), kind)
        self._add(_Scripted(times, listing_only, make=lambda _request: reply))

    def slow_next(self, seconds: float, times: int = 1, *, listing_only: bool = False) -> None:
        """Answer the next `times` requests as usual, but only after `seconds`."""
        self._add(_Scripted(times, listing_only, delay=seconds))

    def malformed_next(self, times: int = 1, *, listing_only: bool = False) -> None:
        """Answer the next `times` requests with the usual status and the first half of the
        usual JSON (a connection cut mid-body, or a broken proxy)."""
        self._add(_Scripted(times, listing_only, malformed=True))

    def html_error_next(self, times: int = 1, *, status: int = 502) -> None:
        """A proxy's HTML error page, as a CDN in front of either service sends it."""
        page = f"<html><body><h1>{status} {HTTPStatus(status).phrase}</h1></body></html>"
        self.fail_next(times, status=status, body=page)

    def after_request(self, n: int, hook: Hook, *, listing_only: bool = True) -> None:
        """Call `hook(self)` once the `n`th page request (any request with `listing_only`
        False) has been answered and before anything later is: the answer to request n comes
        from the store as it was, every later one from the store as the hook left it (new
        scrobbles arriving mid-sync shift newest-first pages)."""
        with self._lock:
            self._hooks.append(_Hook(n, listing_only, hook))

    def _add(self, scripted: _Scripted) -> None:
        if scripted.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._script.append(scripted)

    # -- serving ------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        request = RecordedRequest(
            number=0,
            method=handler.command,
            raw_path=handler.path,
            path=unquote(split.path),
            query=dict(pairs),
            query_pairs=pairs,
            headers=dict(handler.headers.items()),
            at=time.monotonic(),
        )
        with self._lock:
            self._requests.append(request)
            request.number = len(self._requests)
            request.listing = self._is_listing(request)
            if request.listing:
                self._listings += 1
                request.listing_number = self._listings
            scripted = self._take_scripted(request)
            canned = scripted is not None and scripted.make is not None
            limited = None if canned else self._rate_limit(request)
        delay = self.latency + (scripted.delay if scripted else 0.0)
        if delay > 0 and limited is None:
            self._closing.wait(delay)
        with self._lock:
            if scripted is not None and scripted.make is not None:
                reply = scripted.make(request)
            elif limited is not None:
                reply = limited
            else:
                reply = self._answer(request)
            if scripted is not None and scripted.malformed:
                reply = Reply(
                    reply.status,
                    reply.body[: max(1, len(reply.body) // 2)],
                    reply.headers,
                    reply.content_type,
                )
            request.status = reply.status
            self._run_hooks(request)
        self._send(handler, reply)

    def _take_scripted(self, request: RecordedRequest) -> _Scripted | None:
        for scripted in self._script:
            if scripted.matches(request):
                scripted.remaining -= 1
                if scripted.remaining == 0:
                    self._script.remove(scripted)
                return scripted
        return None

    def _run_hooks(self, request: RecordedRequest) -> None:
        for hook in self._hooks:
            number = request.listing_number if hook.listing_only else request.number
            if not hook.done and number >= hook.n and (request.listing or not hook.listing_only):
                hook.done = True
                hook.fn(self)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    # -- what each service answers ------------------------------------------------------------

    def _is_listing(self, request: RecordedRequest) -> bool:
        raise NotImplementedError

    def _rate_limit(self, request: RecordedRequest) -> Reply | None:
        """None, or the answer to a request over the limit."""
        return None

    def _answer(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError


class _Scrobbles:
    """One user's listens, sorted oldest first (stable: equal timestamps keep the order they
    were added in) when read."""

    def __init__(self, when: Callable[[dict[str, Any]], int]) -> None:
        self._when = when
        self.items: list[dict[str, Any]] = []
        self.keys: list[int] = []
        self._sorted = True

    def add(self, items: Iterable[dict[str, Any]]) -> None:
        self.items.extend(items)
        self._sorted = False

    def ordered(self) -> tuple[list[dict[str, Any]], list[int]]:
        if not self._sorted:
            self.items.sort(key=self._when)
            self.keys = [self._when(item) for item in self.items]
            self._sorted = True
        return self.items, self.keys


# ---------------------------------------------------------------------------------------------
# ListenBrainz


class _WindowLimiter:
    """brainzutils.ratelimit: a count per window aligned on multiples of `window` seconds;
    a request is over the limit when the count, itself included, exceeds `limit`."""

    def __init__(self, limit: int, window: int) -> None:
        self.limit, self.window = limit, window
        self._reset, self._count = 0, 0

    def hit(self) -> tuple[int, int, int, int, bool]:
        now = int(time.time())
        reset = (now // self.window) * self.window + self.window
        if reset != self._reset:
            self._reset, self._count = reset, 0
        self._count += 1
        remaining = max(self.limit - self._count, 0)
        return self.limit, remaining, reset, reset - now, self._count > self.limit


class FakeListenBrainz(FakeService):
    """The ListenBrainz API at `api_url` (the root: paths are /1/…).

    Users: `add_user(name, token=None)`, or `add_listens(name, listens)` which adds the user.
    `tokens` maps valid tokens to user names. The rate limit is 100,000 requests per 10 s (what
    a whitelisted token gets) unless `rate_limit()` sets another; its headers are always sent."""

    name = "listenbrainz"

    def __init__(self, *, latency: float = 0.0, reject_unknown_tokens: bool = False) -> None:
        super().__init__(latency=latency)
        self.reject_unknown_tokens = reject_unknown_tokens
        self.tokens: dict[str, str] = {}
        self._users: dict[str, str] = {}  # lower-case → as registered
        self._stores: dict[str, _Scrobbles] = {}
        self._playing: dict[str, dict[str, Any]] = {}
        self._limiter = _WindowLimiter(100_000, LB_REAL_WINDOW)

    # -- data ---------------------------------------------------------------------------------

    def add_user(self, name: str, token: str | None = None) -> None:
        with self._lock:
            self._users.setdefault(name.lower(), name)
            self._stores.setdefault(name.lower(), _Scrobbles(_listened_at))
            if token is not None:
                self.tokens[token] = self._users[name.lower()]

    def add_listens(self, user: str, listens: Iterable[dict[str, Any]]) -> None:
        """Add listens (lb_listen's shape) to a user's history, in any order; `user_name` is
        filled in where missing."""
        with self._lock:
            self.add_user(user)
            canonical = self._users[user.lower()]
            batch = list(listens)
            for listen in batch:
                listen.setdefault("user_name", canonical)
            self._stores[user.lower()].add(batch)

    def listens(self, user: str) -> list[dict[str, Any]]:
        """The user's listens, newest first."""
        with self._lock:
            return self._stores[user.lower()].ordered()[0][::-1]

    def set_playing_now(self, user: str, listen: dict[str, Any] | None) -> None:
        """What /playing-now answers for the user (None: nothing)."""
        with self._lock:
            self.add_user(user)
            if listen is None:
                self._playing.pop(user.lower(), None)
            else:
                self._playing[user.lower()] = listen

    def rate_limit(self, limit: int = LB_REAL_LIMIT, window: int = LB_REAL_WINDOW) -> None:
        """Limit requests as ListenBrainz does: `limit` per `window`-second window (30 per 10 s
        is the real per-IP limit)."""
        with self._lock:
            self._limiter = _WindowLimiter(limit, window)

    # -- scripted answers ---------------------------------------------------------------------

    def error_next(self, status: int, message: str, times: int = 1, **kw: Any) -> None:
        """Answer `{"code": status, "error": message}` with that status."""
        self.fail_next(times, status=status, body={"code": status, "error": message}, **kw)

    def server_error_next(self, times: int = 1, *, status: int = 500) -> None:
        self.error_next(status, "Something went wrong. Please try again.", times)

    def rate_limited_next(
        self, times: int = 1, *, reset_in: int = 1, listing_only: bool = False
    ) -> None:
        """A 429 whose headers say the window resets in `reset_in` seconds."""

        def make(_request: RecordedRequest) -> Reply:
            reset = int(time.time()) + reset_in
            headers = _lb_rate_headers(self._limiter.limit, 0, reset, reset_in)
            return json_reply(429, {"code": 429, "error": LB_RATE_LIMITED}, headers)

        self._add(_Scripted(times, listing_only, make=make))

    # -- answers ------------------------------------------------------------------------------

    def _is_listing(self, request: RecordedRequest) -> bool:
        return request.path.startswith("/1/user/") and request.path.endswith("/listens")

    def _rate_limit(self, request: RecordedRequest) -> Reply | None:
        if not request.path.startswith("/1/"):
            return None
        limit, remaining, reset, reset_in, over = self._limiter.hit()
        request.rate = (limit, remaining, reset, reset_in)
        if over:
            headers = _lb_rate_headers(limit, remaining, reset, reset_in)
            return json_reply(429, {"code": 429, "error": LB_RATE_LIMITED}, headers)
        return None

    def _answer(self, request: RecordedRequest) -> Reply:
        reply = self._route(request)
        if request.rate is not None:
            reply.headers.update(_lb_rate_headers(*request.rate))
        return reply

    def _route(self, request: RecordedRequest) -> Reply:
        path = request.path
        if request.method != "GET":
            return _lb_error(405, "The method is not allowed for the requested URL.")
        if path == "/1/validate-token":
            return self._validate_token(request)
        if path.startswith("/1/user/"):
            name, _, endpoint = path[len("/1/user/") :].rpartition("/")
            if name and endpoint in ("listens", "playing-now", "listen-count"):
                if name.lower() not in self._users:
                    return _lb_error(404, f"Cannot find user: {name}")
                unauthorized = self._check_token(request)
                if unauthorized is not None:
                    return unauthorized
                if endpoint == "listens":
                    return self._get_listens(request, name)
                if endpoint == "playing-now":
                    return self._get_playing_now(name)
                count = len(self._stores[name.lower()].items)
                return json_reply(200, {"payload": {"count": count}})
        return _lb_error(
            404,
            "The requested URL was not found on the server. If you entered the URL manually "
            "please check your spelling and try again.",
        )

    def _check_token(self, request: RecordedRequest) -> Reply | None:
        header = request.header("Authorization")
        if not self.reject_unknown_tokens or not header:
            return None
        parts = header.split(" ")
        if len(parts) < 2:
            return _lb_error(401, "Provided Authorization header is invalid.")
        if parts[1] not in self.tokens:
            return _lb_error(401, "Invalid authorization token.")
        return None

    def _validate_token(self, request: RecordedRequest) -> Reply:
        header = request.header("Authorization") or ""
        if header.lower().startswith("token "):
            token = header.split(" ")[1]
        else:
            token = request.query.get("token", "")
        if not token:
            return _lb_error(400, "You need to provide an Authorization token.")
        user = self.tokens.get(token)
        if user is None:
            return json_reply(200, {"code": 200, "message": "Token invalid.", "valid": False})
        document = {"code": 200, "message": "Token valid.", "valid": True, "user_name": user}
        return json_reply(200, document)

    def _get_listens(self, request: RecordedRequest, name: str) -> Reply:
        try:
            max_ts = _int_arg(request.query, "max_ts", "Incorrect max_ts timestamp argument")
            min_ts = _int_arg(request.query, "min_ts", "Incorrect min_ts timestamp argument")
            raw_count = request.query.get("count")
            count = (
                _int_arg(request.query, "count", "Invalid count argument")
                if raw_count
                else LB_DEFAULT_COUNT
            )
        except ValueError as exc:
            return _lb_error(400, str(exc))
        if max_ts is not None and min_ts is not None and max_ts <= min_ts:
            return _lb_error(400, "max_ts should be greater than min_ts")
        assert count is not None
        count = min(count, LB_MAX_COUNT)
        if count < 0:
            return _lb_error(400, "Number of items requested should be positive")
        items, keys = self._stores[name.lower()].ordered()
        lo = 0 if min_ts is None else bisect_right(keys, min_ts)
        hi = len(keys) if max_ts is None else bisect_left(keys, max_ts)
        if hi <= lo:
            page: list[dict[str, Any]] = []
        elif min_ts is not None:  # read upwards from min_ts, then newest first
            page = items[lo : min(hi, lo + count)][::-1]
        else:
            page = items[max(lo, hi - count) : hi][::-1]
        payload = {
            "count": len(page),
            "listens": page,
            "latest_listen_ts": keys[-1] if keys else 0,
            "oldest_listen_ts": keys[0] if keys else 0,
            "user_id": name,
        }
        return json_reply(200, {"payload": payload})

    def _get_playing_now(self, name: str) -> Reply:
        playing = self._playing.get(name.lower())
        listens = []
        if playing is not None:
            user = self._users[name.lower()]
            listens = [
                {
                    "track_metadata": playing["track_metadata"],
                    "user_name": user,
                    "playing_now": True,
                }
            ]
        payload = {"count": len(listens), "user_id": name, "playing_now": True, "listens": listens}
        return json_reply(200, {"payload": payload})


def _listened_at(listen: dict[str, Any]) -> int:
    return int(listen["listened_at"])


def _lb_error(status: int, message: str) -> Reply:
    return json_reply(status, {"code": status, "error": message})


def _lb_rate_headers(limit: int, remaining: int, reset: int, reset_in: int) -> dict[str, str]:
    return {
        "Access-Control-Expose-Headers": LB_RATE_HEADERS,
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Reset-In": str(reset_in),
    }


def _int_arg(query: dict[str, str], name: str, message: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{message}: {value}") from None


# ---------------------------------------------------------------------------------------------
# Last.fm


class _TokenBucket:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second, self.burst = per_second, burst
        self._tokens, self._at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class FakeLastfm(FakeService):
    """The Last.fm API: `api_url` is the root endpoint, http://127.0.0.1:PORT/2.0/.

    Users: `add_user(name, private=False)`, or `add_tracks(name, tracks)` which adds the user.
    Only `api_key` is accepted. `from_inclusive` / `to_inclusive` choose the window's edges
    (by default as observed: from inclusive, to exclusive), `max_limit` the largest page
    served (1000 as observed; 200 as documented), `single_track_as_object` the one-track-page
    quirk. No rate limit unless `rate_limit()`."""

    name = "lastfm"

    def __init__(self, *, latency: float = 0.0, api_key: str = "test-api-key") -> None:
        super().__init__(latency=latency)
        self.api_key = api_key
        self.from_inclusive = True
        self.to_inclusive = False
        self.max_limit = LASTFM_MAX_LIMIT
        self.single_track_as_object = False
        self._users: dict[str, str] = {}
        self._private: set[str] = set()
        self._stores: dict[str, _Scrobbles] = {}
        self._playing: dict[str, dict[str, Any]] = {}
        self._bucket: _TokenBucket | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}/2.0/"

    # -- data ---------------------------------------------------------------------------------

    def add_user(self, name: str, *, private: bool = False) -> None:
        with self._lock:
            self._users.setdefault(name.lower(), name)
            self._stores.setdefault(name.lower(), _Scrobbles(_uts))
            if private:
                self._private.add(name.lower())
            else:
                self._private.discard(name.lower())

    def add_tracks(self, user: str, tracks: Iterable[dict[str, Any]]) -> None:
        """Add scrobbles (lastfm_track's shape, each with a `date`) in any order."""
        with self._lock:
            if user.lower() not in self._users:
                self.add_user(user)
            batch = list(tracks)
            for track in batch:
                _uts(track)  # every stored scrobble has a date
            self._stores[user.lower()].add(batch)

    def tracks(self, user: str) -> list[dict[str, Any]]:
        """The user's scrobbles, newest first."""
        with self._lock:
            return self._stores[user.lower()].ordered()[0][::-1]

    def set_now_playing(self, user: str, track: dict[str, Any] | None) -> None:
        """The track shown first on page 1 with `@attr.nowplaying` (None: nothing)."""
        with self._lock:
            if user.lower() not in self._users:
                self.add_user(user)
            if track is None:
                self._playing.pop(user.lower(), None)
            else:
                self._playing[user.lower()] = track

    def rate_limit(self, per_second: float = 5.0, burst: int = 5) -> None:
        """Refuse (error 29, HTTP 429) requests beyond `per_second` on average, allowing
        `burst` at once: the terms' 5 per second."""
        with self._lock:
            self._bucket = _TokenBucket(per_second, burst)

    # -- scripted answers ---------------------------------------------------------------------

    def error_next(
        self,
        code: int,
        times: int = 1,
        *,
        status: int | None = None,
        message: str | None = None,
        **kw: Any,
    ) -> None:
        """Answer `{"error": code, "message": …}`, with the status LASTFM_ERRORS gives the
        code unless `status` (200: an error sent as a success, which Last.fm does)."""
        known_status, known_message = LASTFM_ERRORS.get(code, (400, "Error"))
        body = {"error": code, "message": message or known_message}
        self.fail_next(times, status=status or known_status, body=body, **kw)

    def server_error_next(self, times: int = 1, *, status: int = 500) -> None:
        self.error_next(8, times, status=status)

    def rate_limited_next(self, times: int = 1, **kw: Any) -> None:
        self.error_next(29, times, **kw)

    # -- answers ------------------------------------------------------------------------------

    def _is_listing(self, request: RecordedRequest) -> bool:
        method = request.query.get("method", "").lower()
        return request.path.rstrip("/") == "/2.0" and method == "user.getrecenttracks"

    def _rate_limit(self, request: RecordedRequest) -> Reply | None:
        if self._bucket is None or self._bucket.take():
            return None
        return _lastfm_error(29)

    def _answer(self, request: RecordedRequest) -> Reply:
        if request.path.rstrip("/") != "/2.0":
            return Reply(404, b"<html><body>Not found</body></html>", {}, "text/html")
        query = request.query
        if query.get("format", "").lower() != "json":
            # Without format=json Last.fm answers XML, which this fake does not speak.
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="failed">\n'
                '<error code="6">the fake Last.fm answers format=json only</error>\n</lfm>\n'
            )
            return Reply(400, body.encode(), {}, "text/xml; charset=utf-8")
        if query.get("api_key") != self.api_key:
            return _lastfm_error(10)
        if query.get("method", "").lower() != "user.getrecenttracks":
            return _lastfm_error(3)
        user = query.get("user", "")
        if not user:
            return _lastfm_error(6)
        if user.lower() not in self._users:
            return _lastfm_error(6, "User not found", status=404)
        if user.lower() in self._private:
            return _lastfm_error(17)
        try:
            limit = _lastfm_int(query, "limit", LASTFM_DEFAULT_LIMIT, 1, LASTFM_MAX_LIMIT)
            page = _lastfm_int(query, "page", 1, 1, LASTFM_MAX_PAGE)
            start = _lastfm_int(query, "from", None, None, None)
            end = _lastfm_int(query, "to", None, None, None)
        except ValueError as exc:
            return _lastfm_error(6, str(exc))
        assert limit is not None and page is not None
        extended = query.get("extended", "0").lower() in ("1", "true")
        return self._recent_tracks(user, limit, page, start, end, extended)

    def _recent_tracks(
        self,
        user: str,
        limit: int,
        page: int,
        start: int | None,
        end: int | None,
        extended: bool,
    ) -> Reply:
        per_page = min(limit, self.max_limit)
        items, keys = self._stores[user.lower()].ordered()
        lo, hi = 0, len(keys)
        if start is not None:
            lo = (bisect_left if self.from_inclusive else bisect_right)(keys, start)
        if end is not None:
            hi = (bisect_right if self.to_inclusive else bisect_left)(keys, end)
        total = max(hi - lo, 0)
        # newest first: page p holds newest-first positions (p-1)*n … p*n-1 of [lo, hi)
        top = hi - (page - 1) * per_page
        chosen = items[max(lo, top - per_page) : top][::-1] if top > lo else []
        tracks = [_lastfm_shape(item, extended) for item in chosen]
        playing = self._playing.get(user.lower())
        if playing is not None and page == 1:
            now = _lastfm_shape(playing, extended)
            now.pop("date", None)
            tracks.insert(0, {"@attr": {"nowplaying": "true"}, **now})
        attr = {
            "user": self._users[user.lower()],
            "totalPages": str(math.ceil(total / per_page)),
            "page": str(page),
            "perPage": str(per_page),
            "total": str(total),
        }
        track: Any = tracks[0] if self.single_track_as_object and len(tracks) == 1 else tracks
        return json_reply(200, {"recenttracks": {"track": track, "@attr": attr}})


def _uts(track: dict[str, Any]) -> int:
    try:
        return int(track["date"]["uts"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"a stored Last.fm scrobble needs date.uts: {track!r}") from None


def _lastfm_shape(item: dict[str, Any], extended: bool) -> dict[str, Any]:
    out = {key: value for key, value in item.items() if key != "loved"}
    artist = item.get("artist")
    if isinstance(artist, dict):
        if extended and "name" not in artist:
            name = artist.get("#text", "")
            out["artist"] = {
                "url": f"https://www.last.fm/music/{quote_plus(name)}",
                "name": name,
                "mbid": artist.get("mbid", ""),
                "image": _images(),
            }
        elif not extended and "#text" not in artist:
            out["artist"] = {"mbid": artist.get("mbid", ""), "#text": artist.get("name", "")}
    if extended:
        out["loved"] = item.get("loved", "0")
    return out


def _lastfm_error(code: int, message: str | None = None, *, status: int | None = None) -> Reply:
    known_status, known_message = LASTFM_ERRORS[code]
    return json_reply(status or known_status, {"error": code, "message": message or known_message})


def _lastfm_int(
    query: dict[str, str], name: str, default: int | None, low: int | None, high: int | None
) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"Invalid parameters - {name} must be a number") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} param out of bounds ({low}-{high})")
    return number


# ---------------------------------------------------------------------------------------------
# pytest fixtures (the benchmark imports this module without pytest)

try:
    import pytest
except ImportError:  # pragma: no cover
    pass
else:

    @pytest.fixture
    def fake_listenbrainz() -> Iterator[FakeListenBrainz]:
        with FakeListenBrainz() as fake:
            yield fake

    @pytest.fixture
    def fake_lastfm() -> Iterator[FakeLastfm]:
        with FakeLastfm() as fake:
            yield fake
