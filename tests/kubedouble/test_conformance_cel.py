"""Runs the CEL / apply / watch / namespace / OpenAPI conformance rows against one double."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kubedouble import patching
from kubedouble.testing import ApiServerHandle, start_apiserver
from tests.kubedouble.conformance.cel_apply_watch import ROWS, SETUP


def matches(fragment: Any, actual: Any) -> bool:
    if isinstance(fragment, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in fragment.items())
    if isinstance(fragment, list):
        return (isinstance(actual, list) and len(actual) == len(fragment)
                and all(matches(f, a) for f, a in zip(fragment, actual)))
    return fragment == actual


def send(handle: ApiServerHandle, step: dict[str, Any], rv: str = "") -> requests.Response:
    headers = {"Authorization": f"Bearer {handle.token}", **step.get("headers", {})}
    query = {k: (rv if v == "__rv__" else v) for k, v in step.get("query", {}).items()}
    body = step.get("body")
    if "body_from_current" in step:
        current = requests.get(handle.url + step["path"], headers=headers, timeout=30,
                               verify=handle.ca_file).json()
        body = patching.merge_patch(current, step["body_from_current"])
    kwargs: dict[str, Any] = {}
    if isinstance(body, str):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    return requests.request(step["method"], handle.url + step["path"], params=query,
                            headers=headers, timeout=30, verify=handle.ca_file, **kwargs)


def parsed(response: requests.Response) -> Any:
    lines = [line for line in response.text.splitlines() if line.strip()]
    if response.request.url and "watch=true" in response.request.url:
        return {"events": [json.loads(line) for line in lines]}
    try:
        return response.json()
    except ValueError:
        return response.text


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerHandle]:
    tmp: Path = tmp_path_factory.mktemp("conformance-cel")
    with start_apiserver(crd_dir=None, volumes={}, tmp_dir=tmp,
                         watch_history_seconds=1.0) as handle:
        for step in SETUP:
            assert send(handle, step).status_code < 300
        yield handle


def test_rows_cite_their_source_and_are_enough():
    assert len(ROWS) >= 40
    assert all(row.get("source") and row.get("name") for row in ROWS)
    assert len({row["name"] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[row["name"] for row in ROWS])
def test_row(double, row):
    rv = ""
    for step in row.get("before", []):
        if "sleep" in step:
            time.sleep(step["sleep"])
        elif step.get("mark_rv"):
            rv = send(double, {"method": "GET", "path": "/api/v1/namespaces"}).json()[
                "metadata"]["resourceVersion"]
        else:
            assert send(double, step).status_code < 300, step
    response = send(double, row, rv)
    assert response.status_code == row["status"], response.text
    body = parsed(response)
    for fragment in row.get("expect", []):
        assert matches(fragment, body), (fragment, body)
    for text in row.get("contains", []):
        assert text in response.text, (text, response.text)
