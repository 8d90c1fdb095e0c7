"""`make demo-chart`: the Helm chart installed on the API-server double, as an admin installs it.

Stands up what tests/chart/test_install_on_double.py installs (tests/chartstack.py): a local
PostgreSQL on 127.0.0.1, the double with no CRDs and the chart's images mapped to this
checkout, the database Secret, and `helm install --wait` of charts/kubeshowcase with
tests/chart/double-values.yaml. Then it forwards a local port to the web Service (as `kubectl
port-forward svc/kubeshowcase-web` would), creates a login, prints both, and serves until
Ctrl-C, which stops every process it started. Each start is a fresh install; `make demo`
keeps its data between starts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the stack module lives with the tests that share it

from tests.chartstack import (  # noqa: E402
    NAMESPACE, RELEASE, WEB_SERVICE, CommandFailed, chart_stack)
from tools.demo import DemoPaths, demo_password, ensure_demo_users  # noqa: E402

DEMO_LOGIN = "scientist"


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends the demo as Ctrl-C does, unwinding the stack


def run(state_dir: Path, port: int) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    work = state_dir / "stack"
    shutil.rmtree(work, ignore_errors=True)
    print("kubeshowcase demo-chart: installing the chart on the API-server double ...",
          flush=True)
    try:
        with chart_stack(work, forward_port=port) as stack:
            password = demo_password(DemoPaths(state_dir), DEMO_LOGIN)
            ensure_demo_users(stack.web_env(), {DEMO_LOGIN: password})
            service = stack.api.service_url(NAMESPACE, WEB_SERVICE, "http")
            kubeconfig = stack.api.kubeconfig
            print(
                "\n"
                f"  kubeshowcase is running at  {stack.web_url}/\n"
                f"  demo login:                 {DEMO_LOGIN} / {password}\n"
                f"  web Service:                {service} (the URL above forwards to it)\n"
                f"  kubectl:                    export KUBECONFIG={kubeconfig}; kubectl get pods\n"
                f"  helm:                       helm --namespace {NAMESPACE} status {RELEASE}\n"
                "\n"
                "  The Helm chart, installed with real helm on the API-server double: its pods\n"
                "  run as local processes of this checkout. Press Ctrl-C to stop.\n",
                flush=True,
            )
            while True:
                time.sleep(0.5)
    except KeyboardInterrupt:
        print("kubeshowcase demo-chart: stopped", flush=True)
        return 0
    except CommandFailed as error:
        print(f"kubeshowcase demo-chart: {error}", file=sys.stderr)
        return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")),
                        help="the local port forwarded to the web Service")
    parser.add_argument("--state-dir", type=Path, default=os.environ.get("DEMO_CHART_DIR"),
                        help="where the double and the login live (default: a scratch folder)")
    args = parser.parse_args()
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="ksc-demo-chart-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        code = run(state_dir.resolve(), args.port)
    finally:
        if args.state_dir is None:
            shutil.rmtree(state_dir, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
