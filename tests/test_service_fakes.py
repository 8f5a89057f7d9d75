"""The service fakes themselves: paging as the services page, pages shifting under new
scrobbles, and a scripted failure followed by success."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.service_fakes import FakeLastfm, FakeListenBrainz, lastfm_track, lb_listen


def get(url: str) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, headers={"User-Agent": "koito-import-test/1"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def stamps(payload: dict[str, Any]) -> list[int]:
    return [listen["listened_at"] for listen in payload["listens"]]


def test_listenbrainz_pages_429_then_success(fake_listenbrainz: FakeListenBrainz) -> None:
    lb = fake_listenbrainz
    lb.add_listens("Alice", [lb_listen("A", f"T{ts}", ts) for ts in (100, 200, 300, 400, 500)])
    listens = f"{lb.api_url}/1/user/alice/listens"

    lb.rate_limited_next(reset_in=3)
    status, headers, body = get(f"{listens}?count=2")
    assert (status, body["code"], headers["X-RateLimit-Reset-In"]) == (429, 429, "3")
    status, headers, body = get(f"{listens}?count=2")
    assert status == 200 and "X-RateLimit-Remaining" in headers
    assert stamps(body["payload"]) == [500, 400]
    assert (body["payload"]["latest_listen_ts"], body["payload"]["oldest_listen_ts"]) == (500, 100)
    # max_ts and min_ts are exclusive; min_ts reads upwards from it, newest first
    assert stamps(get(f"{listens}?count=2&max_ts=400")[2]["payload"]) == [300, 200]
    assert stamps(get(f"{listens}?count=2&min_ts=200")[2]["payload"]) == [400, 300]
    assert stamps(get(f"{listens}?min_ts=100&max_ts=500")[2]["payload"]) == [400, 300, 200]
    assert get(f"{lb.api_url}/1/user/bob/listens")[2] == {
        "code": 404,
        "error": "Cannot find user: bob",
    }
    assert [r.header("user-agent") for r in lb.listing_requests] == ["koito-import-test/1"] * 6


def test_lastfm_pages_shift_under_new_scrobbles(fake_lastfm: FakeLastfm) -> None:
    fm = fake_lastfm
    fm.add_tracks("bob", [lastfm_track("A", f"T{ts}", ts, album="") for ts in (100, 200, 300)])
    fm.set_now_playing("bob", lastfm_track("A", "Now", None))
    fm.after_request(1, lambda fake: fake.add_tracks("bob", [lastfm_track("A", "New", 400)]))
    page = f"{fm.api_url}?method=user.getrecenttracks&user=bob&api_key=test-api-key&format=json"

    status, _, body = get(f"{page}&limit=2&extended=1")
    tracks, attr = body["recenttracks"]["track"], body["recenttracks"]["@attr"]
    assert status == 200 and attr == {
        "user": "bob",
        "totalPages": "2",
        "page": "1",
        "perPage": "2",
        "total": "3",
    }
    assert tracks[0]["@attr"] == {"nowplaying": "true"} and "date" not in tracks[0]
    assert [t["date"]["uts"] for t in tracks[1:]] == ["300", "200"]
    assert tracks[1]["artist"]["name"] == "A" and tracks[1]["album"]["#text"] == ""
    # the scrobble at 400 arrived after page 1: page 2 starts with 200 again
    tracks = get(f"{page}&limit=2&page=2")[2]["recenttracks"]["track"]
    assert [t["date"]["uts"] for t in tracks] == ["200", "100"]
    assert tracks[0]["artist"] == {"mbid": "", "#text": "A"}
    # from is inclusive, to exclusive
    tracks = get(f"{page}&from=200&to=400")[2]["recenttracks"]["track"]
    assert [t["date"]["uts"] for t in tracks if "date" in t] == ["300", "200"]
    assert get(page.replace("user=bob", "user=nobody"))[:3:2] == (
        404,
        {"error": 6, "message": "User not found"},
    )
