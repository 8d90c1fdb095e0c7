"""`python -m kubeshowcase.ensure_secret_key`: make the Secret holding SECRET_KEY once, if absent.

The chart's pre-install/pre-upgrade hook Job runs it (as GitLab's chart makes its shared
secrets), so the key is random per installation yet never changes afterwards, also under
GitOps, where `helm template` cannot look anything up and a template-made key would change on
every sync. An existing Secret is left as it is. Settings, from the Job's environment:
KUBE_NAMESPACE, SECRET_NAME, SECRET_DATA_KEY and SECRET_LABELS (a JSON object).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException


def secret_body(name: str, key: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": labels},
        "type": "Opaque",
        "stringData": {key: secrets.token_urlsafe(50)},
    }


def ensure(core: client.CoreV1Api, namespace: str, name: str, key: str,
           labels: dict[str, str]) -> str:
    """Create the Secret with a new random key unless it exists; what happened, for the log."""
    try:
        core.create_namespaced_secret(namespace, secret_body(name, key, labels))
    except ApiException as error:
        if error.status != 409:  # AlreadyExists is the normal case on every upgrade
            raise
    else:
        return f"created Secret {namespace}/{name} with a new random {key}"
    existing = core.read_namespaced_secret(name, namespace)
    if not (existing.data or {}).get(key):
        raise SystemExit(
            f"Secret {namespace}/{name} exists but holds no {key!r}: add that key, or delete the "
            "Secret to have a new one made (which signs everyone out)")
    return f"kept Secret {namespace}/{name}: it already holds {key}"


def main() -> None:
    if os.environ.get("KUBECONFIG"):
        config.load_kube_config()
    else:
        config.load_incluster_config()
    env = os.environ
    try:
        namespace, name, key = env["KUBE_NAMESPACE"], env["SECRET_NAME"], env["SECRET_DATA_KEY"]
    except KeyError as missing:
        sys.exit(f"ensure_secret_key: {missing.args[0]} is not set")
    labels = json.loads(env.get("SECRET_LABELS") or "{}")
    print(ensure(client.CoreV1Api(), namespace, name, key, labels), flush=True)


if __name__ == "__main__":
    main()
