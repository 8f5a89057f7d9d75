"""Koito's rules (SPEC §3) for turning a batch of scrobbles into artists, releases, tracks.

Why it is race-free whatever the number of workers: the only parallel work is reading.
A batch's look-ups run as a few set-based queries (the store may spread each across pooled
connections), in three rounds — artists, then releases of the artists found, then tracks of
the releases found. Every decision to create an entity is then taken here, in one thread,
in input order, against an in-memory `CatalogView` that also holds what this batch created
already. So no two workers can both create the featured artist they share, and the catalog
does not depend on the worker count. Two imports never interleave: the pipeline holds the
store's import lock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from koito_import.catalog.artist_names import parse_artists
from koito_import.catalog.view import CatalogView, canonical
from koito_import.core.model import Alias, KoitoEntity, Scrobble
from koito_import.store.base import (
    ArtistRow,
    LookupRow,
    NewArtist,
    NewRelease,
    NewTrack,
    ReleaseRow,
    Store,
    TrackRow,
)


@dataclass(slots=True)
class Resolved:
    artists: list[ArtistRow]
    release: ReleaseRow | None = None
    track: TrackRow | None = None


class Resolver:
    def __init__(self, store: Store, separators: Sequence[re.Pattern[str]]) -> None:
        self.store = store
        self.separators = separators

    def resolve(self, view: CatalogView, misses: dict[str, Scrobble]) -> dict[str, int]:
        """Track references for `misses` (lookup key -> its first scrobble),
        recording what is created and the lookup rows in `view.changes`."""
        names, mbids = self._artist_keys(misses.values())
        view.add_artists(self.store.fetch_artists(names, mbids))
        found = {key: Resolved(self._artists(view, s)) for key, s in misses.items()}

        view.add_releases(self.store.fetch_releases(*self._release_keys(misses, found)))
        for key, s in misses.items():
            found[key].release = self._release(view, s, found[key].artists)

        view.add_tracks(self._fetch_tracks(misses, found))
        track_of = {}
        for key, s in misses.items():
            r = found[key]
            assert r.release is not None
            r.track = self._track(view, s, r.artists, r.release)
            track_of[key] = r.track.id
            view.changes.lookups.append(LookupRow(key, r.artists[0].id, r.release.id, r.track.id))
        return track_of

    # -- what to fetch --

    def _artist_keys(self, scrobbles: Iterable[Scrobble]) -> tuple[set[str], set[str]]:
        names: set[str] = set()
        mbids: set[str] = set()
        for s in scrobbles:
            if s.koito:
                names.update(a.name for a in s.koito.artists)
                mbids.update(a.mbid for a in s.koito.artists if a.mbid)
                continue
            names.update(_clean(s.artist_names))
            names.update(_clean(name for name, _ in s.artist_mbid_map))
            if not s.artist_names or s.artist_mbids:
                names.update(parse_artists(s.artist, s.track, self.separators))
            mbids.update(s.artist_mbids)
            mbids.update(mbid for _, mbid in s.artist_mbid_map)
        return names, mbids

    @staticmethod
    def _release_keys(
        misses: dict[str, Scrobble], found: dict[str, Resolved]
    ) -> tuple[set[tuple[str, int]], set[str]]:
        titled = set()
        mbids = set()
        for key, s in misses.items():
            primary = found[key].artists[0].id
            if primary > 0:
                titled.add((_release_title(s), primary))
            mbid = s.koito.album.mbid if s.koito else s.release_mbid
            if mbid:
                mbids.add(mbid)
        return titled, mbids

    def _fetch_tracks(
        self, misses: dict[str, Scrobble], found: dict[str, Resolved]
    ) -> list[TrackRow]:
        titled = set()
        mbids = set()
        for key, s in misses.items():
            release = found[key].release
            if release is not None and release.id > 0:
                titled.add((_track_title(s), release.id))
            mbid = s.koito.track.mbid if s.koito else s.recording_mbid
            if mbid:
                mbids.add(mbid)
        return self.store.fetch_tracks(titled, mbids)

    # -- artists --

    def _artists(self, view: CatalogView, s: Scrobble) -> list[ArtistRow]:
        if s.koito:
            found = [self._koito_artist(view, a) for a in s.koito.artists]
        else:
            found = self._credited_artists(view, s)
        if not found:  # e.g. "(feat. )": parsing left no name, so the credit is the name
            found = self._match_names(view, [s.artist.strip() or s.artist], [])
        return list({a.id: a for a in found}.values())  # one artist credited twice counts once

    def _credited_artists(self, view: CatalogView, s: Scrobble) -> list[ArtistRow]:
        result: list[ArtistRow] = []
        for name, mbid in s.artist_mbid_map:
            artist = view.artist_with_mbid(mbid)
            if artist is None:
                artist = view.artist_named(name.strip())
                if artist is not None:
                    view.give_artist_mbid(artist, mbid)
            result.append(artist or _new_artist(view, name.strip(), mbid))
        if len(s.artist_mbids) > len(result):
            result += self._artists_by_mbid(view, s, result)
        if len(s.artist_names) > len(result):
            result += self._match_names(view, _clean(s.artist_names), result)
        if not result:
            parsed = parse_artists(s.artist, s.track, self.separators)
            result = self._match_names(view, [*_clean(s.artist_names), *parsed], [])
        return result

    def _artists_by_mbid(
        self, view: CatalogView, s: Scrobble, known: list[ArtistRow]
    ) -> list[ArtistRow]:
        """Step 2: artists by bare MBID. An unknown MBID sends the names through step 3
        (Koito cannot name an artist from an MBID alone without MusicBrainz), and then only
        those names count: Koito drops the artists this step had found by MBID (step 3 may
        find them again by name, after the others)."""
        found: list[ArtistRow] = []
        for mbid in s.artist_mbids:
            if any(a.mbid == mbid for a in (*known, *found)):
                continue
            artist = view.artist_with_mbid(mbid)
            if artist is None:
                names = _clean(s.artist_names) or parse_artists(s.artist, s.track, self.separators)
                return self._match_names(view, names, [*known, *found])
            found.append(artist)
        return found

    def _match_names(
        self, view: CatalogView, names: Sequence[str], known: list[ArtistRow]
    ) -> list[ArtistRow]:
        result: list[ArtistRow] = []
        for name in names:
            if any(name.lower() == alias.lower() for a in (*known, *result) for alias in a.aliases):
                continue
            result.append(view.artist_named(name) or _new_artist(view, name, None))
        return result

    def _koito_artist(self, view: CatalogView, entity: KoitoEntity) -> ArtistRow:
        # Koito's importer: an exported entity with an MBID is that MBID's entity, or a new one
        # (two artists of one name with different MBIDs stay two); without one, by name.
        # Koito stores an artist's name trimmed (and then, looking it up untrimmed, never finds
        # it again: a new artist every listen); it is looked up trimmed here.
        name = entity.name.strip()
        found = view.artist_with_mbid if entity.mbid else view.artist_named
        artist = found(entity.mbid or name)
        if artist is None:
            image, source = _image(entity)
            aliases = _koito_aliases(entity, "MusicBrainz", name)
            artist = view.create_artist(NewArtist(aliases, entity.mbid, image, source))
        return artist

    # -- releases --

    def _release(self, view: CatalogView, s: Scrobble, artists: list[ArtistRow]) -> ReleaseRow:
        ids = [a.id for a in artists]
        if s.koito:
            return self._koito_release(view, s.koito.album, ids)
        release = view.release_with_mbid(s.release_mbid)
        if release is None:
            release = view.release_titled(_release_title(s), ids[0])
            if release is not None:
                view.give_release_mbid(release, s.release_mbid)
        if release is None:
            new = NewRelease(canonical(_release_title(s)), s.release_mbid)
            return view.create_release(new, ids)
        view.link_release(release, ids, primary_first=False)
        return release

    def _koito_release(self, view: CatalogView, album: KoitoEntity, ids: list[int]) -> ReleaseRow:
        if album.mbid:
            release = view.release_with_mbid(album.mbid)
        else:
            release = view.release_titled(album.name, ids[0])
        if release is None:
            image, source = _image(album)
            new = NewRelease(
                _koito_aliases(album, "MusicBrainz"),
                album.mbid,
                album.various_artists,
                image,
                source,
            )
            release = view.create_release(new, ids)
        return release

    # -- tracks --

    def _track(
        self, view: CatalogView, s: Scrobble, artists: list[ArtistRow], release: ReleaseRow
    ) -> TrackRow:
        ids = [a.id for a in artists]
        entity = s.koito.track if s.koito else None
        mbid = entity.mbid if entity else s.recording_mbid
        if entity is not None and mbid:  # a Koito export: by its MBID only, as for artists
            track = view.track_with_mbid(mbid)
        elif entity is not None:
            track = view.track_titled(_track_title(s), release.id, ids)
        else:
            track = view.track_with_mbid(mbid)
            if track is None:
                track = view.track_titled(_track_title(s), release.id, ids)
                if track is not None:
                    view.give_track_mbid(track, mbid)
        if track is None:
            aliases = _koito_aliases(entity, "Import") if entity else canonical(s.track)
            track = view.create_track(NewTrack(aliases, release.id, mbid, s.duration), ids)
            # Koito's SaveTrack links every artist of a new track to its release as well.
            view.link_release(release, ids, primary_first=False)
        elif entity is None:  # Koito's export importer leaves a found track's duration be
            view.give_track_duration(track, s.duration)
        return track


def _clean(names: Iterable[str]) -> list[str]:
    return [n.strip() for n in names if n and n.strip()]


def _release_title(s: Scrobble) -> str:
    if s.koito:
        return s.koito.album.name
    return s.release or s.track


def _track_title(s: Scrobble) -> str:
    return s.koito.track.name if s.koito else s.track


def _new_artist(view: CatalogView, name: str, mbid: str | None) -> ArtistRow:
    return view.create_artist(NewArtist(canonical(name), mbid))


def _koito_aliases(entity: KoitoEntity, other_source: str, primary: str = "") -> list[Alias]:
    """An exported entity's aliases as Koito's importer saves them: the primary one (`primary`
    when given, for an artist: its name trimmed) with source `Canonical`, then every alias
    trimmed, the primary one's too, that is not that text, with `other_source` (MusicBrainz for
    artists and albums, Import for tracks); the sources written in the export are not kept."""
    primary = primary or entity.name
    others = dict.fromkeys(a.alias.strip() for a in entity.aliases)
    return [
        Alias(primary, "Canonical", True),
        *(Alias(alias, other_source, False) for alias in others if alias and alias != primary),
    ]


def _image(entity: KoitoEntity) -> tuple[str | None, str | None]:
    """An http(s) image URL gets a fresh image id, so Koito downloads it later."""
    url = entity.image_url or None
    image = str(uuid.uuid4()) if url and url.startswith("http") else None
    return image, url
