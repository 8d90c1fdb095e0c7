"""Benchmarks that print the operator's performance figures (see bench/README.md)."""
