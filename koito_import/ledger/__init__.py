"""The ledger of runs (SPEC §6): runs as records (runs), the SQL where the back ends differ
(sql), reading runs back (listing), recording a run as it writes (recorder), taking one back
(undo), and how `runs` and `undo` print (view). It may import core, schema, store and sources
(to name a run's input files); never the importer or the commands."""
