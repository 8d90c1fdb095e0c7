"""Watch streams: replay from a resourceVersion, 410 Gone, timeouts, bookmarks, selectors."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests
from kubernetes import client, watch

from kubedouble.testing import start_apiserver
from tests.kubedouble.helpers import KSR, auth, http, ksr_path, pipeline_run, wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def quick(tmp_path):
    """A double whose watch history is compacted after 1 s, with frequent bookmarks."""
    with start_apiserver(crd_dir=REPO / "crds", volumes={}, tmp_dir=tmp_path,
                         bookmark_seconds=0.2, watch_history_seconds=1.0) as handle:
        yield handle


def _create(handle, name, **kw):
    response = http(handle, "POST", ksr_path(), json=pipeline_run(name, **kw))
    assert response.status_code == 201, response.text
    return response.json()


def _patch(handle, name, body, path=None):
    response = http(handle, "PATCH", path or ksr_path(name=name), json=body,
                    headers={"Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.text
    return response.json()


def _stream(handle, query, path=None):
    """Open a watch; once this returns, the server has subscribed it."""
    response = requests.get(f"{handle.url}{path or ksr_path()}?watch=true&{query}",
                            stream=True, timeout=30, headers=auth(handle),
                            verify=handle.ca_file)
    assert response.status_code == 200
    return response


def _events(response, count=None):
    events = []
    for line in response.iter_lines():
        if line:
            events.append(json.loads(line))
            if count is not None and len(events) == count:
                break
    return events


def test_watch_replays_history_after_a_resource_version_and_ends_at_timeout(apiserver):
    first = _create(apiserver, "a")
    _create(apiserver, "b")
    _patch(apiserver, "a", {"metadata": {"labels": {"x": "1"}}})
    since = first["metadata"]["resourceVersion"]
    events = _events(_stream(apiserver, f"resourceVersion={since}&timeoutSeconds=1"))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"), ("MODIFIED", "a")]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and versions[0] > int(since)


def test_watch_without_a_version_starts_with_current_objects_then_streams(apiserver):
    _create(apiserver, "a")
    response = _stream(apiserver, "timeoutSeconds=20")
    _create(apiserver, "b")
    http(apiserver, "DELETE", ksr_path(name="a"))
    events = _events(response, 3)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]
    assert events[0]["object"]["kind"] == "PipelineRun"


def test_a_watch_from_a_compacted_resource_version_is_410_gone(quick):
    old = _create(quick, "r0")["metadata"]["resourceVersion"]
    _create(quick, "r00")
    time.sleep(1.2)  # older than the history window: compacted away
    recent = _create(quick, "r1")["metadata"]["resourceVersion"]
    _create(quick, "r2")
    events = _events(_stream(quick, f"resourceVersion={old}&timeoutSeconds=5"))
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old} (")
    fresh = _events(_stream(quick, f"resourceVersion={recent}&timeoutSeconds=1"))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in fresh] == [("ADDED", "r2")]


@pytest.mark.alone  # its 40 writes must land within the 1 s history window
def test_history_is_kept_for_the_window_whatever_the_number_of_events(quick):
    first = _create(quick, "a")["metadata"]["resourceVersion"]
    for index in range(40):
        _patch(quick, "a", {"metadata": {"labels": {"n": str(index)}}})
    events = _events(_stream(quick, f"resourceVersion={first}&timeoutSeconds=1"))
    assert [e["type"] for e in events] == ["MODIFIED"] * 40


def test_bookmarks_come_periodically_and_at_timeout(quick):
    created = _create(quick, "a")
    response = _stream(quick, "allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion="
                              + created["metadata"]["resourceVersion"])
    events = _events(response)
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert len(bookmarks) >= 2 and events[-1]["type"] == "BOOKMARK"
    assert bookmarks[-1]["object"]["kind"] == "PipelineRun"
    assert bookmarks[-1]["object"]["metadata"]["resourceVersion"] == \
        created["metadata"]["resourceVersion"]


def test_initial_events_end_with_an_annotated_bookmark(apiserver):
    _create(apiserver, "a")
    response = _stream(apiserver, "sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                                  "&allowWatchBookmarks=true&timeoutSeconds=20")
    added, bookmark = _events(response, 2)
    assert added["type"] == "ADDED"
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_selected_watch_sees_objects_enter_and_leave(apiserver):
    _create(apiserver, "a")
    response = _stream(apiserver, "labelSelector=tier%3Dx&timeoutSeconds=20",
                       path="/apis/kubeshowcase.io/v1alpha1/watch/namespaces/kubeshowcase/"
                            "pipelineruns")
    _create(apiserver, "b")
    _patch(apiserver, "a", {"metadata": {"labels": {"tier": "x"}}})
    _patch(apiserver, "a", {"spec": {"cancelRequested": True}})  # the one mutable spec field
    _patch(apiserver, "a", {"metadata": {"labels": {"tier": None}}})
    _create(apiserver, "c", labels={"tier": "x"})
    events = _events(response, 4)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a"), ("ADDED", "c")]
    # Leaving the selector: the last state the watcher could see, at the new resourceVersion.
    left = events[2]["object"]
    assert left["metadata"]["labels"] == {"tier": "x"} and left["spec"]["cancelRequested"] is True
    assert int(left["metadata"]["resourceVersion"]) > int(
        events[1]["object"]["metadata"]["resourceVersion"])


def test_the_official_client_watches(apiserver, kube_client):
    custom = client.CustomObjectsApi(kube_client)
    _create(apiserver, "a")
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in watch.Watch().stream(
        custom.list_namespaced_custom_object, *KSR[:2], "kubeshowcase", KSR[2],
        timeout_seconds=1)]
    assert seen == [("ADDED", "a")]


def test_many_watchers_each_get_every_event(apiserver):
    watchers, writes = 12, 300
    received: dict[int, list[str]] = {}
    streams = [_stream(apiserver, "timeoutSeconds=60") for _ in range(watchers)]

    def read(index, response):
        received[index] = [e["object"]["metadata"]["name"] for e in _events(response, writes)]

    threads = [threading.Thread(target=read, args=(i, s)) for i, s in enumerate(streams)]
    for thread in threads:
        thread.start()
    with requests.Session() as session:
        session.headers.update(auth(apiserver))
        for index in range(writes):
            response = session.post(apiserver.url + ksr_path(), verify=apiserver.ca_file,
                                    json=pipeline_run(f"r{index:04d}"), timeout=30)
            assert response.status_code == 201
    for thread in threads:
        thread.join(60)
    expected = [f"r{index:04d}" for index in range(writes)]
    wait_until(lambda: len(received) == watchers, 10, "every watcher")
    assert all(names == expected for names in received.values())
