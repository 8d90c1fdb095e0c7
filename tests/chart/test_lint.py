"""`helm lint --strict` accepts the chart with every ci/ scenario."""

from __future__ import annotations

import pytest

from tests.chart.helm import CI_DIR, SCENARIOS, run_helm
from tests.chart.sync import CHART


def test_it_has_the_scenarios_the_tests_rely_on():
    assert set(SCENARIOS) >= {
        "default-values.yaml",
        "ingress-sso-values.yaml",
        "existing-claim-values.yaml",
        "operator-ha-values.yaml",
        "extra-pipelines-values.yaml",
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_it_lints_strictly(scenario):
    result = run_helm("lint", "--strict", str(CHART), "--values", str(CI_DIR / scenario))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_lint_fails_on_a_typo():
    # Proves lint really checks the values: the same command fails once a key is misspelt.
    result = run_helm("lint", "--strict", str(CHART), "--values", str(CI_DIR / "default-values.yaml"),
                      "--set", "operator.replicaCont=2")
    assert result.returncode != 0
    assert "additional properties 'replicaCont' not allowed" in result.stdout + result.stderr


def test_lint_warns_about_the_missing_database_secret():
    # helm lint renders `required` failures as warnings; install and template refuse them.
    result = run_helm("lint", "--strict", str(CHART))
    assert "web.database.existingSecret is required" in result.stdout + result.stderr
