"""The usage-reconcile CronJob: `manage.py reconcile_usage` hourly with the web pods' image, env,
account (no token) and data volume (read-only), closed to connections, within checkov's rules."""

from __future__ import annotations

import pytest

from tests.chart.cronjobs import WEB_ONLY, cron_pod, serving_only
from tests.chart.helm import SCENARIOS, env_of, render

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_it_runs_reconcile_usage_like_the_web_pods(scenario):
    manifests = render(scenario)
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    (web_container,) = web["containers"]
    _, pod = cron_pod(manifests, "usage-reconcile")
    (container,) = pod["containers"]
    assert container["command"] == ["python", "manage.py", "reconcile_usage"]
    assert container["image"] == web_container["image"]
    assert pod["serviceAccountName"] == web["serviceAccountName"]
    assert pod["automountServiceAccountToken"] is False  # it never calls the API
    web_mounts = {m["name"]: m for m in web_container["volumeMounts"] if m["name"] not in WEB_ONLY}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts.keys() == web_mounts.keys()
    assert mounts["data"] == {**web_mounts["data"], "readOnly": True}  # it only counts
    assert pod["volumes"] == [volume for volume in web["volumes"] if volume["name"] not in WEB_ONLY]
    assert pod["securityContext"] == web["securityContext"]
    assert container["securityContext"] == web_container["securityContext"]
    assert env_of(container) == {
        name: value for name, value in env_of(web_container).items()
        if not name.startswith("GUNICORN_") and name != "WEB_CONCURRENCY"
        and not serving_only(name)}
    assert container["resources"]["limits"]["cpu"] == "500m"
    for field in ("nodeSelector", "affinity", "tolerations"):
        assert pod.get(field) == web.get(field), field


def test_it_is_on_by_default_hourly_one_at_a_time_and_closed_to_connections():
    manifests = render("default-values.yaml")
    cron, pod = cron_pod(manifests, "usage-reconcile")
    assert cron["spec"]["schedule"] == "41 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert pod["restartPolicy"] == "Never"
    policy = manifests.component("NetworkPolicy", "usage-reconcile")
    assert policy["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in policy["spec"]
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == \
        "usage-reconcile"


def test_schedule_and_time_zone_follow_values_and_it_can_be_turned_off():
    cron, _ = cron_pod(render("default-values.yaml", "usageReconcile.schedule=*/5 * * * *",
                              "usageReconcile.timeZone=Europe/Berlin"), "usage-reconcile")
    assert (cron["spec"]["schedule"], cron["spec"]["timeZone"]) == ("*/5 * * * *",
                                                                     "Europe/Berlin")
    manifests = render("default-values.yaml", "usageReconcile.enabled=false")
    assert not [obj for obj in manifests.objects
                if obj["metadata"]["name"].endswith("usage-reconcile")]
