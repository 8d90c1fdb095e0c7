"""checkov finds nothing in the rendered chart (every option on) and the Dockerfiles beyond what the chart README lists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.chart.helm import CI_DIR, NAMESPACE, RELEASE, run_helm
from tests.chart.sync import README_FILE, REPO

ALL_OPTIONS = CI_DIR / "all-options-values.yaml"
DOCKERFILES = ("Dockerfile.web", "Dockerfile.operator", "pipelines/nuclei/Dockerfile")
NAME_PREFIX = f"{RELEASE}-kubeshowcase-"
ACCEPTED_START, ACCEPTED_END = "<!-- checkov-accepted:start -->", "<!-- checkov-accepted:end -->"
EVERY_NAMESPACED_OBJECT = "every namespaced object"
CHECKOV_TIMEOUT_SECONDS = 240
# Kinds without a namespace, which CKV_K8S_21 never names.
CLUSTER_KINDS = {"CustomResourceDefinition"}


def checkov_binary() -> str | None:
    local = REPO / ".checkov-venv" / "bin" / "checkov"
    return str(local) if local.exists() else shutil.which("checkov")


def accepted_findings(readme: str) -> dict[str, set[str]]:
    """Check id -> where the README accepts it (`Kind/name`, a Dockerfile, or every namespaced object)."""
    table = readme[readme.index(ACCEPTED_START) + len(ACCEPTED_START):readme.index(ACCEPTED_END)]
    accepted: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        check = re.match(r"(CKV2?_[A-Z0-9]+_\d+)", cells[0]) if len(cells) == 3 else None
        if check:
            accepted.setdefault(check.group(1), set()).update(where.strip() for where in cells[1].split(","))
    return accepted


def where_of(finding: dict) -> str:
    """`Kind/name` of a Kubernetes finding (release prefix dropped), the path of a Dockerfile's."""
    if finding["check_type"] == "dockerfile":
        return finding["file_path"].lstrip("/")
    kind, _namespace, name = finding["resource"].split(".", 2)
    return f"{kind}/{name.removeprefix(NAME_PREFIX)}"


def unlisted(findings: list[dict], accepted: dict[str, set[str]]) -> list[str]:
    problems = []
    for finding in findings:
        places = accepted.get(finding["check_id"], set())
        where = where_of(finding)
        if where not in places and not (EVERY_NAMESPACED_OBJECT in places
                                        and where.split("/")[0] not in CLUSTER_KINDS):
            problems.append(f"{finding['check_id']} ({finding['check_name']}) on {where}")
    return sorted(set(problems))


def stale(findings: list[dict], accepted: dict[str, set[str]]) -> list[str]:
    found = {(finding["check_id"], where_of(finding)) for finding in findings}
    return sorted(f"{check} on {where}" for check, places in accepted.items() for where in places
                  if where != EVERY_NAMESPACED_OBJECT and (check, where) not in found)


def run_checkov(binary: str, framework: str, files: list[Path], cwd: Path) -> list[dict]:
    args = [binary, "--framework", framework, "--output", "json", "--quiet", "--skip-download"]
    for path in files:
        args += ["--file", str(path)]
    # BC_SKIP_MAPPING: no call home for guideline links (the tests run offline).
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_SECONDS,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "BC_SKIP_MAPPING": "TRUE"},
                            check=False)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    assert sum(r["summary"]["resource_count"] for r in reports) > 0, "checkov scanned nothing"
    return [{**failed, "check_type": r["check_type"]} for r in reports for failed in r["results"]["failed_checks"]]


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> list[dict]:
    binary = checkov_binary()
    if binary is None:
        pytest.skip("checkov is not installed: see the chart README's Security scan section")
    scratch = tmp_path_factory.mktemp("checkov")
    rendered = run_helm("template", RELEASE, str(REPO / "charts" / "kubeshowcase"), "--namespace", NAMESPACE,
                        "--values", str(ALL_OPTIONS))
    assert rendered.returncode == 0, rendered.stderr
    (scratch / "rendered.yaml").write_text(rendered.stdout)
    return (run_checkov(binary, "kubernetes", [scratch / "rendered.yaml"], scratch)
            + run_checkov(binary, "dockerfile", [Path(name) for name in DOCKERFILES], REPO))


def test_every_finding_is_fixed_or_listed_with_its_reason(findings):
    assert unlisted(findings, accepted_findings(README_FILE.read_text())) == []


def test_every_listed_finding_still_occurs(findings):
    assert stale(findings, accepted_findings(README_FILE.read_text())) == []


README_TABLE = f"""{ACCEPTED_START}
| Check | Where | Why it stays |
|-------|-------|--------------|
| CKV_K8S_11 (CPU limits) | Deployment/web, CronJob/cleanup | Throttling. |
| CKV_K8S_21 (namespace) | {EVERY_NAMESPACED_OBJECT} | Helm sets it. |
{ACCEPTED_END}"""


def finding(check_id, resource, check_type="kubernetes", file_path="/rendered.yaml"):
    return {"check_id": check_id, "check_name": "x", "resource": resource, "check_type": check_type,
            "file_path": file_path}


def test_an_unlisted_finding_or_place_is_reported():
    accepted = accepted_findings(README_TABLE)
    assert accepted == {"CKV_K8S_11": {"Deployment/web", "CronJob/cleanup"},
                        "CKV_K8S_21": {EVERY_NAMESPACED_OBJECT}}
    found = [finding("CKV_K8S_11", f"Deployment.default.{NAME_PREFIX}web"),
             finding("CKV_K8S_11", f"Deployment.default.{NAME_PREFIX}operator"),
             finding("CKV_K8S_21", f"Service.default.{NAME_PREFIX}web"),
             finding("CKV_K8S_21", "CustomResourceDefinition.default.pipelines.kubeshowcase.io"),
             finding("CKV_DOCKER_2", "Dockerfile.web.", "dockerfile", "Dockerfile.web")]
    assert unlisted(found, accepted) == [
        "CKV_DOCKER_2 (x) on Dockerfile.web",
        "CKV_K8S_11 (x) on Deployment/operator",
        "CKV_K8S_21 (x) on CustomResourceDefinition/pipelines.kubeshowcase.io"]
    assert stale(found, accepted) == ["CKV_K8S_11 on CronJob/cleanup"]
