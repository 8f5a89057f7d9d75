from koito_import.cli import main

main()
