"""Tables for the ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/
admission_test.go's cases), the master service's env vars (pkg/kubelet/envvars), token
renewal (pkg/kubelet/token) and which mounts a container sees for real (kubedouble/fsview.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubedouble import errors, fsview, serviceaccount_admission as admission, tokenrefresh
from kubedouble.incluster import master_service_env, service_host
from kubedouble.serviceaccount_admission import TOKEN_MOUNT_PATH


class Accounts:
    def __init__(self, *accounts: dict) -> None:
        self.accounts = {a["metadata"]["name"]: a for a in accounts}

    def get(self, plural: str, namespace: str, name: str) -> dict | None:
        assert plural == "serviceaccounts" and namespace == "ns"
        return self.accounts.get(name)


def account(name: str = "default", **fields) -> dict:
    return {"metadata": {"name": name, "namespace": "ns"}, **fields}


def pod(**spec) -> dict:
    return {"metadata": {"namespace": "ns", "generateName": "job-"},
            "spec": {"containers": [{"name": "main"}], **spec}}


@pytest.mark.parametrize(("pod_says", "account_says", "mounted"), [
    (None, None, True),  # backwards compatible default
    (None, False, False),
    (None, True, True),
    (False, True, False),  # the pod's preference wins
    (True, False, True),
    (False, None, False),
])
def test_automount_follows_the_pod_then_the_account(pod_says, account_says, mounted):
    spec = {} if pod_says is None else {"automountServiceAccountToken": pod_says}
    sa = account() if account_says is None else account(
        automountServiceAccountToken=account_says)
    body = pod(**spec)
    admission.admit(Accounts(sa), body)
    assert ("volumes" in body["spec"]) is mounted
    assert ("volumeMounts" in body["spec"]["containers"][0]) is mounted


def test_it_defaults_the_account_and_copies_its_pull_secrets():
    body = pod()
    admission.admit(Accounts(account(imagePullSecrets=[{"name": "registry"}])), body)
    assert body["spec"]["serviceAccountName"] == "default"
    assert body["spec"]["imagePullSecrets"] == [{"name": "registry"}]


def test_the_pods_own_pull_secrets_are_kept():
    body = pod(imagePullSecrets=[{"name": "mine"}])
    admission.admit(Accounts(account(imagePullSecrets=[{"name": "registry"}])), body)
    assert body["spec"]["imagePullSecrets"] == [{"name": "mine"}]


def test_a_missing_account_is_forbidden_by_the_generate_name():
    with pytest.raises(errors.ApiError) as raised:
        admission.admit(Accounts(), pod(serviceAccountName="ghost"))
    assert raised.value.code == 403
    assert raised.value.message == ('pods "job-" is forbidden: error looking up service '
                                    'account ns/ghost: serviceaccount "ghost" not found')


def test_a_container_with_its_own_mount_at_the_token_path_keeps_it():
    own = {"name": "mine", "mountPath": TOKEN_MOUNT_PATH}
    body = pod(containers=[{"name": "a", "volumeMounts": [own]}, {"name": "b"}])
    admission.admit(Accounts(account()), body)
    a, b = body["spec"]["containers"]
    assert a["volumeMounts"] == [own]
    assert b["volumeMounts"][0]["name"] == body["spec"]["volumes"][0]["name"]


def test_an_existing_kube_api_access_volume_is_reused():
    volume = {"name": "kube-api-access-abcde", "projected": {"sources": []}}
    body = pod(volumes=[volume])
    admission.admit(Accounts(account()), body)
    assert body["spec"]["volumes"] == [volume]
    assert body["spec"]["containers"][0]["volumeMounts"][0]["name"] == "kube-api-access-abcde"


def test_mirror_pods_are_left_alone():
    body = pod()
    body["metadata"]["annotations"] = {admission.MIRROR_ANNOTATION: "x"}
    admission.admit(Accounts(), body)
    assert "serviceAccountName" not in body["spec"]


def test_the_master_service_env_has_the_link_vars():
    assert master_service_env("127.0.0.1", 6443) == {
        "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "6443", "KUBERNETES_PORT": "tcp://127.0.0.1:6443",
        "KUBERNETES_PORT_6443_TCP": "tcp://127.0.0.1:6443",
        "KUBERNETES_PORT_6443_TCP_PROTO": "tcp", "KUBERNETES_PORT_6443_TCP_PORT": "6443",
        "KUBERNETES_PORT_6443_TCP_ADDR": "127.0.0.1"}
    assert master_service_env("::1", 1)["KUBERNETES_PORT"] == "tcp://[::1]:1"


@pytest.mark.parametrize(("host", "dialled"), [("0.0.0.0", "127.0.0.1"), ("", "127.0.0.1"),
                                               ("10.0.0.5", "10.0.0.5")])
def test_pods_dial_loopback_when_the_double_listens_everywhere(host, dialled):
    assert service_host(host) == dialled


def test_tokens_are_renewed_at_80_percent_of_the_shortest_lifetime():
    body = pod(volumes=[{"name": "a", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607}},
        {"serviceAccountToken": {"expirationSeconds": 600}}]}},
        {"name": "b", "emptyDir": {}}])
    assert tokenrefresh.refresh_period(body, None) == 480
    assert tokenrefresh.refresh_period(body, 1.0) == 1.0
    assert tokenrefresh.refresh_period(pod(), None) is None
    long_lived = pod(volumes=[{"name": "a", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 7 * 24 * 3600}}]}}])
    assert tokenrefresh.refresh_period(long_lived, None) == 24 * 3600


# Which mounts a container sees for real --------------------------------------------------
def mounts(*paths: str, read_only: tuple[str, ...] = ()) -> dict:
    return {"volumeMounts": [{"name": p, "mountPath": p, "readOnly": p in read_only}
                             for p in paths]}


def test_an_existing_folder_is_bound_and_a_missing_one_under_run_is_shadowed(tmp_path):
    container = mounts("/usr/share", TOKEN_MOUNT_PATH, read_only=(TOKEN_MOUNT_PATH,))
    pairs = [("/usr/share", tmp_path / "a"), (TOKEN_MOUNT_PATH, tmp_path / "t")]
    view, translated = fsview.plan(container, pairs, [str(tmp_path)])
    assert translated == []
    assert view.binds == [(str(tmp_path / "a"), "/usr/share", False),
                          (str(tmp_path / "t"), "/run/secrets/kubernetes.io/serviceaccount",
                           True)]
    assert view.shadows == ["/run"]


def test_a_path_with_no_ancestor_but_the_root_stays_translated(tmp_path):
    view, translated = fsview.plan(mounts("/data"), [("/data", tmp_path)], [])
    assert translated == [("/data", tmp_path)] and view.binds == []
    assert view.keep == []  # a writable root needs nothing kept


def test_what_a_bound_volume_would_hide_is_bound_back(tmp_path):
    needed = tmp_path / "scratch"
    needed.mkdir()
    target = str(tmp_path)
    view, translated = fsview.plan(mounts(target), [(target, Path("/elsewhere"))],
                                   [str(needed), "/usr/bin/env"])
    assert view.binds == [("/elsewhere", target, False)] and translated == []
    assert view.keep == [(str(needed), False)]


def test_a_read_only_volume_that_would_hide_what_the_process_needs_stays_translated(
        tmp_path):
    needed = tmp_path / "scratch"
    needed.mkdir()
    target = str(tmp_path)
    view, translated = fsview.plan(mounts(target, read_only=(target,)),
                                   [(target, Path("/elsewhere"))], [str(needed)])
    assert view.binds == [] and translated == [(target, Path("/elsewhere"))]


def test_a_read_only_root_keeps_translated_volumes_writable_and_read_only_ones_read_only(
        tmp_path):
    container = {**mounts("/data", "/config", read_only=("/config",)),
                 "securityContext": {"readOnlyRootFilesystem": True}}
    view, _ = fsview.plan(container, [("/data", tmp_path / "d"), ("/config", tmp_path / "c")],
                          [])
    assert view.read_only_root
    assert sorted(view.keep) == [(str(tmp_path / "c"), True), (str(tmp_path / "d"), False)]


def test_a_working_dir_inside_a_bound_volume_is_entered_in_the_view(tmp_path):
    container = {**mounts("/usr/share"), "workingDir": "/usr/share/doc"}
    view, _ = fsview.plan(container, [("/usr/share", tmp_path)], [])
    assert view.cwd == "/usr/share/doc"


@pytest.mark.parametrize(("container", "why"), [
    ({"securityContext": {"readOnlyRootFilesystem": True}}, "readOnlyRootFilesystem"),
    (mounts(TOKEN_MOUNT_PATH), f"its ServiceAccount token at {TOKEN_MOUNT_PATH}"),
    (mounts("/data"), None),
])
def test_what_a_container_needs_a_view_for(container, why):
    assert fsview.needs_view(container) == why


def test_without_mount_namespaces_a_container_that_needs_a_view_fails_saying_why(tmp_path):
    from kubedouble.containers import ConfigError, plan_container
    from kubedouble.images import Image

    container = {"name": "main", "command": ["true"],
                 "securityContext": {"readOnlyRootFilesystem": True}}
    with pytest.raises(ConfigError) as raised:
        plan_container(pod(containers=[container]), container, Image.of(), folders={},
                       lookup=lambda plural, name: None, base_env={}, rootfs=tmp_path,
                       sandbox=False)
    assert raised.value.message == (
        "kubedouble cannot give container 'main' its own filesystem view "
        "(readOnlyRootFilesystem): mount namespaces need root; run kubedouble as root")
    plain = {"name": "main", "command": ["true"]}
    plan = plan_container(pod(containers=[plain]), plain, Image.of(), folders={},
                          lookup=lambda plural, name: None, base_env={}, rootfs=tmp_path,
                          sandbox=False)
    assert plan.view is None and plan.argv == ["true"]


def test_a_mountpoint_is_never_made_through_a_planted_link(tmp_path):
    from kubedouble import sandbox

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "volume").symlink_to(elsewhere)
    with pytest.raises(sandbox.SandboxError, match="volume is a symbolic link"):
        sandbox._mountpoint(str(tmp_path / "volume" / "data"), True)
    assert list(elsewhere.iterdir()) == []
    fd = sandbox._mountpoint(str(tmp_path / "made" / "file"), False)
    os.close(fd)
    assert (tmp_path / "made" / "file").is_file()
