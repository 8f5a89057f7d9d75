"""The services a sync reads live over HTTP (SPEC §9): Maloja, ListenBrainz and Last.fm, over
one HTTP client with timeouts, retries and rate limits (http). Each client pages through a
service's API and hands the importer the same items a file reader does, so it may import core,
sources (their item conversion) and the ledger's name for an account (ledger.cursors.SyncKey);
the importer and the commands import it, never the reverse."""
