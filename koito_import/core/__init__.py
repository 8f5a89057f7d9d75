"""The shared vocabulary every part speaks: a scrobble and its skips (model), the database a
user names (dburl), times as the command line takes and shows them (times), and a run's
counts (summary). It imports nothing of koito_import."""
