"""The web app's only door to the Kubernetes API: Pipelines, PipelineRuns and pipeline pods' logs.

Every function raises KubeError (a sentence for the page) instead of client exceptions, so no
view ever shows a traceback for a cluster problem.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from typing import Any

from django.conf import settings

GROUP = "kubeshowcase.io"
VERSION = "v1alpha1"
PIPELINES = "pipelines"
RUNS = "pipelineruns"
# The queue's order, published by the operator's leader (operator queuemap.py): one ConfigMap,
# listed and watched by name (what lets RBAC's resourceNames restrict the watcher to it).
QUEUE = "configmaps"
QUEUE_CONFIGMAP = "kubeshowcase-queue"
IN_CLUSTER = "<in-cluster>"

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


class KubeError(Exception):
    """The Kubernetes API could not answer; str() is a message for people."""


class Unreachable(KubeError):
    """No answer came; `maybe_done` when the request went out first (a read timeout, a
    connection cut mid-answer): the API may have carried it out."""

    def __init__(self, message: str, maybe_done: bool) -> None:
        super().__init__(message)
        self.maybe_done = maybe_done


class Unanswered(KubeError):
    """A create that may have been made though no answer said so: the page must not say
    "nothing was started"."""


class NotConfigured(KubeError):
    def __init__(self) -> None:
        super().__init__(
            "Runs are not available: no Kubernetes API is configured "
            "(set KUBECONFIG, or run the web app in a cluster)."
        )


def configured() -> bool:
    return bool(_config_key())


def _config_key() -> str:
    if settings.KUBECONFIG:
        return settings.KUBECONFIG
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return IN_CLUSTER
    return ""


def _api_client() -> Any:
    """One ApiClient per configuration and process (loading a kubeconfig is not free)."""
    key = _config_key()
    if not key:
        raise NotConfigured()
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            from kubernetes import client as k8s
            from kubernetes import config

            try:
                if key == IN_CLUSTER:
                    configuration = k8s.Configuration()
                    config.load_incluster_config(client_configuration=configuration)
                    client = k8s.ApiClient(configuration)
                else:
                    client = config.new_client_from_config(config_file=key)
            except Exception as error:  # bad kubeconfig, missing token: say which
                raise KubeError(f"The Kubernetes configuration cannot be loaded: {error}") from None
            _clients[key] = client
    return client


def _custom() -> Any:
    from kubernetes import client as k8s

    return k8s.CustomObjectsApi(_api_client())


def _core() -> Any:
    from kubernetes import client as k8s

    return k8s.CoreV1Api(_api_client())


def _call(what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
    """function(...) with the timeout; None on 404; KubeError for anything else going wrong."""
    from kubernetes.client.exceptions import ApiException

    kwargs.setdefault("_request_timeout", settings.KUBE_API_TIMEOUT)
    try:
        return function(*args, **kwargs)
    except ApiException as error:
        if error.status == 404:
            return None
        raise KubeError(
            f"The Kubernetes API refused to {what} (HTTP {error.status} {error.reason})."
        ) from None
    except KubeError:
        raise
    except Exception as error:  # connection refused, timeouts, TLS: the cluster is unreachable
        from urllib3.exceptions import ProtocolError, ReadTimeoutError

        raise Unreachable(
            f"The Kubernetes API cannot be reached to {what} ({type(error).__name__}).",
            maybe_done=isinstance(error, (ReadTimeoutError, ProtocolError)),
        ) from None


def _namespace() -> str:
    return settings.KUBE_NAMESPACE






# A run's name is chosen here, as kube-apiserver chooses one for metadata.generateName (the
# prefix and five characters of this alphabet), so that a create whose answer was lost can be
# sent again under the same name: a 409 then names the run already made, known as ours by
# the submission's token.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
SUBMISSION_ANNOTATION = f"{GROUP}/submission"
CREATE_ATTEMPTS = 3


def create_run(body: dict[str, Any]) -> dict[str, Any]:
    """Create the PipelineRun `body` describes (with metadata.generateName) exactly once:
    Unanswered if it may have been made though no answer came back."""
    metadata = dict(body["metadata"])
    prefix = metadata.pop("generateName")
    token = secrets.token_hex(16)
    metadata["annotations"] = {**metadata.get("annotations", {}), SUBMISSION_ANNOTATION: token}
    name, lost = "", None  # lost: why an attempt that may have been made went unanswered
    for _ in range(CREATE_ATTEMPTS):
        name = name or prefix + "".join(secrets.choice(NAME_ALPHABET) for _ in range(5))
        try:
            created = _call("create the run", _conflict_passes(
                _custom().create_namespaced_custom_object), GROUP, VERSION, _namespace(), RUNS,
                {**body, "metadata": {**metadata, "name": name}})
            if created is None:
                raise KubeError(
                    "The Kubernetes API does not know PipelineRuns (is the CRD installed?).")
            return created
        except _Conflict:
            try:
                existing = _call(f"read run {name} back", _custom().get_namespaced_custom_object,
                                 GROUP, VERSION, _namespace(), RUNS, name)
            except Unreachable:
                if lost is None:
                    raise  # no attempt of ours can have made it: nothing was started
                continue  # ours or another's: asked again
            annotations = ((existing or {}).get("metadata") or {}).get("annotations") or {}
            if annotations.get(SUBMISSION_ANNOTATION) == token:
                return existing  # made by an attempt whose answer was lost
            name = ""  # another run's name: draw again
        except Unreachable as error:
            if lost is None and not error.maybe_done:
                raise  # never sent, nor any attempt before it: nothing was made
            lost = error if error.maybe_done else lost
            time.sleep(0.2)  # then sent again under the same name
    if lost is not None:
        raise Unanswered(f"{lost} It may have been made all the same: if so, it shows in "
                         "Your runs within a minute.")
    raise KubeError("The Kubernetes API gave no free name for the run; try again.")


def list_runs(label_selector: str = "") -> list[dict[str, Any]]:
    """Every PipelineRun in the namespace matching label_selector, in one list call."""
    answer = _call(
        "list runs",
        _custom().list_namespaced_custom_object,
        GROUP, VERSION, _namespace(), RUNS,
        label_selector=label_selector or None,
    )
    return (answer or {}).get("items", [])




def request_cancel(name: str, uid: str = "") -> dict[str, Any] | None:
    """Ask the operator to cancel: merge-patch spec.cancelRequested=true, only on the run of
    that uid when given (a precondition: a namesake made since is left alone). None if that
    run is gone. The patch is idempotent, so one whose answer was lost is sent again."""
    patch: dict[str, Any] = {"spec": {"cancelRequested": True}}
    if uid:
        patch["metadata"] = {"uid": uid}
    try:
        return _patch_run(f"cancel run {name}", name, patch)
    except Unreachable as error:
        if not error.maybe_done:
            raise
    time.sleep(0.2)
    return _patch_run(f"cancel run {name}", name, patch)


def _patch_run(what: str, name: str, patch: dict[str, Any]) -> dict[str, Any] | None:
    """A merge patch of the run; None when it is gone (404) or its uid precondition failed."""
    try:
        return _call(what, _conflict_passes(_custom().patch_namespaced_custom_object,
                                            uid_changed=True),
                     GROUP, VERSION, _namespace(), RUNS, name, patch,
                     _content_type="application/merge-patch+json")
    except _Conflict:
        return None  # the run of that uid is gone; another of its name is there


def delete_run(name: str) -> bool:
    """Delete a PipelineRun; its Job and pods go with it (owner references, Background).

    False when it was already gone."""
    from kubernetes import client as k8s

    return (
        _call(
            f"delete run {name}",
            _custom().delete_namespaced_custom_object,
            GROUP, VERSION, _namespace(), RUNS, name,
            body=k8s.V1DeleteOptions(propagation_policy="Background"),
        )
        is not None
    )


def pod_log(pod_name: str, tail_lines: int, limit_bytes: int | None = None) -> str | None:
    """The last lines of a pod's log, at most limit_bytes of it (the API's limitBytes: a pod
    printing long lines cannot make one poll huge), in one GET of its pods/log; None when the
    pod is gone (404). The pod is named by the run's status.podName: nothing is listed."""
    return _call(
        f"read the log of pod {pod_name}",
        _core().read_namespaced_pod_log,
        pod_name,
        _namespace(),
        tail_lines=tail_lines,
        **({"limit_bytes": limit_bytes} if limit_bytes else {}),
    )


