"""A malicious pipeline plants links, FIFOs, devices, folders and huge files at every name the
operator touches, and swaps files for links as the run ends. After each: another user's files
are unchanged, none of their bytes (nor a token's, nor /etc/passwd's) reach the run's status,
Events, saved log or the operator's output, the run ended with a clear reason and the operator
goes on running the next run."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from tests.fixtures.operator import KscCluster, OperatorHandle, wait_until

HOSTILE = Path(__file__).with_name("hostile_pipeline.py")
LRI = ".kubeshowcase/LAST_RUN_ID"
LOGS = ".kubeshowcase/logs"
# Relative links as a pipeline would write them: they resolve on the operator's view of the
# volume (from alice/cells/...), not inside the pipeline's own mount.
TO_DECOY_FROM_HANDSHAKE = "../../../bob/proj/results.csv"
TO_DECOY_FROM_LOGS = "../../../../bob/proj/results.csv"
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
UNREADABLE = "LastRunIdUnreadable"


@dataclass
class Decoys:
    """Another user's tree on the volume, a token outside it, and /etc/passwd."""

    data_root: Path
    token: Path
    secrets: list[str] = field(default_factory=list)

    @property
    def bob(self) -> Path:
        return self.data_root / "bob" / "proj"

    def checksums(self) -> dict[str, str]:
        sums = {}
        for folder in (self.bob.parent, self.token.parent):
            for path in sorted(folder.rglob("*")):
                info = os.lstat(path)
                digest = (hashlib.sha256(path.read_bytes()).hexdigest()
                          if stat.S_ISREG(info.st_mode) else stat.filemode(info.st_mode))
                sums[str(path)] = digest
        return sums

    def assert_not_in(self, text: str, where: str) -> None:
        for secret in self.secrets:
            assert secret not in text, f"{where} shows bytes of a decoy: {secret!r}"


@pytest.fixture
def decoys(data_root: Path, tmp_path: Path) -> Decoys:
    token = tmp_path / "serviceaccount" / "token"
    token.parent.mkdir()
    found = Decoys(data_root, token)
    bob_secret = f"BOB-RESULTS-{secrets.token_hex(8)}"
    token_secret = f"eyJhbGciOiJSUzI1NiJ9.FAKE-{secrets.token_hex(8)}"
    found.bob.mkdir(parents=True)
    (found.bob / "results.csv").write_text(f"cell,area\n{bob_secret},1\n")
    (found.bob / "sub").mkdir()
    (found.bob / "sub" / "data.txt").write_text(bob_secret + "\n")
    token.write_text(token_secret)
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    found.secrets = [bob_secret, token_secret, passwd]
    return found


@pytest.fixture
def hostile(operator_factory: Any, ksc: KscCluster, decoys: Decoys,
            pipeline_script: Path) -> OperatorHandle:
    ksc.project("alice/cells")
    ksc.project("alice/after")
    ksc.create_pipeline("hostile", command=[sys.executable, str(HOSTILE)],
                        clearPaths=["out", "summary.txt"])
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    return operator_factory()


def finished(ksc: KscCluster, name: str) -> dict[str, Any]:
    status = ksc.wait_phase(name, "Succeeded", "Failed", "Cancelled", timeout=60)
    wait_until(lambda: status["phase"] in [e.reason for e in ksc.events(name)], 10,
               f"the {status['phase']} Event of {name}")
    return status


def saved_log_text(ksc: KscCluster, project: str, status: dict[str, Any]) -> str:
    """The saved log, read without following anything (a swapper may have replaced it)."""
    if not status.get("logFile"):
        return ""
    path = ksc.data_root / project / status["logFile"]
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        assert stat.S_ISREG(os.fstat(fd).st_mode)
        return os.read(fd, 1 << 20).decode(errors="replace")
    finally:
        os.close(fd)


def assert_nothing_leaked(ksc: KscCluster, operator: OperatorHandle, decoys: Decoys,
                          name: str, project: str = "alice/cells") -> dict[str, Any]:
    status = ksc.status(name)
    decoys.assert_not_in(json.dumps(status), "status")
    for event in ksc.events(name):
        decoys.assert_not_in(event.message or "", "an Event")
    try:
        decoys.assert_not_in(saved_log_text(ksc, project, status), "the saved log")
    except OSError:
        pass  # swapped for a link after it was saved: nothing the operator wrote is there
    decoys.assert_not_in(operator.log, "the operator's output")
    return status


CLEAN = ("Succeeded", "Succeeded", None)
LINK_REFUSED = f"the Job completed but {LRI} is a symbolic link (not followed)"


@dataclass(frozen=True)
class Case:
    plants: list[list[Any]]  # [name, kind, target] as hostile_pipeline.py takes them
    outcome: tuple[str, str, str | None]  # phase, reason, message (None: not checked)
    log_kept: bool = True
    # The next run in the same folder: a clean start, unless what is left there is refused.
    next_outcome: tuple[str, str, str | None] = CLEAN


