"""Every setting reaches the web and operator containers as an environment variable from values."""

from __future__ import annotations

import pytest
import yaml

from tests.chart.helm import CI_DIR, SCENARIOS, env_of, render

WEB_ALWAYS = {"SECRET_KEY", "DATABASE_URL", "DATA_ROOT", "KUBE_NAMESPACE", "KUBESHOWCASE_HOSTS",
              "KUBESHOWCASE_SCHEME", "ALLOW_GUESTS", "WEB_CONCURRENCY"}
LIMITS = {f"{who}_MAX_{what}" for who in ("USER", "GUEST")
          for what in ("PROJECTS", "FILES", "BYTES", "UPLOAD_BYTES", "QUEUED_RUNS")} | {
    "ZIP_MAX_ENTRIES", "ZIP_MAX_TOTAL_BYTES", "ZIP_MAX_RATIO"}
OPERATOR_ENV = {"KUBE_NAMESPACE", "POD_NAME", "DATA_ROOT", "DATA_PVC", "MAX_CONCURRENT_RUNS",
                "QUEUE_POSITION_HEAD", "JOB_TTL_SECONDS", "PIPELINE_RUN_AS_USER", "LEASE_NAME",
                "LEASE_DURATION_SECONDS", "LOG_MAX_BYTES", "PENDING_TIMEOUT_SECONDS",
                "DEFAULT_ACTIVE_DEADLINE_SECONDS", "RESYNC_SECONDS", "TERMINATING_TIMEOUT_SECONDS",
                "PIPELINE_RUN_AS_GROUP", "PIPELINE_FS_GROUP", "PIPELINE_SERVICE_ACCOUNT",
                "PIPELINE_IMAGE_PULL_SECRETS", "PIPELINE_NODE_SELECTOR", "PIPELINE_TOLERATIONS",
                "PIPELINE_AFFINITY", "PIPELINE_PRIORITY_CLASS", "METRICS_PORT", "LOG_FORMAT",
                "QUEUE_POLICY", "MAX_RUNS_PER_OWNER"}
FIELD_NAMESPACE = {"fieldRef": {"fieldPath": "metadata.namespace"}}


def web_containers(manifests):
    pod = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    return {container["name"]: container for container in [*pod["initContainers"], *pod["containers"]]}


def web_env(manifests):
    return env_of(web_containers(manifests)["web"])


def operator_env(manifests):
    pod = manifests.component("Deployment", "operator")["spec"]["template"]["spec"]
    return env_of(pod["containers"][0])


def migrate_job(manifests):
    job = manifests.component("Job", "migrate")
    return job, job["spec"]["template"]["spec"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_migrations_get_the_database_only(scenario):
    manifests = render(scenario)
    containers = web_containers(manifests)
    assert WEB_ALWAYS <= set(env_of(containers["web"]))
    _, job_pod = migrate_job(manifests)
    extra = {item["name"] for item in
             (yaml.safe_load((CI_DIR / scenario).read_text()).get("web") or {}).get("extraEnv", [])}
    for container in (containers["wait-for-schema"], job_pod["containers"][0]):
        # migrate needs no SECRET_KEY (settings.py makes a throwaway one), token or data volume:
        # the database and what the admin adds to every web container (web.extraEnv).
        assert set(env_of(container)) == {"DATABASE_URL"} | extra
        assert env_of(container)["DATABASE_URL"] == env_of(containers["web"])["DATABASE_URL"]
        assert [mount["name"] for mount in container["volumeMounts"]] == ["tmp"]


def test_extra_env_reaches_the_migrators_too():
    manifests = render("default-values.yaml", "web.extraEnv[0].name=TZ", "web.extraEnv[0].value=UTC")
    _, job_pod = migrate_job(manifests)
    for container in (web_containers(manifests)["wait-for-schema"], job_pod["containers"][0],
                      web_containers(manifests)["web"]):
        assert env_of(container)["TZ"] == "UTC"


def test_gunicorn_settings_come_from_values():
    env = web_env(render("default-values.yaml", "web.gunicorn.workers=3", "web.gunicorn.threads=16",
                         "web.gunicorn.timeout=90", "web.gunicorn.gracefulTimeout=300",
                         "web.gunicorn.keepAlive=65", "web.gunicorn.maxRequests=1000",
                         "web.gunicorn.maxRequestsJitter=100", "web.gunicorn.clientTimeout=45"))
    assert {name: value for name, value in env.items()
            if name.startswith("GUNICORN_") or name == "WEB_CONCURRENCY"} == {
        "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "16", "GUNICORN_TIMEOUT": "90",
        "GUNICORN_GRACEFUL_TIMEOUT": "300", "GUNICORN_KEEPALIVE": "65",
        "GUNICORN_CLIENT_TIMEOUT": "45", "GUNICORN_MAX_REQUESTS": "1000",
        "GUNICORN_MAX_REQUESTS_JITTER": "100"}
    pod = render("default-values.yaml", "web.gunicorn.gracefulTimeout=300").component(
        "Deployment", "web")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 310


def test_only_the_web_container_gets_an_api_token():
    manifests = render("default-values.yaml")
    pod = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    token_mounts = {container["name"]: [m["mountPath"] for m in container["volumeMounts"]
                                        if m["name"] == "api-token"]
                    for container in [*pod["initContainers"], *pod["containers"]]}
    assert token_mounts == {"wait-for-schema": [],
                            "web": ["/var/run/secrets/kubernetes.io/serviceaccount"]}
    (volume,) = [v for v in pod["volumes"] if v["name"] == "api-token"]
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}
    assert {"key": "ca.crt", "path": "ca.crt"} in sources[1]["configMap"]["items"]
    assert sources[2]["downwardAPI"]["items"][0]["path"] == "namespace"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_operator_gets_every_setting(scenario):
    assert set(operator_env(render(scenario))) == OPERATOR_ENV


