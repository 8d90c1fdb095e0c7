"""Tables for the storage, network, policy and CronJob kinds: defaults, validation with the real
server's paths and words, immutability, the cron parser, kubectl's cells and the pure decisions
of volume binding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kubedouble import cron_schedule, cronjobcontroller, kind_tables, kinds, volumebinding
from kubedouble.label_selectors import format_selector, selector_causes

Obj = dict[str, Any]


def claim(**spec: Any) -> Obj:
    body = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    body.update(spec)
    return {"metadata": {"name": "c", "namespace": "ns", "uid": "u1"},
            "spec": {k: v for k, v in body.items() if v is not None}}


def backend(**service: Any) -> Obj:
    return {"service": {"name": "web", "port": {"name": "http"}, **service}}


def ingress(paths: list[Obj] | None = None, **spec: Any) -> Obj:
    rule = {"host": "a.example.com", "http": {"paths": paths if paths is not None else [
        {"path": "/", "pathType": "Prefix", "backend": backend()}]}}
    return {"metadata": {"name": "i"}, "spec": {"rules": [rule], **spec}}


def cronjob(schedule: str = "0 * * * *", **spec: Any) -> Obj:
    return {"metadata": {"name": "cj"}, "spec": {
        "schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}},
        **spec}}


def problems(qualified: str, obj: Obj) -> list[tuple[str, str]]:
    return [(c["field"], c["message"]) for c in kinds.prepare_new(qualified, obj)]


PVC, PV, SC = "persistentvolumeclaims", "persistentvolumes", "storageclasses.storage.k8s.io"
ING, NP = "ingresses.networking.k8s.io", "networkpolicies.networking.k8s.io"
PDB, CJ = "poddisruptionbudgets.policy", "cronjobs.batch"


# Defaults (pkg/apis/*/v1/defaults.go) --------------------------------------------------------
def test_defaults_are_the_real_servers():
    pvc = claim()
    kinds.prepare_new(PVC, pvc)
    assert pvc["spec"]["volumeMode"] == "Filesystem" and pvc["status"] == {"phase": "Pending"}
    pv = {"metadata": {"name": "v"}, "spec": {"hostPath": {"path": "/x"}}}
    kinds.prepare_new(PV, pv)
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["hostPath"]["type"] == "" and pv["status"] == {"phase": "Pending"}
    sc = {"metadata": {"name": "s"}, "provisioner": "example.com/x"}
    assert problems(SC, sc) == []
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    cj = cronjob()
    assert problems(CJ, cj) == []
    assert {k: cj["spec"][k] for k in ("concurrencyPolicy", "suspend",
                                       "successfulJobsHistoryLimit",
                                       "failedJobsHistoryLimit")} == {
        "concurrencyPolicy": "Allow", "suspend": False, "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1}
    pod_spec = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["dnsPolicy"] == "ClusterFirst"
    assert "backoffLimit" not in cj["spec"]["jobTemplate"]["spec"]  # SetDefaults_Job is a Job's


@pytest.mark.parametrize(("spec", "expected"), [
    ({"podSelector": {}}, ["Ingress"]),
    ({"podSelector": {}, "egress": [{}]}, ["Ingress", "Egress"]),
    ({"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]}, ["Egress"]),
])
def test_network_policy_types_are_derived(spec, expected):
    policy = {"metadata": {"name": "p"}, "spec": spec}
    assert problems(NP, policy) == []
    assert policy["spec"]["policyTypes"] == expected


def test_network_policy_ports_default_to_tcp():
    policy = {"metadata": {"name": "p"}, "spec": {"ingress": [{"ports": [{"port": 80}]}]}}
    kinds.prepare_new(NP, policy)
    assert policy["spec"]["podSelector"] == {}
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]


# Validation (pkg/apis/*/validation/validation.go) -------------------------------------------
INVALID = [
    (PVC, claim(accessModes=None), "spec.accessModes",
     "Required value: at least 1 access mode is required"),
    (PVC, claim(accessModes=["ReadWriteSometimes"]), "spec.accessModes",
     'Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", '
     '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'),
    (PVC, claim(accessModes=["ReadWriteOncePod", "ReadWriteOnce"]), "spec.accessModes",
     "Forbidden: may not use ReadWriteOncePod with other access modes"),
    (PVC, claim(resources={}), "spec.resources[storage]", "Required value"),
    (PVC, claim(resources={"requests": {"storage": "0"}}), "spec.resources[storage]",
     'Invalid value: "0": must be greater than zero'),
    (PVC, claim(volumeMode="Raw"), "spec.volumeMode",
     'Unsupported value: "Raw": supported values: "Block", "Filesystem"'),
    (PV, {"metadata": {"name": "v"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                             "capacity": {"storage": "1Gi"}}},
     "spec", "Required value: must specify a volume type"),
    (PV, {"metadata": {"name": "v"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                             "hostPath": {"path": "/x"}}},
     "spec.capacity", "Required value"),
    (PV, {"metadata": {"name": "v"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                             "capacity": {"storage": "1Gi"},
                                             "hostPath": {"path": "/a/../b"}}},
     "spec.hostPath.path", "Invalid value: \"/a/../b\": must not contain '..'"),
    (PV, {"metadata": {"name": "v"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                             "capacity": {"storage": "1Gi"},
                                             "hostPath": {"path": "/x", "type": "Folder"}}},
     "spec.hostPath.type", 'Unsupported value: "Folder": supported values: "", "BlockDevice", '
     '"CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'),
    (SC, {"metadata": {"name": "s"}}, "provisioner", "Required value"),
    (SC, {"metadata": {"name": "s"}, "provisioner": "x", "volumeBindingMode": "Later"},
     "volumeBindingMode",
     'Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'),
    (ING, ingress([{"path": "/", "backend": backend()}]),
     "spec.rules[0].http.paths[0].pathType", "Required value: pathType must be specified"),
    (ING, ingress([{"path": "/", "pathType": "Regex", "backend": backend()}]),
     "spec.rules[0].http.paths[0].pathType", 'Unsupported value: "Regex": supported values: '
     '"Exact", "ImplementationSpecific", "Prefix"'),
    (ING, ingress([{"path": "api", "pathType": "Prefix", "backend": backend()}]),
     "spec.rules[0].http.paths[0].path", 'Invalid value: "api": must be an absolute path'),
    (ING, ingress([{"path": "/a//b", "pathType": "Exact", "backend": backend()}]),
     "spec.rules[0].http.paths[0].path", "Invalid value: \"/a//b\": must not contain '//'"),
    (ING, ingress([{"path": "/", "pathType": "Prefix", "backend": {}}]),
     "spec.rules[0].http.paths[0].backend",
     'Invalid value: "": resource or service backend is required'),
    (ING, ingress([{"path": "/", "pathType": "Prefix",
                    "backend": backend(port={"name": "http", "number": 80})}]),
     "spec.rules[0].http.paths[0].backend",
     'Invalid value: "": cannot set both port name & port number'),
    (ING, ingress([{"path": "/", "pathType": "Prefix", "backend": backend(port={})}]),
     "spec.rules[0].http.paths[0].backend", "Required value: port name or number is required"),
    (ING, ingress([{"path": "/", "pathType": "Prefix",
                    "backend": backend(port={"number": 70000})}]),
     "spec.rules[0].http.paths[0].backend.service.port.number",
     "Invalid value: 70000: must be between 1 and 65535, inclusive"),
    (ING, {"metadata": {"name": "i"}, "spec": {}}, "spec",
     "Invalid value: null: either `defaultBackend` or `rules` must be specified"),
    (ING, {"metadata": {"name": "i"}, "spec": {"rules": [{"host": "10.0.0.1"}]}},
     "spec.rules[0].host", 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address'),
    (NP, {"metadata": {"name": "p"}, "spec": {"ingress": [{"from": [{}]}]}},
     "spec.ingress[0].from[0]", "Required value: must specify a peer"),
    (NP, {"metadata": {"name": "p"}, "spec": {"ingress": [{"from": [
        {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}},
     "spec.ingress[0].from[0]", "Forbidden: may not specify both ipBlock and another peer"),
    (NP, {"metadata": {"name": "p"}, "spec": {"egress": [{"to": [
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]}]}},
     "spec.egress[0].to[0].ipBlock.except[0]",
     'Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`'),
    (NP, {"metadata": {"name": "p"}, "spec": {"ingress": [{"ports": [
        {"port": 80, "protocol": "ICMP"}]}]}}, "spec.ingress[0].ports[0].protocol",
     'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'),
    (NP, {"metadata": {"name": "p"}, "spec": {"podSelector": {"matchExpressions": [
        {"key": "a", "operator": "In"}]}}}, "spec.podSelector.matchExpressions[0].values",
     "Required value: must be specified when `operator` is 'In' or 'NotIn'"),
    (PDB, {"metadata": {"name": "b"}, "spec": {"minAvailable": "150%"}}, "spec.minAvailable",
     'Invalid value: "150%": must not be greater than 100%'),
    (PDB, {"metadata": {"name": "b"}, "spec": {"maxUnavailable": -1}}, "spec.maxUnavailable",
     "Invalid value: -1: must be greater than or equal to 0"),
    (PDB, {"metadata": {"name": "b"}, "spec": {"minAvailable": "half"}}, "spec.minAvailable",
     "Invalid value: \"half\": a valid percent string must be a numeric string followed by an "
     "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"),
    (CJ, cronjob(""), "spec.schedule", "Required value"),
    (CJ, cronjob("* * *"), "spec.schedule",
     'Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'),
    (CJ, cronjob("61 * * * *"), "spec.schedule",
     'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'),
    (CJ, cronjob("TZ=UTC 0 * * * *"), "spec.schedule", 'Invalid value: "TZ=UTC 0 * * * *": '
     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    (CJ, cronjob(timeZone="Mars/Olympus"), "spec.timeZone",
     'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'),
    (CJ, cronjob(timeZone="Local"), "spec.timeZone", 'Invalid value: "Local": timeZone must be '
     "an explicit time zone as defined in https://www.iana.org/time-zones"),
    (CJ, cronjob(concurrencyPolicy="Sometimes"), "spec.concurrencyPolicy",
     'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'),
    (CJ, {"metadata": {"name": "x" * 53}, "spec": cronjob()["spec"]}, "metadata.name",
     f'Invalid value: "{"x" * 53}": must be no more than 52 characters'),
]


@pytest.mark.parametrize(("qualified", "obj", "field", "message"), INVALID,
                         ids=[f"{q.split('.')[0]}-{f}-{i}" for i, (q, _, f, _) in
                              enumerate(INVALID)])
def test_invalid_objects_are_refused_with_the_real_words(qualified, obj, field, message):
    assert (field, message) in problems(qualified, obj)


def test_both_pdb_bounds_are_refused():
    found = problems(PDB, {"metadata": {"name": "b"}, "spec": {"minAvailable": 1,
                                                               "maxUnavailable": 1}})
    assert found == [("spec", 'Invalid value: {"minAvailable":1,"maxUnavailable":1}: '
                              "minAvailable and maxUnavailable cannot be both set")]


def test_a_cronjob_template_is_validated_as_a_job():
    cj = cronjob()
    template = cj["spec"]["jobTemplate"]["spec"]
    template["template"]["spec"].pop("restartPolicy")
    template["backoffLimit"] = -1
    template["selector"] = {"matchLabels": {"a": "b"}}
    found = dict(problems(CJ, cj))
    assert found["spec.jobTemplate.spec.template.spec.restartPolicy"] == \
        'Required value: valid values: "OnFailure", "Never"'
    assert found["spec.jobTemplate.spec.backoffLimit"] == \
        "Invalid value: -1: must be greater than or equal to 0"
    assert found["spec.jobTemplate.spec.selector"].endswith("`selector` will be auto-generated")


def test_valid_objects_pass():
    assert problems(PVC, claim()) == []
    assert problems(ING, ingress()) == []
    assert problems(PV, {"metadata": {"name": "v"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"},
        "hostPath": {"path": "/x"}}}) == []
    assert problems(CJ, cronjob("@hourly", timeZone="Europe/Paris")) == []
    assert problems(PDB, {"metadata": {"name": "b"}, "spec": {"maxUnavailable": "50%"}}) == []


# Immutability (the Validate*Update functions) ------------------------------------------------
def _update(qualified: str, new: Obj, old: Obj) -> list[tuple[str, str]]:
    return [(c["field"], c["message"].split("\n")[0])
            for c in kinds.update_causes(qualified, new, old, None)]


def test_a_bound_claim_may_only_grow():
    old = claim(volumeName="pv1")
    kinds.prepare_new(PVC, old)
    old["status"] = {"phase": "Bound"}
    grown = claim(volumeName="pv1", resources={"requests": {"storage": "2Gi"}})
    assert _update(PVC, grown, old) == []
    shrunk = claim(volumeName="pv1", resources={"requests": {"storage": "512Mi"}})
    assert _update(PVC, shrunk, old) == [
        ("spec.resources.requests.storage", "Forbidden: field can not be less than previous "
                                            "value")]
    changed = claim(volumeName="pv1", accessModes=["ReadWriteMany"])
    assert _update(PVC, changed, old) == [
        ("spec", "Forbidden: spec is immutable after creation except resources.requests and "
                 "volumeAttributesClassName for bound claims")]


def test_an_unbound_claim_may_not_grow_but_may_get_its_volume_once():
    old = claim()
    kinds.prepare_new(PVC, old)
    grown = claim(resources={"requests": {"storage": "2Gi"}})
    assert [f for f, _ in _update(PVC, grown, old)] == ["spec"]
    assert _update(PVC, claim(volumeName="pv1"), old) == []


def test_storage_class_fields_are_fixed():
    old = {"metadata": {"name": "s"}, "provisioner": "a.io/x"}
    kinds.prepare_new(SC, old)
    new = {"metadata": {"name": "s"}, "provisioner": "b.io/x", "reclaimPolicy": "Retain"}
    assert _update(SC, new, old) == [
        ("provisioner", "Forbidden: updates to provisioner are forbidden."),
        ("reclaimPolicy", "Forbidden: updates to reclaimPolicy are forbidden.")]


def test_a_volume_source_is_fixed():
    old = {"metadata": {"name": "v"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                               "capacity": {"storage": "1Gi"},
                                               "hostPath": {"path": "/x"}}}
    kinds.prepare_new(PV, old)
    new = {"metadata": {"name": "v"}, "spec": {**old["spec"], "hostPath": {"path": "/y"}}}
    assert _update(PV, new, old) == [
        ("spec.persistentvolumesource", "Forbidden: spec.persistentvolumesource is immutable "
                                        "after creation")]


def test_a_cronjob_keeps_a_tz_schedule_it_had():
    old = cronjob("TZ=UTC 0 * * * *")
    new = cronjob("TZ=UTC 5 * * * *")
    assert kinds.update_causes(CJ, new, old, None) == []


# The cron parser (robfig/cron/v3 ParseStandard) -------------------------------------------
@pytest.mark.parametrize(("spec", "error"), [
    ("*/15 0-6 1,15 jan-mar mon-fri", None), ("@every 1h30m", None), ("@weekly", None),
    ("CRON_TZ=Europe/Paris 0 3 * * *", None), ("0 0 * * 7",
                                              "end of range (7) above maximum (6): 7"),
    ("", "empty spec string"), ("@sometimes", "unrecognized descriptor: @sometimes"),
    ("a * * * *", 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("TZ=Nowhere/Land 0 * * * *",
     "provided bad location Nowhere/Land: unknown time zone Nowhere/Land"),
])
def test_cron_schedules_parse_as_robfig_cron(spec, error):
    if error is None:
        cron_schedule.parse(spec)
    else:
        with pytest.raises(cron_schedule.CronError) as raised:
            cron_schedule.parse(spec)
        assert str(raised.value) == error


def test_cron_fields_expand():
    schedule = cron_schedule.parse("*/20 9-17/4 1 feb sun,sat")
    assert schedule.fields == ({0, 20, 40}, {9, 13, 17}, {1}, {2}, {0, 6})
    assert not schedule.any_day_of_month and not schedule.any_weekday


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_day_fields_are_ored_unless_one_is_a_star():
    either = cron_schedule.parse("0 0 13 * fri")  # the 13th, or any Friday
    assert either.matches(_utc("2026-11-13T00:00"))  # a Friday the 13th
    assert either.matches(_utc("2026-11-06T00:00"))  # a Friday
    assert either.matches(_utc("2026-12-13T00:00"))  # a Sunday the 13th
    assert not either.matches(_utc("2026-11-07T00:00"))
    fridays = cron_schedule.parse("0 0 * * fri")
    assert not fridays.matches(_utc("2026-12-13T00:00"))


def test_the_most_recent_scheduled_time():
    hourly = cron_schedule.parse("@hourly")
    latest, count = cron_schedule.most_recent(hourly, _utc("2026-12-01T10:30"),
                                              _utc("2026-12-01T13:10"))
    assert (latest, count) == (_utc("2026-12-01T13:00"), 3)
    assert cron_schedule.most_recent(hourly, _utc("2026-12-01T13:00"),
                                     _utc("2026-12-01T13:59")) == (None, 0)
    paris = cron_schedule.parse("0 3 * * *")  # 03:00 in Paris is 02:00 UTC in winter
    latest, _ = cron_schedule.most_recent(paris, _utc("2026-12-01T00:00"),
                                          _utc("2026-12-01T12:00"), "Europe/Paris")
    assert latest.astimezone(UTC) == _utc("2026-12-01T02:00")
    every = cron_schedule.parse("@every 90s")
    assert cron_schedule.most_recent(every, _utc("2026-12-01T00:00"),
                                     _utc("2026-12-01T00:04")) == (_utc("2026-12-01T00:03"), 2)


# The CronJob controller's decisions (cronjob_controllerv2.go, utils.go) ---------------------
def _cronjob(**spec: Any) -> Obj:
    body = cronjob(**spec)
    body["metadata"].update(namespace="ns", uid="cj-uid", creationTimestamp="2026-12-01T10:00:00Z")
    body["spec"]["jobTemplate"]["metadata"] = {"labels": {"app": "cleanup"}}
    return body


def test_a_scheduled_job_is_named_for_its_minute_and_owned():
    scheduled = _utc("2026-12-01T13:00")
    job = cronjobcontroller.job_for(_cronjob(), scheduled)
    assert job["metadata"]["name"] == f"cj-{int(scheduled.timestamp()) // 60}"
    assert job["metadata"]["labels"] == {"app": "cleanup"}
    assert job["metadata"]["annotations"] == {
        "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-12-01T13:00:00Z"}
    assert job["metadata"]["ownerReferences"] == [{
        "apiVersion": "batch/v1", "kind": "CronJob", "name": "cj", "uid": "cj-uid",
        "controller": True, "blockOwnerDeletion": True}]


def test_a_due_time_honours_the_starting_deadline():
    now = _utc("2026-12-01T13:05")
    assert cronjobcontroller.due_time(_cronjob(), now, None) == _utc("2026-12-01T13:00")
    late = _cronjob(startingDeadlineSeconds=60)
    assert cronjobcontroller.due_time(late, now, None) is None
    done = _cronjob()
    done["status"] = {"lastScheduleTime": "2026-12-01T13:00:00Z"}
    assert cronjobcontroller.due_time(done, now, None) is None


def _finished(name: str, kind: str, started: str) -> Obj:
    return {"metadata": {"name": name}, "status": {"startTime": started, "conditions": [
        {"type": kind, "status": "True"}]}}


def test_history_beyond_the_limits_goes_oldest_first():
    jobs = [_finished("a", "Complete", "2026-12-01T10:00:00Z"),
            _finished("b", "Complete", "2026-12-01T11:00:00Z"),
            _finished("c", "Failed", "2026-12-01T09:00:00Z"),
            {"metadata": {"name": "running"}, "status": {}}]
    doomed = cronjobcontroller.history_to_delete(
        _cronjob(successfulJobsHistoryLimit=1, failedJobsHistoryLimit=0), jobs)
    assert [j["metadata"]["name"] for j in doomed] == ["a", "c"]


# Selectors -------------------------------------------------------------------------------
def test_selectors_print_as_kubectl_prints_them():
    assert format_selector({}) == "<none>"
    assert format_selector({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "c", "operator": "Exists"}, {"key": "d", "operator": "NotIn",
                                             "values": ["y", "x"]}]}) == "a=1,b=2,c,d notin (x,y)"


def test_selector_operators_are_checked():
    assert selector_causes({"matchExpressions": [{"key": "a", "operator": "Has"}]}, "s") == [
        {"field": "s.matchExpressions[0].operator", "reason": "FieldValueInvalid",
         "message": 'Invalid value: "Has": not a valid selector operator'}]


# kubectl's cells (printers.go) --------------------------------------------------------------
def test_claim_cells_show_the_volume_only_once_bound():
    pending = claim(storageClassName="standard")
    kinds.prepare_new(PVC, pending)
    assert kind_tables._claim_row(pending)[:7] == [
        "Pending", "", "", "", "standard", "<unset>", kind_tables._created(pending)]
    bound = claim(volumeName="pv1", storageClassName="standard")
    bound["status"] = {"phase": "Bound", "capacity": {"storage": "1Gi"},
                       "accessModes": ["ReadWriteMany", "ReadWriteOnce"]}
    assert kind_tables._claim_row(bound)[:4] == ["Bound", "pv1", "1Gi", "RWO,RWX"]


def test_ingress_hosts_and_ports():
    rules = [{"host": f"h{n}"} for n in range(5)]
    assert kind_tables._ingress_hosts(rules) == "h0,h1,h2 + 2 more..."
    assert kind_tables._ingress_hosts([{}]) == "*"
    row = kind_tables._ingress_row(ingress(tls=[{"hosts": ["a.example.com"]}]))
    assert row[:4] == ["<none>", "a.example.com", "", "80, 443"]


def test_a_default_storage_class_says_so():
    sc = {"metadata": {"name": "s", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"}}}
    assert kind_tables.name_cell(SC, sc) == "s (default)"
    assert kind_tables.name_cell(PVC, sc) == "s"


# Volume binding's decisions ----------------------------------------------------------------
def _pod(*claims: str, phase: str = "Running") -> Obj:
    return {"metadata": {"name": "p", "namespace": "ns"}, "status": {"phase": phase},
            "spec": {"volumes": [{"name": n, "persistentVolumeClaim": {"claimName": n}}
                                 for n in claims]}}


def test_the_scheduler_words_for_claims():
    bound = {**claim(), "status": {"phase": "Bound"}}
    pending = {**claim(), "status": {"phase": "Pending"}}
    deleting = {**bound, "metadata": {**bound["metadata"], "deletionTimestamp": "t"}}
    assert volumebinding.claim_problem(_pod("x"), {}) == 'persistentvolumeclaim "x" not found'
    assert volumebinding.claim_problem(_pod("c"), {"c": pending}) == \
        "pod has unbound immediate PersistentVolumeClaims"
    assert volumebinding.claim_problem(_pod("c"), {"c": deleting}) == \
        'persistentvolumeclaim "c" is being deleted'
    assert volumebinding.claim_problem(_pod("c"), {"c": bound}) is None
    assert volumebinding.claim_problem(_pod(), {}) is None


def test_a_claim_is_in_use_by_unfinished_pods_only():
    assert volumebinding.in_use(claim(), [_pod("c")])
    assert not volumebinding.in_use(claim(), [_pod("c", phase="Succeeded")])
    assert not volumebinding.in_use(claim(), [_pod("other")])


def test_a_volume_fits_a_claim_of_its_class_modes_and_size():
    volume = {"spec": {"accessModes": ["ReadWriteOnce", "ReadWriteMany"],
                       "capacity": {"storage": "2Gi"}, "storageClassName": "manual"},
              "status": {"phase": "Available"}}
    assert volumebinding.fits(volume, claim(storageClassName="manual"))
    assert not volumebinding.fits(volume, claim(storageClassName="other"))
    assert not volumebinding.fits(volume, claim(storageClassName="manual",
                                                resources={"requests": {"storage": "3Gi"}}))
    assert not volumebinding.fits(volume, claim(storageClassName="manual",
                                                accessModes=["ReadOnlyMany"]))
