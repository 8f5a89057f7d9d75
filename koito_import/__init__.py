"""koito-import: listening histories into Koito's database, as Koito would have built it.

The parts, in reading order (each package's docstring says what it may import):
    cli, commands/   the command line: thin, one module per group of commands
    importer/        one import run: read and check once, then batch after batch
    services/        the services a sync reads over HTTP, feeding the importer as sources do
    sources/         one streaming reader per export format, and detection
    catalog/         Koito's rules for artists, releases and tracks, back-end free
    store/           the PostgreSQL and SQLite back ends behind one interface
    schema/          is the database Koito's, and bringing it up to date (Alembic)
    ledger/          the runs that wrote, recorded batch by batch, and undo
    report/          what the database holds, in the terminal
    compare/         two Koito databases compared by content
    core/            the shared vocabulary: scrobbles, database URLs, times, counts
"""

# The one place the version is written: pyproject reads it (tool.setuptools.dynamic), --version,
# every --json summary and every run in the ledger show it.
__version__ = "0.1.0"