CASES = {
    "log-partial-link-to-decoy": Case(
        [[f"{LOGS}/{{run}}.log.partial", "link", TO_DECOY_FROM_LOGS]], CLEAN),
    "log-link-to-decoy": Case([[f"{LOGS}/{{run}}.log", "link", TO_DECOY_FROM_LOGS]], CLEAN),
    "logs-folder-linked-to-decoy-folder": Case(
        [[LOGS, "link", "../../../bob/proj"]], CLEAN, log_kept=False),
    "logs-folder-is-a-fifo": Case([[LOGS, "fifo", None]], CLEAN, log_kept=False),
    "last-run-id-link-to-decoy": Case(
        [[LRI, "link", TO_DECOY_FROM_HANDSHAKE]], ("Failed", UNREADABLE, LINK_REFUSED)),
    "last-run-id-link-to-token": Case(
        [[LRI, "link", "{token}"]], ("Failed", UNREADABLE, LINK_REFUSED)),
    "last-run-id-link-to-passwd": Case(
        [[LRI, "link", "/etc/passwd"]], ("Failed", UNREADABLE, LINK_REFUSED)),
    "last-run-id-fifo": Case([[LRI, "fifo", None]], (
        "Failed", UNREADABLE, f"the Job completed but {LRI} is not a regular file (a FIFO)")),
    "last-run-id-folder": Case([[LRI, "folder", None]], (
        "Failed", UNREADABLE, f"the Job completed but {LRI} is a folder, not a file")),
    "last-run-id-1-gb": Case([[LRI, "huge", 1 << 30]], (
        "Failed", UNREADABLE, f"the Job completed but {LRI} is larger than 256 bytes")),
    "last-run-id-device": Case([[LRI, "device", None]], (
        "Failed", UNREADABLE, f"the Job completed but {LRI} is not a regular file (a device)")),
    "last-run-id-holds-passwd-text": Case([[LRI, "file", "{passwd}\n"]], (
        "Failed", "LastRunIdMismatch",
        f"the Job completed but {LRI} contains {{size}} bytes that are not a run id, "
        "expected 'hostile-1'")),
    "handshake-folder-linked-to-decoy-folder": Case(
        [[".kubeshowcase", "link", "../../bob/proj"]],
        ("Failed", UNREADABLE,
         "the Job completed but .kubeshowcase is a symbolic link (not followed)"),
        log_kept=False,
        next_outcome=("Failed", "UnsafePath", ".kubeshowcase is a symbolic link (not followed)")),
}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=ROOT_ONLY) if "device" in name else name for name in CASES])
def test_a_planted_name_is_never_followed(hostile: OperatorHandle, ksc: KscCluster,
                                          decoys: Decoys, name: str) -> None:
    case = CASES[name]
    before = decoys.checksums()
    passwd = decoys.secrets[2]
    plants = [[where, kind, target.format(token=decoys.token, passwd=passwd)
               if isinstance(target, str) else target] for where, kind, target in case.plants]
    ksc.create_run("hostile-1", pipeline="hostile", args={"plant": plants})
    status = finished(ksc, "hostile-1")

    phase, reason, message = case.outcome
    assert (status["phase"], status["reason"]) == (phase, reason), status
    if message is not None:
        assert status["message"] == message.format(size=len(passwd.encode()) + 1)
    assert bool(status.get("logFile")) is case.log_kept, status
    if case.log_kept:
        assert "hostile pipeline started for hostile-1" in saved_log_text(
            ksc, "alice/cells", status)
    assert_nothing_leaked(ksc, hostile, decoys, "hostile-1")
    assert decoys.checksums() == before
    assert hostile.alive

    # The operator goes on: the next run in the same folder starts from a clean handshake
    # (every planted name there removed or replaced as itself, never followed) ...
    ksc.create_run("after-1", pipeline="hostile", args={})
    after = finished(ksc, "after-1")
    next_phase, next_reason, next_message = case.next_outcome
    assert (after["phase"], after["reason"]) == (next_phase, next_reason), after
    if next_message is not None:
        assert after["message"] == next_message
    assert_nothing_leaked(ksc, hostile, decoys, "after-1")
    # ... and so does a run elsewhere.
    ksc.create_run("elsewhere-1", pipeline="test", project="alice/after")
    assert finished(ksc, "elsewhere-1")["phase"] == "Succeeded"
    assert decoys.checksums() == before and hostile.alive


