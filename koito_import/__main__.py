from koito_import.cli import app

app(prog_name="koito-import")