def test_the_queue_is_fair_by_default_and_follows_values():
    assert {name: operator_env(render("default-values.yaml"))[name]
            for name in ("QUEUE_POLICY", "MAX_RUNS_PER_OWNER")} == {
        "QUEUE_POLICY": "RoundRobin", "MAX_RUNS_PER_OWNER": "0"}
    env = operator_env(render("operator-ha-values.yaml"))
    assert (env["QUEUE_POLICY"], env["MAX_RUNS_PER_OWNER"]) == ("FIFO", "2")


def test_web_defaults_suit_a_cluster():
    env = web_env(render("default-values.yaml"))
    assert env["ALLOW_GUESTS"] == "false"
    assert env["KUBESHOWCASE_HOSTS"] == "localhost 127.0.0.1"
    assert env["KUBESHOWCASE_SCHEME"] == "http"
    assert env["DATA_ROOT"] == "/data"
    assert env["KUBE_NAMESPACE"] == FIELD_NAMESPACE
    assert env["SECRET_KEY"] == {"secretKeyRef": {"name": "showcase-kubeshowcase-web", "key": "secret-key"}}
    assert env["DATABASE_URL"] == {"secretKeyRef": {"name": "kubeshowcase-database", "key": "database-url"}}
    # Unset limits keep the web app's own defaults; optional features stay off.
    assert not (LIMITS | {"DEMO_USERS", "SSO_HEADER", "SSO_TRUSTED_PROXIES", "SSO_SHARED_SECRET",
                          "SSO_SECRET_HEADER", "SECURE_PROXY_SSL_HEADER", "LOGIN_FAILURE_LIMIT",
                          "LOGIN_COOLOFF_MINUTES", "DOWNLOAD_OFFLOAD",
                          "DOWNLOAD_OFFLOAD_PREFIX"}) & set(env)


def test_web_settings_follow_values():
    env = web_env(render("ingress-sso-values.yaml"))
    assert env["KUBESHOWCASE_HOSTS"] == "showcase.example.org imaging.example.org"
    assert env["KUBESHOWCASE_SCHEME"] == "https"
    assert env["SSO_HEADER"] == "X-Auth-Request-User"
    assert env["SSO_TRUSTED_PROXIES"] == "192.168.10.5 192.168.10.6"
    assert env["SSO_SHARED_SECRET"] == {
        "secretKeyRef": {"name": "kubeshowcase-sso", "key": "proxy-secret"}}
    assert env["SECURE_PROXY_SSL_HEADER"] == "X-Forwarded-Proto: https"
    assert env["DEMO_USERS"] == "visitor reviewer"
    assert env["SECRET_KEY"] == {"secretKeyRef": {"name": "kubeshowcase-django", "key": "secret-key"}}
    assert env["DATABASE_URL"] == {"secretKeyRef": {"name": "kubeshowcase-database", "key": "url"}}
    # Byte counts stay exact integers (Helm reads numbers as floats: 5.36870912e+10 would break them).
    assert {name: env[name] for name in LIMITS} == {
        "USER_MAX_PROJECTS": "50", "USER_MAX_FILES": "20000", "USER_MAX_BYTES": "53687091200",
        "USER_MAX_UPLOAD_BYTES": "2147483648", "USER_MAX_QUEUED_RUNS": "5",
        "GUEST_MAX_PROJECTS": "1", "GUEST_MAX_FILES": "100", "GUEST_MAX_BYTES": "104857600",
        "GUEST_MAX_UPLOAD_BYTES": "10485760", "GUEST_MAX_QUEUED_RUNS": "1",
        "ZIP_MAX_ENTRIES": "10000", "ZIP_MAX_TOTAL_BYTES": "10737418240", "ZIP_MAX_RATIO": "100",
    }


