"""Every page carries a strict Content-Security-Policy and the usual security headers, and no
page has code the policy would block: no inline script, event handler or style attribute."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD, Actor
from tests.web.runs.conftest import Cluster, cluster, data_root  # noqa: F401 (fixtures)
from tests.web.test_settings import run_python


def policy_of(response) -> dict[str, list[str]]:  # noqa: ANN001
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


class InlineCode(HTMLParser):
    """Collects whatever a policy without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower(
            ).startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            if names.get("src"):
                self.scripts.append(names["src"] or "")
            else:
                self._in_inline_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")


def inline_code_in(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser


def test_the_parser_finds_what_the_policy_blocks() -> None:
    # The page checks below pass on a page without inline code; this shows they could fail.
    found = inline_code_in(
        '<script>alert(1)</script><a href="javascript:x()">x</a><button onclick="f()">'
        '<p style="color:red"></p><style>p{}</style><script src="/static/a.js"></script>'
    )
    assert len(found.found) == 5
    assert found.scripts == ["/static/a.js"]


def assert_clean_page(response, *, scripts_expected: bool = True) -> None:  # noqa: ANN001
    assert response.status_code in (200, 403, 404, 429, 503), response.status_code
    assert response["Content-Type"].startswith("text/html")
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in word for words in policy.values() for word in words)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    found = inline_code_in(response.content.decode())
    assert found.found == [], found.found
    if scripts_expected:
        # Same-origin files only (the admin's /admin/jsi18n/ is a view, not a static file).
        assert found.scripts and all(src.startswith("/") and not src.startswith("//")
                                     for src in found.scripts), found.scripts


def test_anonymous_pages(db) -> None:  # noqa: ANN001
    client = Client()
    assert_clean_page(client.get(reverse("accounts-login")))
    assert_clean_page(client.get("/admin/login/"))
    assert_clean_page(client.get("/no-such-page/"))


def test_project_pages(alice: Actor) -> None:
    alice.project("cells", {"a.csv": b"x,y\n1,2\n", "sub": None, "results/summary.csv": b"n\n1\n"})
    for url in (
        reverse("projects-list"),
        reverse("projects-detail", args=["cells"]),
        reverse("projects-browse", args=["cells", "sub"]),
        reverse("results-project", args=["cells"]),
        reverse("accounts-password-change"),
        reverse("projects-detail", args=["nobody-has-this"]),
    ):
        assert_clean_page(alice.client.get(url))


def test_the_deep_zoom_viewer(alice: Actor) -> None:
    """Its OpenSeadragon and its own script are static files; its settings a JSON data block."""
    import pyvips

    project = alice.project("cells", {"results": None})
    for name in ("field.png", "results/field_overlay.png"):
        pyvips.Image.black(3000, 40).pngsave(str(project / name))
    for path in ("field.png", "results/field_overlay.png"):
        assert_clean_page(alice.client.get(reverse("deepzoom-viewer", args=["cells", path])))


def test_run_pages(alice: Actor, cluster: Cluster) -> None:  # noqa: F811
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    for url in (reverse("runs-new", args=["cells"]), reverse("runs-queue"),
                reverse("runs-detail", args=["r1"]), reverse("results-run", args=["r1"])):
        assert_clean_page(alice.client.get(url, follow=True))
    # The polled fragments are swapped into the page with innerHTML: no inline code either.
    for url in (reverse("runs-status", args=["r1"]), reverse("runs-queue-table")):
        fragment = alice.client.get(url)
        assert inline_code_in(fragment.content.decode()).found == [], url


def test_the_admin(db) -> None:  # noqa: ANN001
    admin = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client()
    client.force_login(admin)
    for url in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{admin.pk}/change/"):
        assert_clean_page(client.get(url))


def test_the_lockout_page(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.AXES_FAILURE_LIMIT = 1
    response = Client().post(reverse("accounts-login"), {"username": "alice", "password": "x"})
    assert response.status_code == 429
    assert_clean_page(response)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("X-Forwarded-Proto: https", "['HTTP_X_FORWARDED_PROTO', 'https']"),
     ("X-Forwarded-Ssl:on", "['HTTP_X_FORWARDED_SSL', 'on']")],
)
def test_the_proxy_ssl_header_is_read_from_the_environment(value: str, expected: str) -> None:
    result = run_python("from django.conf import settings as s; print(list(s.SECURE_PROXY_SSL_HEADER))",
                        {"SECURE_PROXY_SSL_HEADER": value})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.parametrize("value", ["X-Forwarded-Proto", "X Forwarded: https", "X-Proto: ", ": https"])
def test_a_malformed_proxy_ssl_header_is_refused(value: str) -> None:
    result = run_python("import django.conf as c; c.settings.SECURE_PROXY_SSL_HEADER",
                        {"SECURE_PROXY_SSL_HEADER": value})
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must look like `X-Forwarded-Proto: https`" in result.stderr


def test_without_it_no_request_claims_https(db, settings) -> None:  # noqa: ANN001
    assert settings.SECURE_PROXY_SSL_HEADER is None
    response = Client(HTTP_X_FORWARDED_PROTO="https").get(reverse("accounts-login"))
    assert response.wsgi_request.is_secure() is False


def test_with_it_the_proxys_word_makes_a_request_secure(db, settings) -> None:  # noqa: ANN001
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = Client(HTTP_X_FORWARDED_PROTO="https").get(reverse("accounts-login"))
    assert response.wsgi_request.is_secure() is True
