"""The model files each run as it changes: queue, slots and project folders."""

from __future__ import annotations

from kubeshowcase_operator.model import Model
from kubeshowcase_operator.views import JobView, PipelineView, RunView

from .bodies import job_body, pipeline_body, run_body


def put(model: Model, **kwargs: object) -> RunView:
    run = RunView.from_body(run_body(**kwargs))
    model.put_run(run)
    return run


def test_new_and_queued_runs_wait_in_creation_order() -> None:
    model = Model()
    put(model, name="b", uid="b", created="2025-01-01T10:00:01Z")
    put(model, name="a", uid="a", created="2025-01-01T10:00:02Z", phase="Queued")
    put(model, name="c", uid="c", created="2025-01-01T10:00:00Z", phase="Queued", cancel=True)
    assert list(model.queue) == ["b", "a"]
    assert model.active == {"a", "b", "c"} and model.slots_used() == 0


def test_older_versions_never_replace_newer_ones() -> None:
    model = Model()
    put(model, rv="12", phase="Running")
    assert model.put_run(RunView.from_body(run_body(rv="11", phase="Queued"))) is False
    assert model.runs["run-1"].phase == "Running"
    assert model.put_run(RunView.from_body(run_body(rv="13", phase="Succeeded"))) is True


def test_a_starting_run_takes_a_slot_and_its_project() -> None:
    model = Model()
    put(model, phase="Queued")
    model.set_starting("run-1", True)
    assert "run-1" not in model.queue and model.slots_used() == 1
    assert model.project_state("alice/cells") == "running"
    assert model.project_state("bob/other") is None


def test_a_running_job_takes_a_slot_until_it_finishes() -> None:
    model = Model()
    put(model, phase="Running", jobName="run-1")
    model.put_job(JobView.from_body(job_body()))
    assert model.slots_used() == 1
    model.put_job(JobView.from_body(job_body(rv="21", condition="Complete")))
    assert model.slots_used() == 0
    # ... but the project stays busy until the outcome is written.
    assert model.project_state("alice/cells") == "finishing"
    put(model, rv="30", phase="Succeeded")
    assert model.project_state("alice/cells") is None
    assert model.active == set()


def test_a_running_run_without_its_job_still_holds_a_slot() -> None:
    model = Model()
    put(model, phase="Running", jobName="run-1")
    assert model.slots_used() == 1


def test_a_job_whose_run_is_gone_still_holds_a_slot_while_it_runs() -> None:
    model = Model()
    put(model, phase="Running", jobName="run-1")
    model.put_job(JobView.from_body(job_body()))
    model.drop_run("run-1")
    assert model.slots_used() == 1
    model.drop_job("run-1")
    assert model.slots_used() == 0


def test_a_job_of_an_earlier_run_with_the_same_name_is_not_this_runs() -> None:
    model = Model()
    run = put(model, uid="new-uid", phase="Queued")
    model.put_job(JobView.from_body(job_body(run_uid="old-uid")))
    assert model.job_for(run) is None
    assert "run-1" in model.queue


def test_dropping_a_job_by_an_old_uid_keeps_the_new_one() -> None:
    model = Model()
    model.put_job(JobView.from_body(job_body(uid="j2")))
    model.drop_job("run-1", uid="j1")
    assert "run-1" in model.jobs


def test_positioned_runs_are_tracked() -> None:
    model = Model()
    put(model, phase="Queued", queuePosition=1)
    assert model.positioned == {"run-1"}
    put(model, rv="11", phase="Running", jobName="run-1", queuePosition=1)
    assert model.positioned == set()


def test_a_finished_job_removed_early_still_decides_its_run() -> None:
    model = Model()
    run = put(model, phase="Running", jobName="run-1")
    model.put_job(JobView.from_body(job_body(condition="Complete")))
    model.drop_job("run-1")  # ttlSecondsAfterFinished: 0
    job = model.job_for(run)
    assert job is not None and job.outcome == "Complete"
    put(model, rv="40", phase="Succeeded")
    model.put_run(RunView.from_body(run_body(rv="41", phase="Queued", uid="uid-run-1")))
    assert model.job_for(model.runs["run-1"]) is None  # forgotten once the run was terminal


def test_an_unfinished_job_removed_is_gone() -> None:
    model = Model()
    run = put(model, phase="Running", jobName="run-1")
    model.put_job(JobView.from_body(job_body()))
    model.drop_job("run-1")
    assert model.job_for(run) is None


def test_an_older_event_after_a_listing_does_not_roll_the_run_back() -> None:
    model = Model()
    model.sync_runs([RunView.from_body(run_body(rv="50", phase="Running", jobName="run-1"))],
                    as_of="55", deleted={})
    assert model.put_run(RunView.from_body(run_body(rv="40", phase="Queued"))) is False
    assert model.runs["run-1"].phase == "Running" and "run-1" not in model.queue