# --- The run archive's list+watch and retention's delete (manage.py watch_runs) ---


class WatchExpired(KubeError):
    """410 Gone: the resourceVersion is older than the API's history; list again."""


def _lister(plural: str) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    """The client's list call for a kind followed (PIPELINES, RUNS or QUEUE), and its arguments."""
    if plural == QUEUE:
        return (_core().list_namespaced_config_map, (_namespace(),),
                {"field_selector": f"metadata.name={QUEUE_CONFIGMAP}"})
    return _custom().list_namespaced_custom_object, (GROUP, VERSION, _namespace(), plural), {}


def list_objects(plural: str) -> tuple[list[dict[str, Any]], str]:
    """Every object of a kind (PIPELINES, RUNS or QUEUE) in one consistent list, and its
    resourceVersion."""
    function, args, kwargs = _lister(plural)
    answer = _call(f"list {plural}", function, *args, **kwargs)
    if answer is None:
        raise KubeError(f"The Kubernetes API does not know {plural} (is the CRD installed?).")
    if not isinstance(answer, dict):  # a core kind comes back as the client's model object
        answer = _api_client().sanitize_for_serialization(answer)
    version = (answer.get("metadata") or {}).get("resourceVersion") or ""
    return list(answer.get("items") or ()), str(version)


