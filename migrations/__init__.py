"""koito-import's Alembic environment, shipped inside the package as `koito_import.migrations`."""
