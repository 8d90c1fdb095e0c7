"""The cleanup CronJob: `manage.py cleanup` with the web pods' image, env, volume and scheduling,
under its own ServiceAccount, on by default."""

from __future__ import annotations

import pytest

from tests.chart.cronjobs import WEB_ONLY, cron_pod, serving_only
from tests.chart.helm import NAMESPACE, SCENARIOS, env_of, render, render_error

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_it_runs_manage_py_cleanup_like_the_web_pods(scenario):
    manifests = render(scenario)
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    (web_container,) = web["containers"]
    _, pod = cron_pod(manifests, "cleanup")
    (container,) = pod["containers"]
    assert container["command"] == ["python", "manage.py", "cleanup"]
    assert container["image"] == web_container["image"]
    assert container["imagePullPolicy"] == web_container["imagePullPolicy"]
    # The web pod's token is a volume of its web container only; the cleanup pod's is automounted.
    assert container["volumeMounts"] == [mount for mount in web_container["volumeMounts"]
                                         if mount["name"] not in WEB_ONLY]
    assert pod["volumes"] == [volume for volume in web["volumes"] if volume["name"] not in WEB_ONLY]
    assert pod["securityContext"] == web["securityContext"]
    assert container["securityContext"] == web_container["securityContext"]
    env, web_env = env_of(container), env_of(web_container)
    assert {name: env[name] for name in env if name != "STAGING_MAX_AGE_HOURS"} == {
        name: value for name, value in web_env.items()
        if not name.startswith("GUNICORN_") and name != "WEB_CONCURRENCY"
        and not serving_only(name)}
    assert env["STAGING_MAX_AGE_HOURS"] == "24"
    for field in ("nodeSelector", "affinity", "tolerations"):
        assert pod.get(field) == web.get(field), field


def test_it_is_on_by_default_hourly_one_at_a_time():
    cron, pod = cron_pod(render("default-values.yaml"), "cleanup")
    assert cron["spec"]["schedule"] == "17 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert "timeZone" not in cron["spec"]
    job = cron["spec"]["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"]) == (0, 1800)
    assert pod["restartPolicy"] == "Never"
    assert cron["spec"]["jobTemplate"]["metadata"]["labels"]["app.kubernetes.io/component"] == \
        "cleanup"


def test_schedule_time_zone_and_staging_age_follow_values():
    manifests = render("default-values.yaml", "cleanup.schedule=*/10 * * * *",
                       "cleanup.timeZone=Europe/Berlin", "cleanup.stagingMaxAgeHours=6")
    cron, pod = cron_pod(manifests, "cleanup")
    assert cron["spec"]["schedule"] == "*/10 * * * *"
    assert cron["spec"]["timeZone"] == "Europe/Berlin"
    assert env_of(pod["containers"][0])["STAGING_MAX_AGE_HOURS"] == "6"


def test_it_has_its_own_account_bound_to_its_role():
    manifests = render("default-values.yaml")
    _, pod = cron_pod(manifests, "cleanup")
    account = manifests.component("ServiceAccount", "cleanup")
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert account["metadata"]["name"] == "showcase-kubeshowcase-cleanup"
    assert account["automountServiceAccountToken"] is True
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] != web["serviceAccountName"]  # web pods may not delete runs
    binding = manifests.component("RoleBinding", "cleanup")
    assert binding["roleRef"]["name"] == manifests.component("Role", "cleanup")["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": pod["serviceAccountName"],
                                    "namespace": NAMESPACE}]


def test_an_existing_account_can_be_named():
    manifests = render("default-values.yaml", "cleanup.serviceAccount.create=false",
                       "cleanup.serviceAccount.name=lab-cleanup")
    _, pod = cron_pod(manifests, "cleanup")
    assert pod["serviceAccountName"] == "lab-cleanup"
    assert "cleanup" not in [account["metadata"]["labels"]["app.kubernetes.io/component"]
                             for account in manifests.of_kind("ServiceAccount")]


def test_turning_it_off_removes_the_cronjob_and_its_rights():
    manifests = render("default-values.yaml", "cleanup.enabled=false")
    components = {obj["metadata"]["labels"].get("app.kubernetes.io/component")
                  for obj in manifests.objects}
    assert "cleanup" not in components
    assert [cron["metadata"]["labels"]["app.kubernetes.io/component"]
            for cron in manifests.of_kind("CronJob")] == ["usage-reconcile"]  # a job of its own


def test_guest_settings_reach_the_web_app_and_the_cleanup():
    manifests = render("default-values.yaml", "web.guests.lifetimeHours=6",
                       "web.guests.maxLive=40", "web.guests.rate=3/15m")
    _, pod = cron_pod(manifests, "cleanup")
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    for container in (web["containers"][0], pod["containers"][0]):
        env = env_of(container)
        assert (env["GUEST_LIFETIME_HOURS"], env["GUEST_MAX_LIVE"], env["GUEST_RATE"]) == (
            "6", "40", "3/15m")
    defaults = env_of(render("default-values.yaml").component(
        "Deployment", "web")["spec"]["template"]["spec"]["containers"][0])
    assert not {"GUEST_LIFETIME_HOURS", "GUEST_MAX_LIVE", "GUEST_RATE"} & set(defaults)


@pytest.mark.parametrize(("assignment", "where"), [
    ("web.guests.rate=lots", "/web/guests/rate"),
    ("web.guests.maxLive=0", "/web/guests/maxLive"),
    ("cleanup.stagingMaxAgeHours=0", "/cleanup/stagingMaxAgeHours"),
    ("cleanup.enabled=sometimes", "/cleanup/enabled"),
])
def test_bad_values_fail_naming_where(assignment, where):
    assert f"at '{where}'" in render_error("default-values.yaml", assignment)


def test_a_typo_fails():
    assert "additional properties 'schedul' not allowed" in render_error(
        "default-values.yaml", "cleanup.schedul=@daily")
