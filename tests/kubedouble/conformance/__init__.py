"""Conformance rows: request → expected answer, each citing the Kubernetes doc or source."""
