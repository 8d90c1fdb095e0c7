"""Download RO-Crate: a finished run's provenance, outputs and log as one streamed zip.

The outputs are the run's recorded manifest (RunRecord.outputs) as far as the disk still has
them: a file is shipped only while it is the regular file the operator recorded (same size and
mtime, checked by handle when it is zipped); one replaced by a later run, changed or deleted is
named in the metadata with why, never shipped. ro-crate-metadata.json (results.crate) is written
last, from what the zip really holds. RUN_CRATE_MAX_BYTES bounds what one export may ship.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db.models import QuerySet
from django.contrib import messages
from django.http import Http404, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from projects.lookup import get_project_for_user
from projects.paths import UnsafePath, check_relative
from projects.safefs import Dir, NotFound
from projects.zipstream import Member, iter_members
from results import crate
from results.collect import CHANGED, DELETED, REPLACED
from results.recorded import RecordedFile, is_unchanged, on_disk, parse_manifest, what_became_of
from runs import projectruns
from runs.access import get_record_for_user
from runs.models import FINISHED_PHASES, PipelineRecord, RunRecord

METADATA = "ro-crate-metadata.json"
WHY = {REPLACED: "replaced by run {by}", CHANGED: "changed since the run",
       DELETED: "deleted since the run"}
RACED = "changed while it was being exported"
CLASH = "its name is one of the crate's own files; download it from the project"


@require_safe
@owner_required
def run_crate(request: OwnedRequest, name: str) -> HttpResponseBase:
    run = get_record_for_user(request, name)
    if run.project is None:  # a deleted project's runs have no files left to ship
        raise Http404("No such run")
    found = get_project_for_user(request, run.project.name)  # staff on others' runs: 404
    if projectruns.project_row(found) != run.project:
        raise Http404("No such run")
    if run.phase not in FINISHED_PHASES:
        messages.error(request, f"Run {run.name} has not finished; its RO-Crate can be "
                                "downloaded once it has.")
        return redirect("runs-detail", run.name)
    folder = found.open()
    try:
        members, left_out = _members(folder, run, projectruns.later_runs(
            projectruns.runs_of(projectruns.project_row(found)), run))
        total = sum(member.size for member in members)
        if total > settings.RUN_CRATE_MAX_BYTES:
            folder.close()
            messages.error(request, f"Run {run.name}'s outputs and log are "
                                    f"{filesizeformat(total)}, more than an RO-Crate may hold "
                                    f"({filesizeformat(settings.RUN_CRATE_MAX_BYTES)}). "
                                    "Download its files from the project instead.")
            return redirect("runs-detail", run.name)
    except BaseException:
        folder.close()
        raise
    pipeline = PipelineRecord.objects.filter(name=run.pipeline).first()
    spec_now = pipeline.spec if pipeline is not None else None

    def last(zipped: list[Member]) -> list[tuple[str, bytes]]:
        shipped = {member.arcname for member in zipped}
        raced = [crate.LeftOut(m.arcname, RACED) for m in members if m.arcname not in shipped
                 and m.arcname != run.log_file]
        sha = {item.get("path"): item.get("sha256") for item in run.outputs
               if isinstance(item, dict)}
        outputs = [crate.Shipped(m.arcname, m.size, sha.get(m.arcname)) for m in zipped
                   if m.arcname != run.log_file]
        log = next((crate.Shipped(m.arcname, m.size) for m in zipped
                    if m.arcname == run.log_file), None)
        body = crate.metadata(run, spec_now, outputs, [*left_out, *raced], log)
        return [(crate.WORKFLOW_FILE, crate.workflow_bytes(run, spec_now)),
                (METADATA, json.dumps(body, indent=2).encode())]

    return StreamingHttpResponse(
        iter_members(folder, members, last),  # the stream closes the folder handle
        content_type="application/zip",
        headers={"Content-Disposition": content_disposition_header(
            True, f"{run.name}-ro-crate.zip")})


def _members(folder: Dir, run: RunRecord, later: QuerySet[RunRecord]
             ) -> tuple[list[Member], list[crate.LeftOut]]:
    """The recorded outputs still as the run left them, plus its saved log; and the rest."""
    members: list[Member] = []
    gone: list[tuple[RecordedFile, bool]] = []
    clashes: list[crate.LeftOut] = []
    for recorded in parse_manifest(run.outputs):
        if recorded.relative in (crate.WORKFLOW_FILE, METADATA):
            clashes.append(crate.LeftOut(recorded.relative, CLASH))
            continue
        entry = on_disk(folder, recorded)
        if is_unchanged(entry, recorded):
            members.append(Member(recorded.segments, recorded.relative, recorded.size,
                                  recorded.mtime_ns))
        else:
            gone.append((recorded, entry is not None))
    left_out = clashes + [crate.LeftOut(item.relative, WHY[item.why].format(by=item.by))
                          for item in what_became_of(later, gone)]
    log = _log_member(folder, run)
    if log is not None and all(m.arcname != log.arcname for m in members):
        members.append(log)
    return members, left_out


def _log_member(folder: Dir, run: RunRecord) -> Member | None:
    try:
        segments = check_relative(run.log_file)
    except UnsafePath:
        return None
    if not segments:
        return None
    try:
        with folder.open_dir(segments[:-1]) as parent:
            entry = parent.entry(segments[-1])
    except NotFound:
        return None
    if entry is None or not entry.is_file:
        return None  # a link or a FIFO at its name is never followed
    return Member(segments, run.log_file, entry.size, entry.mtime_ns)
