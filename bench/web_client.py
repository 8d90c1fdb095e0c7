"""Signing in to the web app over HTTP, as a browser does; used by the Locust users and the
benchmark's own probes (any requests.Session, Locust's HttpSession included)."""

from __future__ import annotations

from typing import Any

LOGIN_PATH = "/accounts/login/"


class SignInFailed(RuntimeError):
    pass


def sign_in(session: Any, base_url: str, username: str, password: str,
            **request_options: Any) -> None:
    """GET the login form (its CSRF cookie), POST the credentials; the session cookie stays."""
    url = base_url + LOGIN_PATH
    session.get(url, **request_options)
    token = session.cookies.get("csrftoken", "")
    answer = session.post(url, data={"username": username, "password": password,
                                     "csrfmiddlewaretoken": token},
                          headers={"Referer": url}, allow_redirects=False, **request_options)
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise SignInFailed(f"signing in as {username} answered {answer.status_code}")


def signed_in_cookies(base_url: str, username: str, password: str) -> dict[str, str]:
    """The cookies of a fresh signed-in session (a Django session lives in the database, so
    they stay good across gunicorn restarts)."""
    import requests

    with requests.Session() as session:
        sign_in(session, base_url, username, password)
        return {name: session.cookies[name] for name in ("sessionid", "csrftoken")}


def session_with(cookies: dict[str, str]) -> Any:
    import requests

    session = requests.Session()
    for name, value in cookies.items():
        session.cookies.set(name, value)
    return session
