"""The kubelet's image step for one container (pkg/kubelet/images/image_manager.go): the image
is found among the node's (kubedouble/images.py), or the pull fails and backs off, 10 s
doubling up to 300 s (ErrImagePull, then ImagePullBackOff), with the kubelet's Events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import images
from .podrun import PodRun
from .podstatus import ContainerState

if TYPE_CHECKING:
    from .kubelet import Kubelet


async def pull(kubelet: Kubelet, run: PodRun, spec: dict[str, Any],
               state: ContainerState) -> images.Image | None:
    """The container's image as EnsureImageExists finds it, backing off while it cannot."""
    reference = spec.get("image", "")
    policy = spec.get("imagePullPolicy", "IfNotPresent")
    delay = kubelet.settings.image_pull_backoff_seconds
    missing = images.missing_pull_secrets(run.pod, kubelet._lookup_in(
        run.pod["metadata"]["namespace"]))
    if missing:  # the pull goes on: the image may need no credentials (getPullSecretsForPod)
        kubelet._event(run, "Warning", "FailedToRetrieveImagePullSecret",
                       images.missing_pull_secrets_message(missing))
    while kubelet._wanted(run):
        found = kubelet.settings.images.find(reference)
        if found is not None:
            if policy == "Always":
                kubelet._event(run, "Normal", "Pulling", images.pulling(reference))
                kubelet._event(run, "Normal", "Pulled", images.pulled(reference))
            else:
                kubelet._event(run, "Normal", "Pulled", images.present(reference))
            state.pulled = True
            state.image_id = images.image_ref(reference, found)
            return found
        if policy == "Never":
            message = images.never_pull(reference)
            kubelet._event(run, "Warning", "ErrImageNeverPull", message)
            state.state = {"waiting": {"reason": "ErrImageNeverPull", "message": message}}
            kubelet._publish(run)
            await kubelet._pause(run, kubelet.settings.retry_seconds)
            continue
        kubelet._event(run, "Normal", "Pulling", images.pulling(reference), once=False)
        problem = images.pull_error(reference)
        kubelet._event(run, "Warning", "Failed",
                    f'Failed to pull image "{reference}": {problem}', once=False)
        kubelet._event(run, "Warning", "Failed", "Error: ErrImagePull", once=False)
        state.state = {"waiting": {"reason": "ErrImagePull", "message": problem}}
        kubelet._publish(run)
        shown = min(kubelet.settings.retry_seconds, delay / 2)
        await kubelet._pause(run, shown)  # the next sync finds the pull in back-off
        if not kubelet._wanted(run):
            break
        message = images.back_off(reference)
        kubelet._event(run, "Normal", "BackOff", message, once=False)
        kubelet._event(run, "Warning", "Failed", "Error: ImagePullBackOff", once=False)
        state.state = {"waiting": {"reason": "ImagePullBackOff", "message": message}}
        kubelet._publish(run)
        await kubelet._pause(run, delay - shown)
        delay = min(delay * 2, kubelet.settings.image_pull_backoff_max_seconds)
    return None
