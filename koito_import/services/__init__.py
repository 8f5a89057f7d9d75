"""The services a sync reads live over HTTP (SPEC §9): Maloja, ListenBrainz and Last.fm. Each
client pages through a service's API and hands the pipeline the same items a file reader
does, so it may import core and sources (their item conversion); the importer and the
commands import it, never the reverse."""
