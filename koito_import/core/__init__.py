"""The shared vocabulary every part speaks: a scrobble and its skips (model), the database a
user names (dburl), times as the command line takes and shows them (times), a run's counts
(summary), and the files beside a SQLite database (files). It imports nothing of koito_import
but the version (koito_import.__version__)."""
