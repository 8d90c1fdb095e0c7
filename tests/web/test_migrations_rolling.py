"""Migrations keep working with the previous release's pods (the chart README's rule for a
rolling upgrade): those pods insert rows naming only the columns they know, so every NOT NULL
column a later migration adds needs a database default, not only Django's."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

from runs.models import RunRecord

WEB = Path(__file__).resolve().parents[2] / "web"


def added_not_null_columns() -> list[tuple[str, str, str, str]]:
    """(app, model, field, migration) of each NOT NULL column a non-initial migration of ours
    adds."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        module = __import__(migration.__module__, fromlist=["_"])
        if not Path(module.__file__).resolve().is_relative_to(WEB) or migration.initial:
            continue
        for operation in migration.operations:
            if isinstance(operation, migrations.AddField) and not operation.field.null \
                    and not operation.field.many_to_many:
                found.append((app, operation.model_name, operation.name, name))
    return found


def test_every_not_null_column_a_later_migration_adds_has_a_database_default() -> None:
    added = added_not_null_columns()
    assert ("runs", "runrecord", "pod_name", "0003_pod_name") in added  # the check sees them
    missing = [(app, model, field, name) for app, model, field, name in added
               if apps.get_model(app, model)._meta.get_field(field).db_default is NOT_PROVIDED]
    assert missing == []


@pytest.mark.django_db
def test_the_previous_releases_pods_still_insert_run_rows() -> None:
    """A row inserted as a pod of the release before 0002 would: the columns added since get
    their database defaults."""
    later = {field for app, model, field, _ in added_not_null_columns()
             if (app, model) == ("runs", "runrecord")}
    assert later >= {"pod_name", "inputs", "inputs_complete", "node_name"}
    known = [field for field in RunRecord._meta.concrete_fields if field.name not in later]
    row = RunRecord(uid=uuid.uuid4(), name="old-pods-run", owner="alice",
                    project_path="alice/cells", pipeline="nuclei")
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in known]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in known)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RunRecord._meta.db_table} ({columns}) "
                       f"VALUES ({', '.join(['%s'] * len(values))})", values)
    inserted = RunRecord.objects.get(name="old-pods-run")
    assert (inserted.pod_name, inserted.inputs, inserted.inputs_complete, inserted.node_name) == (
        "", [], True, "")