def test_explicit_hosts_scheme_and_guests_win():
    env = web_env(render("ingress-sso-values.yaml", "web.hosts={a.example.org,b.example.org}",
                        "web.scheme=http", "web.allowGuests=true", "web.gunicorn.workers=5"))
    assert env["KUBESHOWCASE_HOSTS"] == "a.example.org b.example.org"
    assert env["KUBESHOWCASE_SCHEME"] == "http"
    assert env["ALLOW_GUESTS"] == "true"
    assert env["WEB_CONCURRENCY"] == "5"


def test_download_offload_follows_values():
    env = web_env(render("default-values.yaml", "web.downloads.offload=x-accel-redirect",
                         "web.downloads.offloadPrefix=/_data"))
    assert (env["DOWNLOAD_OFFLOAD"], env["DOWNLOAD_OFFLOAD_PREFIX"]) == ("x-accel-redirect", "/_data")


def test_resumable_uploads_follow_values():
    assert {name: value for name, value in web_env(render("default-values.yaml")).items()
            if name.startswith("TUS_")} == {"TUS_UPLOAD_EXPIRY_HOURS": "24",
                                             "TUS_CHUNK_BYTES": "52428800"}
    env = web_env(render("default-values.yaml", "web.uploads.expiryHours=72",
                         "web.uploads.chunkBytes=8388608"))
    assert (env["TUS_UPLOAD_EXPIRY_HOURS"], env["TUS_CHUNK_BYTES"]) == ("72", "8388608")


def test_deep_zoom_and_provenance_bounds_follow_values():
    names = ("DEEPZOOM_", "RUN_INPUTS_", "RUN_CRATE_")
    assert {name: value for name, value in web_env(render("default-values.yaml")).items()
            if name.startswith(names)} == {
        "DEEPZOOM_MAX_MEGAPIXELS": "1024", "DEEPZOOM_SCREEN_SIDE": "2048",
        "DEEPZOOM_MAX_RENDERS": "2", "DEEPZOOM_CACHE_MAX_BYTES": "21474836480",
        "DEEPZOOM_CACHE_MIN_FREE_PERCENT": "10", "RUN_INPUTS_MAX_FILES": "10000",
        "RUN_INPUTS_HASH_FILE_MAX": "67108864", "RUN_INPUTS_HASH_BUDGET": "268435456",
        "RUN_CRATE_MAX_BYTES": "4294967296"}
    env = web_env(render("default-values.yaml", "web.deepZoom.maxMegapixels=400",
                         "web.provenance.crateMaxBytes=1073741824",
                         "web.deepZoom.cacheMaxBytes=0", "web.deepZoom.cacheMinFreePercent=25"))
    assert (env["DEEPZOOM_MAX_MEGAPIXELS"], env["RUN_CRATE_MAX_BYTES"]) == ("400", "1073741824")
    assert env["DEEPZOOM_CACHE_MAX_BYTES"] == "0"  # the cache off, not dropped
    assert env["DEEPZOOM_CACHE_MIN_FREE_PERCENT"] == "25"


def test_a_zero_limit_is_passed_not_dropped():
    env = web_env(render("default-values.yaml", "web.limits.guest.maxProjects=0"))
    assert env["GUEST_MAX_PROJECTS"] == "0"


def test_extra_env_reaches_the_containers():
    web = web_env(render("default-values.yaml", "web.extraEnv[0].name=DEBUG_TOOLBAR",
                         "web.extraEnv[0].value=off"))
    assert web["DEBUG_TOOLBAR"] == "off"
    operator = operator_env(render("default-values.yaml", "operator.extraEnv[0].name=KOPF_DEBUG",
                                   "operator.extraEnv[0].value=verbose"))
    assert operator["KOPF_DEBUG"] == "verbose"