def test_planted_clear_paths_and_handshake_links_are_replaced_as_links(
        hostile: OperatorHandle, ksc: KscCluster, decoys: Decoys) -> None:
    before = decoys.checksums()
    project = ksc.project("alice/cells")
    plants = [["out", "link", "../../bob/proj"],
              ["summary.txt", "link", "../../bob/proj/results.csv"],
              [".kubeshowcase/args", "link", TO_DECOY_FROM_HANDSHAKE],
              [".kubeshowcase/run_id", "link", str(decoys.token)]]
    ksc.create_run("hostile-1", pipeline="hostile", args={"plant": plants})
    assert finished(ksc, "hostile-1")["phase"] == "Succeeded"
    assert os.path.islink(project / "out") and os.path.islink(project / ".kubeshowcase/args")

    ksc.create_run("after-1", pipeline="hostile", args={"note": "written, not followed"})
    status = finished(ksc, "after-1")
    assert (status["phase"], status["reason"]) == ("Succeeded", "Succeeded"), status
    assert not os.path.lexists(project / "out") and not os.path.lexists(project / "summary.txt")
    for name in ("args", "run_id"):
        assert stat.S_ISREG(os.lstat(project / ".kubeshowcase" / name).st_mode)
    assert json.loads((project / ".kubeshowcase/args").read_text()) == {
        "note": "written, not followed"}
    assert decoys.checksums() == before
    assert_nothing_leaked(ksc, hostile, decoys, "after-1")


def test_a_folder_planted_at_the_args_file_fails_the_next_run_clearly(
        hostile: OperatorHandle, ksc: KscCluster) -> None:
    ksc.create_run("hostile-1", pipeline="hostile",
                   args={"plant": [[".kubeshowcase/args", "folder", None]]})
    assert finished(ksc, "hostile-1")["phase"] == "Succeeded"
    ksc.create_run("after-1", pipeline="hostile", args={})
    status = finished(ksc, "after-1")
    assert (status["phase"], status["reason"], status["message"]) == (
        "Failed", "UnsafePath", ".kubeshowcase/args is a folder, not a file")
    ksc.create_run("elsewhere-1", pipeline="test", project="alice/after")
    assert finished(ksc, "elsewhere-1")["phase"] == "Succeeded" and hostile.alive


def test_names_swapped_for_links_while_the_run_ends(hostile: OperatorHandle, ksc: KscCluster,
                                                    decoys: Decoys, tmp_path: Path) -> None:
    before = decoys.checksums()
    outcomes = set()
    for attempt in range(3):
        name, stop = f"swapper-{attempt}", tmp_path / f"stop-{attempt}"
        swap = {"names": [LRI, f"{LOGS}/{{run}}.log", f"{LOGS}/{{run}}.log.partial"],
                "target": str(decoys.bob / "results.csv"), "stop_file": str(stop)}
        try:
            ksc.create_run(name, pipeline="hostile", args={"swap": swap})
            status = finished(ksc, name)
        finally:
            stop.touch()
        time.sleep(0.2)  # the swapper sees its stop file within a millisecond or so
        outcomes.add((status["phase"], status["reason"]))
        assert_nothing_leaked(ksc, hostile, decoys, name)
    # Whichever the operator met when it looked: a file naming the run, or a link refused.
    assert outcomes <= {("Succeeded", "Succeeded"), ("Failed", UNREADABLE)}, outcomes
    assert decoys.checksums() == before and hostile.alive
    ksc.create_run("after-1", pipeline="hostile", args={})
    assert finished(ksc, "after-1")["phase"] == "Succeeded"


OUTSIDE = [("alice", "bob/proj"), ("alice", "alice"), ("alice", "alice/cells/sub"),
           ("bob", "alice/cells")]


@pytest.mark.parametrize(("owner", "project"), OUTSIDE)
def test_the_crd_refuses_a_kubectl_run_outside_its_owners_space(
        hostile: OperatorHandle, ksc: KscCluster, decoys: Decoys, owner: str,
        project: str) -> None:
    before = decoys.checksums()
    with pytest.raises(ApiException) as refused:
        ksc.create_run("outside-1", pipeline="hostile", owner=owner, project=project)
    assert refused.value.status == 422
    assert ("spec.project: Forbidden: spec.project must be <spec.owner>/<project>: one project "
            "folder in the owner's space") in json.loads(refused.value.body)["message"]
    assert ksc.runs() == [] and ksc.jobs() == [] and decoys.checksums() == before


@pytest.mark.older_crds
@pytest.mark.parametrize(("owner", "project"), OUTSIDE)
def test_a_kubectl_run_outside_its_owners_space_fails_untouched(
        hostile: OperatorHandle, ksc: KscCluster, decoys: Decoys, owner: str,
        project: str) -> None:
    (decoys.bob / "summary.txt").write_text("bob's summary\n")  # a clearPaths name
    ksc.project("alice/cells/sub")
    before = decoys.checksums()
    ksc.create_run("outside-1", pipeline="hostile", owner=owner, project=project)
    status = finished(ksc, "outside-1")
    assert (status["phase"], status["reason"], status["message"]) == (
        "Failed", "ProjectOutsideOwner",
        f"project {project!r} is not a project of owner {owner!r}: expected {owner}/<project>")
    assert ksc.jobs() == [] and "queuePosition" not in status
    assert decoys.checksums() == before
    assert sorted(os.listdir(ksc.data_root / "alice/cells")) == ["sub"]
