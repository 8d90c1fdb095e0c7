"""Housekeeping: `manage.py cleanup` removes what has outlived its use, across every app."""
