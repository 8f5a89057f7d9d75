"""One import run, stage by stage: what it is asked (options), the check pass that reads the
input once (reading, spool), writing batch after batch (batches), the whole run (pipeline),
the --user check before anything is created (users), taking the import lock and saying whom a
run waits for (waiting), its progress on a terminal (progress, one line fitted to the width:
progress_line), and Koito's import folder (inbox). A sync's run is the same stages fed page by
page by a service instead of a file (streaming, its progress: sync_progress). It may import
core, sources, services, catalog, store, schema and ledger; the commands import it, never the
reverse."""
