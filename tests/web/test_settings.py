"""Settings come from the environment; a server refuses to start without the required ones."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import kubeshowcase.settings as production_settings

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
PRINT_SETTINGS = """
import json
from django.conf import settings
names = ["DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE",
         "KUBE_NAMESPACE", "ALLOW_GUESTS", "DEMO_USERS", "USER_MAX_BYTES", "GUEST_MAX_PROJECTS",
         "MISSING_FOR_SERVING"]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    clean |= {"PYTHONPATH": str(WEB), "DJANGO_SETTINGS_MODULE": "kubeshowcase.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60, cwd=WEB
    )


def load_settings(env: dict[str, str]) -> dict:
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_host_list_gives_allowed_hosts_and_csrf_origins() -> None:
    loaded = load_settings({"KUBESHOWCASE_HOSTS": "lab.example.org, demo.example.org:8443"})
    assert loaded["ALLOWED_HOSTS"] == ["lab.example.org", "demo.example.org"]
    assert loaded["CSRF_TRUSTED_ORIGINS"] == [
        "https://lab.example.org",
        "https://demo.example.org:8443",
    ]
    assert loaded["SESSION_COOKIE_SECURE"] is True


def test_the_scheme_can_be_plain_http_for_a_local_demo() -> None:
    loaded = load_settings({"KUBESHOWCASE_HOSTS": "localhost:8000", "KUBESHOWCASE_SCHEME": "http"})
    assert loaded["CSRF_TRUSTED_ORIGINS"] == ["http://localhost:8000"]
    assert loaded["SESSION_COOKIE_SECURE"] is False


def test_defaults_are_safe_and_documented() -> None:
    loaded = load_settings({})
    assert loaded["DEBUG"] is False
    assert loaded["KUBE_NAMESPACE"] == "kubeshowcase"
    assert loaded["ALLOW_GUESTS"] is True
    assert loaded["DEMO_USERS"] == []
    assert loaded["MISSING_FOR_SERVING"] == [
        "SECRET_KEY",
        "KUBESHOWCASE_HOSTS",
        "DATABASE_URL",
        "DATA_ROOT",
    ]


def test_limits_read_sizes_and_counts() -> None:
    loaded = load_settings(
        {"USER_MAX_BYTES": "2Gi", "GUEST_MAX_PROJECTS": "7", "DEMO_USERS": "demo,viewer"}
    )
    assert loaded["USER_MAX_BYTES"] == 2 * 2**30
    assert loaded["GUEST_MAX_PROJECTS"] == 7
    assert loaded["DEMO_USERS"] == ["demo", "viewer"]


def test_bad_values_stop_the_settings_from_loading() -> None:
    for env, expected in [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"USER_MAX_FILES": "-3"}, "USER_MAX_FILES"),
        ({"SSO_HEADER": "X-Forwarded-User"}, "SSO_TRUSTED_PROXIES"),
        ({"SSO_HEADER": "X-User", "SSO_TRUSTED_PROXIES": "10.0.0.0/33"}, "SSO_TRUSTED_PROXIES"),
        ({"DATABASE_URL": "mysql://db/x"}, "PostgreSQL"),
        ({"DATA_ROOT": "relative/path"}, "absolute"),
    ]:
        result = run_python(PRINT_SETTINGS, env)
        assert result.returncode != 0, env
        assert "ImproperlyConfigured" in result.stderr and expected in result.stderr, result.stderr


def test_the_wsgi_app_refuses_to_start_without_its_secrets() -> None:
    result = run_python("import kubeshowcase.wsgi", {"KUBESHOWCASE_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY, DATABASE_URL, DATA_ROOT" in result.stderr


def test_the_wsgi_app_starts_when_everything_is_set(tmp_path: Path) -> None:
    secret = tmp_path / "secret-key"
    secret.write_text("a-secret-from-a-mounted-file")
    result = run_python(
        "import kubeshowcase.wsgi",
        {
            "SECRET_KEY_FILE": str(secret),
            "KUBESHOWCASE_HOSTS": "example.org",
            "DATABASE_URL": "postgres://user:pw@db.invalid:5432/kubeshowcase",
            "DATA_ROOT": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr


def test_debug_needs_neither_secret_key_nor_hosts() -> None:
    loaded = load_settings({"DEBUG": "1"})
    assert loaded["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert "SECRET_KEY" not in loaded["MISSING_FOR_SERVING"]


def test_passwords_are_hashed_with_pbkdf2_sha256() -> None:
    assert (
        production_settings.PASSWORD_HASHERS[0]
        == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    )


def test_uploads_never_stay_in_memory() -> None:
    assert production_settings.FILE_UPLOAD_HANDLERS == ["projects.uploads.StagedUploadHandler"]


def test_every_variable_the_settings_read_is_documented() -> None:
    """web/SETTINGS.md is the reference admins read: each variable settings.py reads is there."""
    source = (WEB / "kubeshowcase" / "settings.py").read_text()
    read = set(re.findall(r'(?:env_\w+|_raw)\(\s*"([A-Z][A-Z0-9_]+)"', source))
    documented = set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", (WEB / "SETTINGS.md").read_text()))
    assert len(read) > 50  # the pattern still finds the settings' reads
    assert sorted(read - documented) == []
