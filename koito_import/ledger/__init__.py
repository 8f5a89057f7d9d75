"""The ledger of runs (SPEC §6): runs as records (runs), the SQL where the back ends differ
(sql), reading runs back (listing), recording a run as it writes (recorder), which entities a
run may still claim (claims), listens a later, finer export replaced (replace), the spans of
time a sync has committed (cursors), taking a run back (undo, undo_steps), and how `runs` and
`undo` print (view). It may import core, schema, store and sources (to name a run's input
files); never the importer or the commands."""
