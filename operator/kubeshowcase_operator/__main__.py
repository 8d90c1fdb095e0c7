"""`python -m kubeshowcase_operator`: `kopf run --standalone` in the namespace KUBE_NAMESPACE."""

from __future__ import annotations

import sys

from kopf.cli import main as kopf_main

from .settings import SettingsError, load


def main() -> None:
    try:
        settings = load()
    except SettingsError as error:
        sys.exit(f"kubeshowcase-operator: {error}")
    kopf_main([
        "run", "--standalone", "--namespace", settings.namespace,
        "-m", "kubeshowcase_operator", *sys.argv[1:],
    ], prog_name="kopf")


if __name__ == "__main__":
    main()
