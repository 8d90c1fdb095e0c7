"""`python -m kubeshowcase_operator`: `kopf run --standalone` in the namespace KUBE_NAMESPACE
(with `--log-format=json` under LOG_FORMAT=json)."""

from __future__ import annotations

import sys

from kopf.cli import main as kopf_main

from .settings import SettingsError, load


def main() -> None:
    try:
        settings = load()
    except SettingsError as error:
        sys.exit(f"kubeshowcase-operator: {error}")
    # LOG_FORMAT=json: Kopf's own JSON formatter for every line (logformat.py adds our fields).
    log_format = ["--log-format=json"] if settings.log_format == "json" else []
    kopf_main([
        "run", "--standalone", "--namespace", settings.namespace, *log_format,
        "-m", "kubeshowcase_operator", *sys.argv[1:],
    ], prog_name="kopf")


if __name__ == "__main__":
    main()
