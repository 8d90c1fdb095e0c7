"""Prometheus metrics and JSON logs of the web app and the archive watcher (issue #12)."""
