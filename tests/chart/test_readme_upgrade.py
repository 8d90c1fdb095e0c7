"""The README's upgrade commands name what the chart really renders, so a test on a cluster can run them as written."""

from __future__ import annotations

import yaml

from tests.chart.helm import CHART, CI_DIR, run_helm
from tests.chart.readme import upgrade_commands
from tests.chart.sync import REPO_CRDS

README_RELEASE = "kubeshowcase"


def rendered_as_the_readme_installs():
    result = run_helm("template", README_RELEASE, str(CHART), "--namespace", README_RELEASE,
                      "--values", str(CI_DIR / "default-values.yaml"))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_the_block_is_helm_upgrade_then_uninstall_with_checks():
    commands = upgrade_commands()
    assert [argv[:2] for argv in commands if argv[0] == "helm"] == [["helm", "upgrade"], ["helm", "uninstall"]]
    assert {argv[0] for argv in commands} == {"helm", "kubectl"}
    for argv in commands:
        assert ("--namespace" in argv and argv[argv.index("--namespace") + 1] == README_RELEASE
                or argv[1:3] == ["get", "customresourcedefinitions"]), argv


def test_the_names_it_checks_are_the_charts():
    objects = rendered_as_the_readme_installs()
    kept = {(obj["kind"], obj["metadata"]["name"]) for obj in objects
            if obj["metadata"].get("annotations", {}).get("helm.sh/resource-policy") == "keep"}
    crds = {yaml.safe_load(path.read_text())["metadata"]["name"] for path in REPO_CRDS.glob("*.yaml")}
    checked = set()
    for argv in upgrade_commands():
        if argv[:2] == ["kubectl", "get"] and argv[2] == "customresourcedefinitions":
            assert set(argv[3:]) == crds
            checked |= {("CustomResourceDefinition", name) for name in argv[3:]}
        if "persistentvolumeclaim" in argv:
            checked.add(("PersistentVolumeClaim", argv[-1]))
    # What the README says uninstall leaves is what the chart marks to keep.
    assert checked == kept


def test_continued_lines_are_joined():
    readme = "<!-- upgrade-commands:start -->\n```sh\nhelm upgrade a b \\\n  --namespace n\nkubectl get pods\n```\n<!-- upgrade-commands:end -->"
    assert upgrade_commands(readme) == [["helm", "upgrade", "a", "b", "--namespace", "n"], ["kubectl", "get", "pods"]]
