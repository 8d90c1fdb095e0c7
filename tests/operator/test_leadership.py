"""Leadership bounds every write: requests time out below the lease margin, a leader whose
API hangs stops its work by its own clock before anyone can take over, and nothing touches the
data volume without the lease."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kubedouble.faults import FaultRule
from kubeshowcase_operator.jobs import Handshake
from kubeshowcase_operator.kubeapi import KubeApi, NotLeader, Paths
from kubeshowcase_operator.lease import LeaderElector, lease_margin, request_timeout_for
from kubeshowcase_operator.projectfiles import prepare
from tests.fixtures.chart_accounts import token_of
from tests.fixtures.operator import KscCluster, max_overlap, read_journal, wait_until
from tests.operator.bodies import operator_connection
from tests.operator.stall_proxy import StallProxy


@pytest.mark.parametrize("duration", [1, 3, 15, 60])
def test_the_request_timeout_is_below_the_lease_margin(duration: int) -> None:
    assert 0 < request_timeout_for(duration) < lease_margin(duration)
    assert lease_margin(duration) == pytest.approx(duration / 3)


def test_prepare_changes_nothing_once_the_lease_is_gone(tmp_path: Path) -> None:
    project = tmp_path / "alice/cells"
    (project / ".kubeshowcase").mkdir(parents=True)
    (project / "results").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-0\n")
    handshake = Handshake(mount_path="/project", args=".kubeshowcase/args",
                          run_id=".kubeshowcase/run_id",
                          last_run_id=".kubeshowcase/LAST_RUN_ID", clear_paths=("results",))

    def lost() -> None:
        raise NotLeader("not the leader")
    with pytest.raises(NotLeader):
        prepare(tmp_path, "alice", "alice/cells", handshake, "run-1", "{}", lost)
    assert (project / "results").is_dir()
    assert (project / ".kubeshowcase/LAST_RUN_ID").read_text() == "run-0\n"
    assert sorted(p.name for p in (project / ".kubeshowcase").iterdir()) == ["LAST_RUN_ID"]


def test_a_leader_that_cannot_renew_knows_by_its_own_clock(apiserver: Any) -> None:
    """No request needs to come back for it to know (here: no renewal is even sent)."""
    connection = operator_connection(apiserver)
    moments: dict[str, float] = {}

    async def main() -> None:
        api = KubeApi(connection, timeout=0.8)
        elector = LeaderElector(api, Paths(apiserver.namespace), "lease", "me", 3,
                                on_gain=lambda: moments.setdefault("gained", time.monotonic()),
                                on_lose=lambda: moments.setdefault("lost", time.monotonic()))
        try:
            await elector.attempt()
            assert elector.is_leader()
            await asyncio.sleep(2.5)  # no renewal in that time
            assert not elector.is_leader()
        finally:
            await api.close()
    asyncio.run(main())
    # At two thirds of the 3 s lease; in any case before a follower may take over (3 s).
    assert 1.9 < moments["lost"] - moments["gained"] < 3.0


@pytest.fixture
def proxy(apiserver: Any) -> Any:
    stalling = StallProxy(apiserver.url).start()
    yield stalling
    stalling.close()


@pytest.mark.alone  # a 5 s deadline on its own clock: missed when the other worker is busy
def test_a_stalled_leader_stops_its_work_and_another_takes_over(
        operator_factory, ksc: KscCluster, apiserver: Any, proxy: StallProxy,
        pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    via_proxy = proxy.kubeconfig(apiserver, tmp_path / "via-proxy",
                                 token_of(apiserver.kubeconfigs["operator"]))
    first = operator_factory(POD_NAME="operator-a", KUBECONFIG=str(via_proxy))
    ksc.create_run("run-1", args={"journal": str(journal)})
    ksc.create_run("run-2", args={"journal": str(journal)})
    # run-1's status cannot be written: operator-a keeps trying, an action under way.
    failing = apiserver.faults.add(FaultRule(path=r"/pipelineruns/run-1/status$",
                                             method="PATCH", status=500, times=10000))
    wait_until(lambda: failing.times is not None and failing.times < 9990, 30,
               "operator-a to try to write run-1's status")
    proxy.stall()  # now every request of operator-a hangs, its renewals too
    wait_until(lambda: "leadership lost: 1 action(s) under way stopped" in first.log, 5,
               "operator-a to stop its work by its own clock")
    second = operator_factory(POD_NAME="operator-b")
    wait_until(lambda: ksc.lease_holder() == "operator-b", 15, "operator-b to take the lease")
    apiserver.faults.clear()
    for name in ("run-1", "run-2"):
        assert ksc.wait_phase(name, "Succeeded", "Failed", timeout=30)["phase"] == "Succeeded"
    proxy.resume()  # operator-a's late requests arrive; none of them may change anything
    time.sleep(3)
    assert [ksc.phase("run-1"), ksc.phase("run-2")] == ["Succeeded", "Succeeded"]
    assert ksc.lease_holder() == "operator-b" and second.alive and first.alive
    spans = read_journal(journal)
    assert sorted(span.run for span in spans) == ["run-1", "run-2"]  # each once
    assert max_overlap(spans) == 1
    assert sorted(job.metadata.name for job in ksc.jobs()) == ["run-1", "run-2"]
