"""The results tests use the runs tests' cluster (the double with the nuclei Pipeline)."""

from tests.web.runs.conftest import cluster, data_root  # noqa: F401 (fixtures)