def test_operator_defaults():
    env = operator_env(render("default-values.yaml"))
    assert env == {
        "KUBE_NAMESPACE": FIELD_NAMESPACE,
        "POD_NAME": {"fieldRef": {"fieldPath": "metadata.name"}},
        "DATA_ROOT": "/data",
        "DATA_PVC": "showcase-kubeshowcase-data",
        "MAX_CONCURRENT_RUNS": "1",
        "QUEUE_POSITION_HEAD": "20",
        "QUEUE_POLICY": "RoundRobin",
        "MAX_RUNS_PER_OWNER": "0",
        "JOB_TTL_SECONDS": "3600",
        "PIPELINE_RUN_AS_USER": "10001",
        "PIPELINE_RUN_AS_GROUP": "10001",
        "PIPELINE_FS_GROUP": "10001",
        "PIPELINE_SERVICE_ACCOUNT": "showcase-kubeshowcase-pipeline",
        "PIPELINE_IMAGE_PULL_SECRETS": "[]",
        "PIPELINE_NODE_SELECTOR": "{}",
        "PIPELINE_TOLERATIONS": "[]",
        "PIPELINE_AFFINITY": "{}",
        "PIPELINE_PRIORITY_CLASS": "",
        "LEASE_NAME": "showcase-kubeshowcase-operator",
        "LEASE_DURATION_SECONDS": "15",
        "LOG_MAX_BYTES": "67108864",
        "PENDING_TIMEOUT_SECONDS": "600",
        "TERMINATING_TIMEOUT_SECONDS": "120",
        "DEFAULT_ACTIVE_DEADLINE_SECONDS": "86400",
        "RESYNC_SECONDS": "60",
        "METRICS_PORT": "9090",
        "LOG_FORMAT": "text",
    }


def test_operator_settings_follow_values():
    env = operator_env(render("operator-ha-values.yaml"))
    assert (env["MAX_CONCURRENT_RUNS"], env["QUEUE_POSITION_HEAD"], env["JOB_TTL_SECONDS"]) == ("3", "50", "600")
    assert (env["LEASE_NAME"], env["LEASE_DURATION_SECONDS"]) == ("showcase-leader", "30")


def test_data_root_and_claim_follow_an_existing_claim():
    manifests = render("existing-claim-values.yaml")
    assert operator_env(manifests)["DATA_PVC"] == "lab-imaging-data"
    assert operator_env(manifests)["DATA_ROOT"] == web_env(manifests)["DATA_ROOT"] == "/srv/kubeshowcase"
    for component in ("web", "operator"):
        pod = manifests.component("Deployment", component)["spec"]["template"]["spec"]
        mounts = {mount["name"]: mount["mountPath"] for mount in pod["containers"][0]["volumeMounts"]}
        assert mounts["data"] == "/srv/kubeshowcase"


def test_commands():
    manifests = render("default-values.yaml")
    containers = web_containers(manifests)
    assert containers["wait-for-schema"]["command"] == [
        "python", "manage.py", "migrate", "--check", "--noinput"]
    _, job_pod = migrate_job(manifests)
    assert job_pod["containers"][0]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    # The images' own entry points (tests/test_dockerfiles.py): no override to drift from them.
    assert "command" not in containers["web"] and "args" not in containers["web"]
    operator = manifests.component("Deployment", "operator")["spec"]["template"]["spec"]["containers"][0]
    assert "command" not in operator and "args" not in operator
    # The image's entry point finds its namespace here (KUBE_NAMESPACE, else POD_NAMESPACE).
    assert env_of(operator)["KUBE_NAMESPACE"] == FIELD_NAMESPACE


def test_probes():
    manifests = render("default-values.yaml")
    web = web_containers(manifests)["web"]
    assert (web["livenessProbe"]["httpGet"]["path"], web["readinessProbe"]["httpGet"]["path"]) == (
        "/healthz", "/readyz")
    assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"},
                            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
    operator = manifests.component("Deployment", "operator")["spec"]["template"]["spec"]["containers"][0]
    assert operator["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert operator["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"},
                                 {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
    # The watcher's GET /livez (runs/liveness.py) on the port its probe names.
    watcher = manifests.component("Deployment", "watcher")["spec"]["template"]["spec"]["containers"][0]
    assert watcher["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "health"}
    assert watcher["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"},
                                {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
    assert env_of(watcher)["WATCHER_HEALTH_PORT"] == "8080"


def test_migrations_can_run_elsewhere():
    manifests = render("default-values.yaml", "web.migrations.enabled=false")
    pod = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    assert "initContainers" not in pod
    assert [job["metadata"]["labels"]["app.kubernetes.io/component"]
            for job in manifests.of_kind("Job")] == ["secret-key"]