class ObjectWatch:
    """One watch request of a kind from a resourceVersion, with bookmarks; stop() ends it from
    another thread. events() yields the API's raw events ({"type", "object"}, BOOKMARK included)
    until the server ends the request after timeout_seconds."""

    def __init__(self, plural: str, resource_version: str, timeout_seconds: int) -> None:
        from kubernetes import watch

        self.plural = plural
        self.resource_version = resource_version
        self.timeout_seconds = timeout_seconds
        self._watch = watch.Watch()

    def events(self) -> Any:
        from kubernetes.client.exceptions import ApiException

        # timeout_seconds also turns off the client's own silent retry after a 410: the caller
        # must know that it has to list again.
        try:
            function, args, kwargs = _lister(self.plural)
            for event in self._watch.stream(
                function, *args, **kwargs,
                resource_version=self.resource_version,
                allow_watch_bookmarks=True,
                timeout_seconds=self.timeout_seconds,
                # Read timeout past the server's own end of the request: a silent dead
                # connection is noticed instead of blocking forever.
                _request_timeout=(settings.KUBE_API_TIMEOUT, self.timeout_seconds + 30),
            ):
                yield {"type": event["type"], "object": event["raw_object"]}
        except ApiException as error:
            if error.status == 410:
                raise WatchExpired(
                    f"The watch of {self.plural} from {self.resource_version} expired (410)."
                ) from None
            raise KubeError(
                f"The Kubernetes API refused to watch {self.plural} "
                f"(HTTP {error.status} {error.reason})."
            ) from None
        except KubeError:
            raise
        except Exception as error:  # connection reset, read timeout, TLS
            raise KubeError(
                f"The watch of {self.plural} broke off ({type(error).__name__}: {error})."
            ) from None

    def stop(self) -> None:
        self._watch.stop()


def delete_run_unchanged(name: str, uid: str, resource_version: str) -> str:
    """Delete a run only if it is still the object the archive last saw (uid and
    resourceVersion preconditions): "deleted", "gone" (404) or "changed" (409)."""
    from kubernetes import client as k8s

    options = k8s.V1DeleteOptions(
        propagation_policy="Background",
        preconditions=k8s.V1Preconditions(uid=uid, resource_version=resource_version),
    )
    try:
        answer = _call(
            f"delete run {name}",
            _conflict_passes(_custom().delete_namespaced_custom_object),
            GROUP, VERSION, _namespace(), RUNS, name, body=options,
        )
    except _Conflict:
        return "changed"
    return "gone" if answer is None else "deleted"


class _Conflict(KubeError):
    pass


def _conflict_passes(function: Any, uid_changed: bool = False) -> Any:
    """function, with a 409 Conflict raised as _Conflict (which _call passes on); with
    uid_changed, also the 422 a patch's metadata.uid gets when the object's is another (the
    uid is immutable: a patch naming one is a precondition)."""
    from kubernetes.client.exceptions import ApiException

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ApiException as error:
            if error.status == 409 or (
                    uid_changed and error.status == 422 and "metadata.uid" in str(error.body)):
                raise _Conflict(str(error.reason)) from None
            raise

    return call
