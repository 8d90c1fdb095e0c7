"""Mail and notification settings come from environment variables (the password from a
mounted Secret file too), with SITE_URL defaulting to the site's first host."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web.test_settings import run_python

PRINT = """
import json
from django.conf import settings
names = ["SITE_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
         "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL", "NOTIFY_DIGEST_SECONDS",
         "NOTIFY_WEBHOOK_ALLOWED_HOSTS", "NOTIFY_SENDER"]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def load(env: dict[str, str]) -> dict:
    result = run_python(PRINT, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_mail_settings_come_from_the_environment(tmp_path: Path) -> None:
    password = tmp_path / "smtp-password"
    password.write_text("hunter2\n")
    loaded = load({"EMAIL_HOST": "smtp.lab.example", "EMAIL_PORT": "587",
                   "EMAIL_HOST_USER": "showcase", "EMAIL_HOST_PASSWORD_FILE": str(password),
                   "EMAIL_USE_TLS": "on", "DEFAULT_FROM_EMAIL": "runs@lab.example",
                   "NOTIFY_DIGEST_SECONDS": "120", "NOTIFY_WEBHOOK_ALLOWED_HOSTS": "Hooks.Lab, 10.0.0.7",
                   "KUBESHOWCASE_HOSTS": "lab.example.org demo.example.org"})
    assert loaded == {
        "SITE_URL": "https://lab.example.org", "EMAIL_HOST": "smtp.lab.example",
        "EMAIL_PORT": 587, "EMAIL_HOST_USER": "showcase", "EMAIL_HOST_PASSWORD": "hunter2",
        "EMAIL_USE_TLS": True, "DEFAULT_FROM_EMAIL": "runs@lab.example",
        "NOTIFY_DIGEST_SECONDS": 120, "NOTIFY_WEBHOOK_ALLOWED_HOSTS": ["hooks.lab", "10.0.0.7"],
        "NOTIFY_SENDER": True,
    }


def test_by_default_mail_is_off_and_site_url_can_be_set() -> None:
    loaded = load({"SITE_URL": "https://showcase.lab.example/"})
    assert (loaded["EMAIL_HOST"], loaded["SITE_URL"]) == ("", "https://showcase.lab.example")


def test_tls_and_ssl_together_are_refused() -> None:
    result = run_python(PRINT, {"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"})
    assert result.returncode != 0 and "EMAIL_USE_SSL" in result.stderr
