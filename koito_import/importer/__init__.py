"""One import run, stage by stage: what it is asked (options), the check pass that reads the
input once (reading, spool), writing batch after batch (batches), the whole run (pipeline),
its progress on a terminal (progress), and Koito's import folder (inbox). It may import core,
sources, catalog, store, schema and ledger; the commands import it, never the reverse."""
