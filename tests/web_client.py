"""A signed-in user of a running web app, over real HTTP (requests): CSRF tokens taken from the
pages as a browser's form posts carry them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def browser_like_session() -> requests.Session:
    """A session that, as a browser does, sends a GET again on a new connection when the server
    closed the kept-alive one it reused (a web pod that stopped during a rollout); posts are
    never repeated."""
    session = requests.Session()
    retry = Retry(total=2, connect=2, read=2, status=0, allowed_methods={"GET", "HEAD"},
                  raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


@dataclass
class WebUser:
    base_url: str
    session: requests.Session = field(default_factory=browser_like_session)

    def get(self, path: str) -> requests.Response:
        response = self.session.get(self.base_url + path, timeout=60)
        response.raise_for_status()
        return response

    def post(self, form_page: str, action: str, data: dict[str, str],
             files: list[tuple[str, tuple[str, bytes, str]]] | None = None) -> requests.Response:
        """Open `form_page`, then post `data` (and `files`) to `action` with its CSRF token;
        redirects are followed. Answers other than 2xx raise."""
        page = self.get(form_page).text
        token = CSRF_INPUT.search(page)
        assert token, f"no CSRF token on {form_page}"
        response = self.session.post(self.base_url + action, timeout=300, files=files,
                                     data={**data, "csrfmiddlewaretoken": token[1]},
                                     headers={"Referer": self.base_url + form_page})
        response.raise_for_status()
        return response

    def sign_in(self, username: str, password: str) -> requests.Response:
        login = "/accounts/login/"
        answer = self.post(login, login, {"username": username, "password": password})
        assert not answer.url.endswith(login), f"sign-in as {username} failed"
        return answer

    def json(self, path: str) -> Any:
        return self.get(path).json()
