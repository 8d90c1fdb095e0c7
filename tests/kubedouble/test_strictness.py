"""What kubectl users meet: server-side dry runs, strict field validation, immutable fields."""

from __future__ import annotations

from tests.kubedouble.helpers import kubectl

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
"""
JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: "busybox:1.36", command: ["true"]}]
"""


def test_a_server_dry_run_creates_nothing(kube_env):
    result = kubectl(kube_env, "apply", "--dry-run=server", "-f", "-", stdin=CONFIG_MAP)
    assert result.stdout.strip() == "configmap/settings created (server dry run)"
    missing = kubectl(kube_env, "get", "configmap", "settings", check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr


def test_kubectl_validation_refuses_an_unknown_field(kube_env):
    typo = CONFIG_MAP.replace("\ndata:", "\ndta:")
    result = kubectl(kube_env, "apply", "-f", "-", stdin=typo, check=False)
    assert result.returncode != 0
    assert ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
            'unknown field "dta"') in result.stderr
    warned = kubectl(kube_env, "apply", "--validate=warn", "-f", "-", stdin=typo)
    assert 'unknown field "dta"' in warned.stderr
    assert kubectl(kube_env, "get", "configmap", "settings", "-o",
                   "jsonpath={.data}").stdout == ""


def test_kubectl_cannot_change_a_jobs_pod_template(kube_env):
    kubectl(kube_env, "apply", "-f", "-", stdin=JOB)
    changed = JOB.replace("busybox:1.36", "busybox:1.37")
    result = kubectl(kube_env, "apply", "-f", "-", stdin=changed, check=False)
    assert result.returncode != 0
    assert 'The Job "once" is invalid: spec.template: Invalid value: ' in result.stderr
    assert "field is immutable" in result.stderr
    dry = kubectl(kube_env, "apply", "--dry-run=server", "-f", "-", stdin=changed, check=False)
    assert dry.returncode != 0 and "field is immutable" in dry.stderr
