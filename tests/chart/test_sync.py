"""The pure helpers behind `python -m tests.chart.sync`."""

from __future__ import annotations

from tests.chart.sync import closed_schema, documented_paths, documented_values, values_table


def test_closed_schema_rejects_unknown_keys_where_the_crd_prunes_them():
    crd = {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string"},
        "files": {"type": "object", "properties": {"args": {"type": "string"}}},
        "limits": {"type": "object", "additionalProperties": {"x-kubernetes-int-or-string": True}},
    }}
    assert closed_schema(crd) == {"type": "object", "required": ["image"], "additionalProperties": False,
                                  "properties": {
        "image": {"type": "string"},
        "files": {"type": "object", "additionalProperties": False, "properties": {"args": {"type": "string"}}},
        "limits": {"type": "object", "additionalProperties": {}},
    }}


def test_closed_schema_keeps_free_form_objects_open():
    crd = {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
           "properties": {"title": {"type": "string"}}}
    assert closed_schema(crd) == {"type": "object", "properties": {"title": {"type": "string"}}}


VALUES = """\
# A header that documents nothing.

# -- The name.
name: ""
web:
  # -- Replicas, on
  # two lines.
  replicaCount: 1
  plain: 2
  hosts:
    - host: a
      paths: []
  limits:
    # -- (int) Most files.
    maxFiles: null
"""


def test_documented_paths_follow_nesting_and_continuation_lines():
    assert documented_paths(VALUES) == {
        "name": "The name.",
        "web.replicaCount": "Replicas, on two lines.",
        "web.limits.maxFiles": "(int) Most files.",
    }


def test_values_table_lists_type_default_and_description():
    rows = {row.path: row for row in documented_values(VALUES)}
    assert (rows["web.limits.maxFiles"].type, rows["web.limits.maxFiles"].description) == ("int", "Most files.")
    table = values_table(VALUES)
    assert "| web.replicaCount | int | `1` | Replicas, on two lines. |" in table
    assert '| name | string | `""` | The name. |' in table
