"""Every difference between two Koito databases, by content (never by id).

The first database is the reference (what Koito's own importer built); the second is compared
against it. Entities are paired (see pairing) and every field of a pair compared: artists'
aliases (with primary flag and source), MBID, image and image source; releases' aliases, MBID,
`various_artists`, image and artist links with their primary flags; tracks' aliases, MBID,
duration, release and artist links; listens' track, time, client and user.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from koito_import.compare.pairing import Level, Pairs, pair
from koito_import.compare.snapshot import AliasSet, Artist, Listen, Release, Snapshot, Track

ONLY_REF = "only in reference"
ONLY_OTHER = "only in other"


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str  # artist, release, track, listen
    entity: str  # described by content
    field: str  # a field name, ONLY_REF or ONLY_OTHER
    ref: str = ""
    other: str = ""
    # artist links as ((name, is_primary), ...) on each side, for the accept rules
    links: tuple[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...]] | None = None

    def __str__(self) -> str:
        if self.field in (ONLY_REF, ONLY_OTHER):
            return f"{self.kind} {self.field}: {self.entity}"
        return f"{self.kind} {self.entity}: {self.field}: {self.ref} != {self.other}"


def compare(ref: Snapshot, other: Snapshot) -> list[Difference]:
    return list(_Comparison(ref, other).differences())


class _Comparison:
    def __init__(self, ref: Snapshot, other: Snapshot) -> None:
        self.ref = ref
        self.other = other
        self.same_kind = ref.kind == other.kind
        self.artists = pair(ref.artists, other.artists, self._artist_levels(), _artist_order)
        self.releases = pair(ref.releases, other.releases, self._release_levels(), _order)
        self.tracks = pair(ref.tracks, other.tracks, self._track_levels(), _order)

    def differences(self) -> Iterator[Difference]:
        yield from self._entities("artist", self.artists, self.ref.artists, self.other.artists)
        yield from self._entities("release", self.releases, self.ref.releases, self.other.releases)
        yield from self._entities("track", self.tracks, self.ref.tracks, self.other.tracks)
        yield from self._listens()

    # -- pairing keys (the other side's links translated into reference ids) --

    def _mapped(self, pairs: Pairs, other_id: int) -> Hashable:
        ref_id = pairs.ref_id(other_id)
        return ref_id if ref_id is not None else ("unpaired", other_id)

    def _links(self, links: dict[int, bool], translate: bool, primary_only: bool) -> Hashable:
        ids = (i for i, primary in links.items() if primary or not primary_only)
        if translate:
            return frozenset(self._mapped(self.artists, i) for i in ids)
        return frozenset(ids)

    def _artist_levels(self) -> list[Level[Artist]]:
        def full(_: int, a: Artist) -> Hashable:
            return (a.name, a.mbid)

        def by_mbid(_: int, a: Artist) -> Hashable:
            return ("mbid", a.mbid) if a.mbid else None

        def by_name(_: int, a: Artist) -> Hashable:
            return a.name

        return [Level(full, full), Level(by_mbid, by_mbid, True), Level(by_name, by_name, True)]

    def _release_levels(self) -> list[Level[Release]]:
        def keyed(translate: bool, primary_only: bool) -> Any:
            return lambda _, r: (r.title, self._links(r.artists, translate, primary_only))

        def by_mbid(_: int, r: Release) -> Hashable:
            return ("mbid", r.mbid) if r.mbid else None

        def by_title(_: int, r: Release) -> Hashable:
            return r.title

        return [
            Level(keyed(False, True), keyed(True, True)),
            Level(keyed(False, False), keyed(True, False)),
            Level(by_mbid, by_mbid, True),
            Level(by_title, by_title, True),
        ]

    def _track_levels(self) -> list[Level[Track]]:
        def keyed(translate: bool, links: bool) -> Any:
            def key(_: int, t: Track) -> Hashable:
                release = self._mapped(self.releases, t.release) if translate else t.release
                artists = self._links(t.artists, translate, primary_only=False) if links else ()
                return (t.title, release, artists)

            return key

        def by_mbid(_: int, t: Track) -> Hashable:
            return ("mbid", t.mbid) if t.mbid else None

        return [
            Level(keyed(False, True), keyed(True, True)),
            Level(keyed(False, False), keyed(True, False), True),
            Level(by_mbid, by_mbid, True),
        ]

    # -- describing --

    def describe(self, kind: str, snap: Snapshot, id_: int) -> str:
        if kind == "artist":
            return repr(snap.artists[id_].name)
        if kind == "release":
            r = snap.releases[id_]
            return f"{r.title!r} by {self._credit(snap, r.artists)}"
        t = snap.tracks[id_]
        release = snap.releases[t.release].title
        return f"{t.title!r} on {release!r} by {self._credit(snap, t.artists)}"

    @staticmethod
    def _credit(snap: Snapshot, links: dict[int, bool]) -> str:
        names = sorted((not primary, snap.artists[i].name) for i, primary in links.items())
        return " & ".join(repr(name) for _, name in names) or "(no artist)"

    def _fields(self, kind: str, snap: Snapshot, id_: int) -> dict[str, str]:
        if kind == "artist":
            a = snap.artists[id_]
            return {
                "aliases": _aliases(a.aliases),
                "mbid": str(a.mbid),
                "image": _image(a.image),
                "image_source": str(a.image_source),
            }
        if kind == "release":
            r = snap.releases[id_]
            return {
                "aliases": _aliases(r.aliases),
                "mbid": str(r.mbid),
                "various_artists": str(r.various_artists),
                "image": _image(r.image),
                "image_source": str(r.image_source),
                "artists": self._link_list(snap, r.artists),
            }
        t = snap.tracks[id_]
        return {
            "aliases": _aliases(t.aliases),
            "mbid": str(t.mbid),
            "duration": str(t.duration),
            "release": self.describe("release", snap, t.release),
            "artists": self._link_list(snap, t.artists),
        }

    @staticmethod
    def _link_list(snap: Snapshot, links: dict[int, bool]) -> str:
        names = sorted((snap.artists[i].name, primary) for i, primary in links.items())
        return ", ".join(f"{name!r}{' (primary)' if primary else ''}" for name, primary in names)

    # -- comparing --

    def _entities(
        self, kind: str, pairs: Pairs, ref: dict[int, Any], other: dict[int, Any]
    ) -> Iterator[Difference]:
        for ref_id in pairs.ref_only:
            yield Difference(kind, self.describe(kind, self.ref, ref_id), ONLY_REF)
        for other_id in pairs.other_only:
            yield Difference(kind, self.describe(kind, self.other, other_id), ONLY_OTHER)
        for other_id, ref_id in sorted(pairs.to_ref.items(), key=lambda p: repr(ref[p[1]])):
            ref_fields = self._fields(kind, self.ref, ref_id)
            other_fields = self._fields(kind, self.other, other_id)
            entity = self.describe(kind, self.ref, ref_id)
            for name, value in ref_fields.items():
                if other_fields[name] == value or self._same_release(kind, name, ref_id, other_id):
                    continue
                links = None
                if name == "artists":
                    links = (
                        _links(self.ref, ref[ref_id].artists),
                        _links(self.other, other[other_id].artists),
                    )
                yield Difference(kind, entity, name, value, other_fields[name], links)

    def _same_release(self, kind: str, field: str, ref_id: int, other_id: int) -> bool:
        """A track's release is the same when the two releases are paired (their own
        differences are reported once, with the release)."""
        if kind != "track" or field != "release":
            return False
        other_release = self.other.tracks[other_id].release
        return self.releases.ref_id(other_release) == self.ref.tracks[ref_id].release

    def _listens(self) -> Iterator[Difference]:
        def key(listen: Listen, translate: bool) -> tuple[str, int, Hashable]:
            track = self._mapped(self.tracks, listen.track) if translate else listen.track
            return (listen.user, listen.listened_at, track)

        ref = {key(listen, False): listen for listen in self.ref.listens}
        other = {key(listen, True): listen for listen in self.other.listens}
        for k in ref.keys() - other.keys():
            yield self._listen_only(self.ref, ref[k], ONLY_REF)
        for k in other.keys() - ref.keys():
            yield self._listen_only(self.other, other[k], ONLY_OTHER)
        for k in ref.keys() & other.keys():
            a, b = _client(ref[k].client, self.same_kind), _client(other[k].client, self.same_kind)
            if a != b:
                entity = self._listen_entity(self.ref, ref[k])
                yield Difference("listen", entity, "client", repr(a), repr(b))

    def _listen_only(self, snap: Snapshot, listen: Listen, where: str) -> Difference:
        return Difference("listen", self._listen_entity(snap, listen), where)

    def _listen_entity(self, snap: Snapshot, listen: Listen) -> str:
        track = self.describe("track", snap, listen.track)
        return f"{listen.user}@{listen.listened_at} {track}"


def _links(snap: Snapshot, links: dict[int, bool]) -> tuple[tuple[str, bool], ...]:
    return tuple(sorted((snap.artists[i].name, primary) for i, primary in links.items()))


def _aliases(aliases: AliasSet) -> str:
    return "; ".join(
        f"{alias!r}/{source}{' (primary)' if primary else ''}" for alias, source, primary in aliases
    )


def _image(present: bool) -> str:
    return "an image" if present else "no image"


def _client(value: str | None, same_kind: bool) -> str | None:
    # SQLite's column is NOT NULL DEFAULT '': across back ends, NULL and '' are the same.
    return value if same_kind else (value or "")


def _artist_order(a: Artist) -> str:
    return repr((a.name, a.mbid, a.aliases))


def _order(entity: Release | Track) -> str:
    return repr((entity.title, entity.mbid, entity.aliases))
