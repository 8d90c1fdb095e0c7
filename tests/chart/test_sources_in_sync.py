"""The chart's copies of repo-level sources match them: CRD templates, the Pipeline values schema, the README table."""

from __future__ import annotations

from tests.chart.sync import (CRD_TEMPLATES, README_FILE, REPO, REPO_CRDS, SYNC_COMMAND, VALUES_FILE,
                              crd_differences, load_schema, pipeline_spec_schema, readme_with_table,
                              values_table)


def test_the_crd_templates_are_generated_from_the_top_level_crds():
    assert sorted(path.name for path in REPO_CRDS.glob("*.yaml")), "crds/ has no CRDs"
    differing = crd_differences()
    assert differing == [], (
        f"{CRD_TEMPLATES.relative_to(REPO)} is out of date for {differing}: crds/ is the source of"
        f" truth. Re-generate with `{SYNC_COMMAND}`.")


def test_the_chart_has_no_crds_folder():
    # Helm installs a chart's crds/ folder on its own: with the templates, the CRDs would come twice.
    assert not (REPO / "charts" / "kubeshowcase" / "crds").exists()


def test_the_pipeline_values_schema_is_derived_from_the_crd():
    assert load_schema()["definitions"]["pipelineSpec"] == pipeline_spec_schema(), (
        f"values.schema.json's pipelineSpec no longer matches crds/pipelines.kubeshowcase.io.yaml:"
        f" run `{SYNC_COMMAND}`")


def test_the_readme_values_table_is_current():
    readme = README_FILE.read_text()
    assert readme == readme_with_table(readme, values_table(VALUES_FILE.read_text())), (
        f"charts/kubeshowcase/README.md's values table is out of date: run `{SYNC_COMMAND}`")
