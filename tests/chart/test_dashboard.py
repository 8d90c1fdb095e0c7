"""The chart's Grafana dashboard queries only metrics that the real components export: every
name in every expr is found in a scrape of the real operator, gunicorn and watcher."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.watcher import running_watcher
from tests.scrape import free_port, scrape_text, status_of, wait_for_value
from tests.web.test_gunicorn import start_gunicorn  # noqa: F401 (fixture)
from tests.web.watcher.test_command import database_url  # noqa: F401 (fixture)

DASHBOARD = Path(__file__).resolve().parents[2] / "charts/kubeshowcase/dashboards/kubeshowcase.json"
METRIC = re.compile(r"\b(kubeshowcase_[a-z0-9_]+)\b")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum",
                                                              "_created")}


def exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", ())]


def exported_names(url: str) -> set[str]:
    """Every series name the endpoint can answer, even of a family with no sample yet."""
    names: set[str] = set()
    for family in text_string_to_metric_families(scrape_text(url)):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_the_dashboard_is_panels_of_prometheus_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "kubeshowcase"
    found = exprs()
    assert len(found) >= 10
    assert all(METRIC.search(expr) for expr in found), "every query reads one of ours"


def test_every_query_uses_names_the_components_export(
        operator_factory, ksc, start_gunicorn, apiserver, database_url,  # noqa: ANN001, F811
        tmp_path: Path) -> None:
    operator_port, web_port, watcher_port = free_port(), free_port(), free_port()
    operator_factory(METRICS_PORT=str(operator_port))
    web = start_gunicorn({"METRICS_PORT": str(web_port),
                          "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc")})
    # One request: in multiprocess mode a family shows once a worker has written a value.
    assert status_of(f"http://127.0.0.1:{web.port}/") == 302
    exported = exported_names(f"http://127.0.0.1:{web_port}/metrics")
    with running_watcher(apiserver, database_url, tmp_path / "watcher.log",
                         METRICS_PORT=str(watcher_port)):
        exported |= exported_names(f"http://127.0.0.1:{watcher_port}/metrics")
    wait_for_value(f"http://127.0.0.1:{operator_port}/metrics", "kubeshowcase_operator_leader",
                   lambda found: found == 1.0)
    exported |= exported_names(f"http://127.0.0.1:{operator_port}/metrics")

    used = {name for expr in exprs() for name in METRIC.findall(expr)}
    assert used - exported == set(), f"not exported: {sorted(used - exported)}"
    # And the dashboard shows every metric of ours (a new one gets a panel too).
    ours = {name for name in exported if name.startswith("kubeshowcase_")
            and not name.endswith("_created")}
    families = {re.sub(r"_(bucket|count|sum|total)$", "", name) for name in ours}
    shown = {re.sub(r"_(bucket|count|sum|total)$", "", name) for name in used}
    assert families - shown == set(), f"no panel: {sorted(families - shown)}"
