"""The database schema: `manage.py migrate` under a PostgreSQL advisory lock."""
