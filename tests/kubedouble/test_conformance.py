"""Plays every conformance row (tests/kubedouble/conformance/*.py) against one double."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kubedouble.testing import ApiServerHandle, start_apiserver
from tests.fixtures.apiserver import node_images
from tests.kubedouble.conformance import ADMIN, BAD_TOKEN, NO_TOKEN, SA_TOKEN, Row, Step, all_rows

REPO = Path(__file__).resolve().parents[2]
ROWS = all_rows()


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerHandle]:
    tmp = tmp_path_factory.mktemp("conformance")
    data = tmp / "data"
    data.mkdir()
    with start_apiserver(crd_dir=REPO / "crds", volumes={"kubeshowcase-data": data},
                         images=node_images(), tmp_dir=tmp / "kubedouble") as handle:
        yield handle


def _fill(value: Any, namespace: str) -> Any:
    if isinstance(value, str):
        return value.replace("{ns}", namespace)
    if isinstance(value, dict):
        return {_fill(k, namespace): _fill(v, namespace) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, namespace) for v in value]
    return value


class Player:
    def __init__(self, handle: ApiServerHandle, namespace: str) -> None:
        self.handle, self.namespace, self.sa_token = handle, namespace, ""

    def send(self, method: str, path: str, body: Any, token: str, query: str = "",
             headers: dict[str, str] | None = None) -> requests.Response:
        sent = {name: _fill(value, self.namespace) for name, value in (headers or {}).items()}
        bearer = {ADMIN: self.handle.token, BAD_TOKEN: "not-a-token", SA_TOKEN: self.sa_token,
                  NO_TOKEN: None}[token]
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        url = self.handle.url + _fill(path, self.namespace) + (f"?{query}" if query else "")
        data = None
        if body is not None:
            data = json.dumps(_fill(body, self.namespace)) if not isinstance(body, bytes) else body
            sent.setdefault("Content-Type", "application/json")
        return requests.request(method, url, data=data, headers=sent, timeout=60,
                                verify=self.handle.ca_file)

    def step(self, step: Step) -> None:
        if step.method == "TOKEN":
            response = self.send("POST", f"/api/v1/namespaces/{{ns}}/serviceaccounts/"
                                         f"{step.path}/token", {"spec": step.body or {}}, ADMIN)
            assert response.status_code == 201, response.text
            self.sa_token = response.json()["status"]["token"]
            return
        deadline = time.monotonic() + step.wait
        while True:
            response = self.send(step.method, step.path, step.body, step.token,
                                 headers=step.headers)
            try:
                if step.status is None:
                    assert response.ok, f"{step.method} {step.path}: {response.text}"
                else:
                    assert response.status_code == step.status, f"{step.path}: {response.text}"
                check_text(response.text, step.contains, step.absent, self.namespace)
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def check_text(text: str, contains: tuple[str, ...], absent: tuple[str, ...],
               namespace: str) -> None:
    for fragment in contains:
        assert _fill(fragment, namespace) in text, f"{fragment!r} not in {text[:2000]}"
    for fragment in absent:
        assert _fill(fragment, namespace) not in text, f"{fragment!r} in {text[:2000]}"


def dig(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def check_answer(row: Row, response: requests.Response, namespace: str) -> None:
    assert response.status_code == row.status, response.text[:2000]
    check_text(response.text, row.contains, row.absent, namespace)
    for dotted, expected in row.fields.items():
        assert dig(response.json(), dotted) == _fill(expected, namespace), dotted
    for header, fragment in row.response_headers.items():
        values = response.raw.headers.getlist(header) if response.raw else []
        if fragment:
            assert any(fragment in v for v in values), (header, values)
        else:
            assert not values, (header, values)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_the_double_answers_as_the_real_server(double: ApiServerHandle, row: Row) -> None:
    namespace = f"c{ROWS.index(row)}"
    player = Player(double, namespace)
    player.step(Step("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}}))
    for step in row.setup:
        player.step(step)
    deadline = time.monotonic() + row.eventually
    while True:
        response = player.send(row.method, row.path, row.body, row.token, row.query,
                               row.headers)
        try:
            check_answer(row, response, namespace)
            break
        except (AssertionError, KeyError, IndexError, TypeError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    for step in row.then:
        player.step(step)


def test_every_row_cites_its_source() -> None:
    assert len(ROWS) >= 40
    for row in ROWS:
        assert row.source.startswith(("k8s.io/", "pkg/", "https://kubernetes.io/",
                                      "staging/", "kubernetes.io/", "plugin/")), row.name
