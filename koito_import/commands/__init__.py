"""The commands of the command line, one module per group; koito_import.cli wires them into
one typer app. Start-up is part of every run (cron, `--help`): the readers, the pipeline's
work and the database drivers are imported inside the commands that use them. The commands
may import every other part; nothing imports them but cli."""
