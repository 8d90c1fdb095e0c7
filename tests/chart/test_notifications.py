"""Run notifications' settings reach the watcher (which sends them) and the web pods (which
offer them) from the chart's values; the SMTP password only the watcher, from its Secret."""

from __future__ import annotations

from tests.chart.helm import env_of, render


def watcher_env(manifests):
    pod = manifests.component("Deployment", "watcher")["spec"]["template"]["spec"]
    return env_of(pod["containers"][0])


def web_env(manifests):
    pod = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    return env_of(next(c for c in pod["containers"] if c["name"] == "web"))


def test_by_default_email_is_off_and_links_point_at_the_web_host():
    manifests = render("default-values.yaml")
    env = watcher_env(manifests)
    assert "EMAIL_HOST" not in env and "EMAIL_HOST_PASSWORD" not in env
    assert env["SITE_URL"] == "http://localhost"
    assert (env["NOTIFY_DIGEST_SECONDS"], env["NOTIFY_MAX_ATTEMPTS"]) == ("60", "8")
    assert "EMAIL_HOST" not in web_env(manifests)


def test_all_options_reach_the_watcher_and_the_web_pods():
    manifests = render("all-options-values.yaml")
    env = watcher_env(manifests)
    assert env["EMAIL_HOST"] == "smtp.example.org"
    assert (env["EMAIL_PORT"], env["EMAIL_USE_TLS"], env["EMAIL_HOST_USER"]) == (
        "587", "true", "kubeshowcase")
    assert env["EMAIL_HOST_PASSWORD"] == {
        "secretKeyRef": {"name": "kubeshowcase-smtp", "key": "password"}}
    assert env["NOTIFY_DIGEST_SECONDS"] == "120"
    assert env["NOTIFY_WEBHOOK_ALLOWED_HOSTS"] == "hooks.lab.internal"
    assert env["SITE_URL"] == "https://showcase.example.org"
    web = web_env(manifests)
    assert (web["EMAIL_HOST"], web["NOTIFY_WEBHOOK_ALLOWED_HOSTS"]) == (
        "smtp.example.org", "hooks.lab.internal")
    assert "EMAIL_HOST_PASSWORD" not in web and "SITE_URL" not in web