def test_a_listing_older_than_the_watch_does_not_roll_objects_back() -> None:
    model = Model()
    put(model, rv="60", phase="Running", jobName="run-1")
    model.put_job(JobView.from_body(job_body(rv="61", condition="Complete")))
    model.put_pipeline(PipelineView.from_body(pipeline_body(image="new:2") | {
        "metadata": {"name": "nuclei", "resourceVersion": "62"}}))
    model.sync_runs([RunView.from_body(run_body(rv="50", phase="Queued"))], "55", {})
    model.sync_jobs([JobView.from_body(job_body(rv="51"))], "55", {})
    model.sync_pipelines([PipelineView.from_body(pipeline_body())], "55", {})
    assert model.runs["run-1"].phase == "Running"
    assert model.jobs["run-1"].finished
    assert model.pipelines["nuclei"].spec["image"] == "new:2"


def test_a_deletion_seen_while_listing_keeps_the_object_gone() -> None:
    model = Model()
    model.sync_runs([RunView.from_body(run_body(rv="50", phase="Queued"))], "55",
                    deleted={"run-1": "52"})
    assert "run-1" not in model.runs and model.active == set()


def test_objects_absent_from_a_listing_are_dropped_unless_newer_than_it() -> None:
    model = Model()
    put(model, name="gone", uid="gone", rv="40", phase="Queued")
    put(model, name="fresh", uid="fresh", rv="70")
    dropped = model.sync_runs([], as_of="55", deleted={})
    assert dropped == ["gone"] and set(model.runs) == {"fresh"}
    assert list(model.queue) == ["fresh"]


def test_terminal_runs_without_the_finished_label_are_tracked_until_labelled() -> None:
    model = Model()
    put(model, phase="Succeeded")
    assert model.unlabelled == {"run-1"} and model.active == set()
    labelled = run_body(rv="11", phase="Succeeded")
    labelled["metadata"]["labels"] = {"kubeshowcase.io/finished": "true"}
    model.put_run(RunView.from_body(labelled))
    assert model.unlabelled == set()
    model.drop_run("run-1")  # out of the watch's selector
    assert model.unlabelled == set() and model.runs == {}


def test_nested_project_folders_are_busy_together() -> None:
    model = Model()
    put(model, name="outer", uid="outer", project="alice", phase="Queued")
    model.set_starting("outer", True)
    for project in ("alice", "alice/cells", "alice/cells/raw"):
        assert model.project_state(project) == "running", project
    assert model.project_state("alicex/cells") is None
    model.set_starting("outer", False)
    put(model, name="inner", uid="inner", project="alice/cells/raw", phase="Queued")
    model.set_starting("inner", True)
    assert [model.project_state(p) for p in ("alice", "alice/cells", "alice/cells/raw",
                                             "alice/cells2", "alice/other")] == [
        "running", "running", "running", None, None]
    model.set_starting("inner", False)
    assert model.project_state("alice") is None and model.project_users("alice") == set()


def test_the_queue_order_takes_turns_and_remembers_starts() -> None:
    model = Model()
    for i in range(3):
        put(model, name=f"a{i}", uid=f"a{i}", created=f"2025-01-01T10:00:0{i}Z", phase="Queued")
    put(model, name="b0", uid="b0", created="2025-01-01T10:00:05Z", phase="Queued",
        owner="bob", project="bob/other")
    assert model.queue_order() == ["a0", "b0", "a1", "a2"]  # neither has started a run
    assert model.queue_order() is model.queue_order()  # made again only on a change
    # alice's run that started at 10:00:09 and finished, gone since: bob's turn first.
    put(model, name="old", uid="old", phase="Succeeded", startTime="2025-01-01T10:00:09Z")
    model.drop_run("old")
    assert model.queue_order() == ["b0", "a0", "a1", "a2"]
    assert [model.queue_place(n) for n in ("b0", "a2", "old")] == [1, 4, None]


def test_finished_runs_listed_at_start_give_their_owners_last_starts() -> None:
    """A new leader (or a restart) learns whose turn it is from the finished runs still in
    the API, as well as their durations."""
    model = Model()
    put(model, name="a0", uid="a0", created="2025-01-01T10:00:00Z", phase="Queued")
    put(model, name="b0", uid="b0", created="2025-01-01T10:00:05Z", phase="Queued",
        owner="bob", project="bob/other")
    assert model.queue_order() == ["a0", "b0"]
    model.note_finished([RunView.from_body(run_body(
        "done", uid="done", phase="Succeeded", pipeline="nuclei",
        startTime="2025-01-01T09:00:00Z", completionTime="2025-01-01T09:10:00Z"))])
    assert model.queue_order() == ["b0", "a0"]  # alice started a run, bob never did
    assert model.durations.samples() == {"nuclei": [600.0]}


def test_runs_holding_a_slot_count_for_their_owner() -> None:
    model = Model()
    put(model, name="a", uid="a", phase="Running")
    put(model, name="b", uid="b", phase="Queued")
    model.set_starting("b", True)
    put(model, name="c", uid="c", phase="Queued", owner="bob", project="bob/x")
    assert (model.owner_running("alice"), model.owner_running("bob")) == (2, 0)
