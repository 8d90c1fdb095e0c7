"""CLI: `python -m kubedouble --port 8001 --crds crds --volume CLAIM=/dir ...` (or KUBEDOUBLE_*)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

import yaml

from .images import ImageStore, load_images
from .quantities import quantity
from .runtime import DoubleConfig, KubeDouble, kubeconfig
from .scheduler import NodeCapacity


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"kubedouble: {flag} expects NAME=VALUE, got {item!r}")
        pairs[key] = value
    return pairs


def _env_list(name: str) -> list[str]:
    """A KUBEDOUBLE_* list setting: entries separated by newlines or commas."""
    raw = os.environ.get(name, "")
    return [p.strip() for p in raw.replace("\n", ",").split(",") if p.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m kubedouble", description=(
        "A kube-apiserver double with a local Job runner. Every flag has a KUBEDOUBLE_* "
        "environment variable (lists: comma-separated); flags win."))
    parser.add_argument("--host", default=env("KUBEDOUBLE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("KUBEDOUBLE_PORT", "8001")),
                        help="0 picks a free port (the 'listening on' line tells which)")
    parser.add_argument("--crds", default=env("KUBEDOUBLE_CRDS", "crds"),
                        help="folder of CustomResourceDefinition YAML files")
    parser.add_argument("--volume", action="append", default=_env_list("KUBEDOUBLE_VOLUMES"),
                        metavar="CLAIM=/local/dir",
                        help="a pre-provisioned PVC of the namespace, bound to this folder")
    parser.add_argument("--job-env", action="append", default=_env_list("KUBEDOUBLE_JOB_ENV"),
                        metavar="NAME=VALUE", help="extra environment for job processes")
    parser.add_argument("--kubeconfig-out", default=env("KUBEDOUBLE_KUBECONFIG_OUT"))
    parser.add_argument("--apply", action="append", default=_env_list("KUBEDOUBLE_APPLY"),
                        metavar="FILE.yaml", help="objects to create (or merge) at start")
    parser.add_argument("--state", default=env("KUBEDOUBLE_STATE"),
                        help="JSON file to load at start and save to while running")
    parser.add_argument("--namespace", default=env("KUBEDOUBLE_NAMESPACE", "kubeshowcase"))
    parser.add_argument("--watch-history-seconds", type=float,
                        default=float(env("KUBEDOUBLE_WATCH_HISTORY_SECONDS", "300")),
                        help="watch history kept, as etcd compaction bounds it (410 Gone after)")
    parser.add_argument("--images", default=env("KUBEDOUBLE_IMAGES"), metavar="FILE.yaml",
                        help="the images pods may run: {reference: {dockerfile or entrypoint/cmd,"
                             " programs, files}}; any other image fails to pull")
    parser.add_argument("--node-cpu", default=env("KUBEDOUBLE_NODE_CPU", "2"),
                        help="the node's allocatable CPU (pods requesting more are Unschedulable)")
    parser.add_argument("--node-memory", default=env("KUBEDOUBLE_NODE_MEMORY", "8Gi"))
    parser.add_argument("--container-log-max-size",
                        default=env("KUBEDOUBLE_CONTAINER_LOG_MAX_SIZE", "10Mi"),
                        help="each container's log keeps only its newest part of this size")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    volumes = {claim: Path(folder).resolve()
               for claim, folder in _pairs(args.volume, "--volume").items()}
    for claim, folder in volumes.items():
        if not folder.is_dir():
            raise SystemExit(f"kubedouble: --volume {claim}: {folder} is not a folder")
    crd_dir = Path(args.crds) if args.crds else None
    if crd_dir is not None and not crd_dir.is_dir():
        raise SystemExit(f"kubedouble: --crds {crd_dir} is not a folder")
    images_file = Path(args.images) if args.images else None
    if images_file is not None and not images_file.is_file():
        raise SystemExit(f"kubedouble: --images {images_file} is not a file")
    try:
        node = NodeCapacity(cpu=args.node_cpu, memory=args.node_memory)
        node.allocatable()
        log_max = int(quantity(args.container_log_max_size))
    except ValueError as problem:
        raise SystemExit(f"kubedouble: {problem}") from None
    images = (load_images(yaml.safe_load(images_file.read_text()), images_file.parent)
              if images_file is not None else ImageStore())
    scratch = Path(tempfile.mkdtemp(prefix="kubedouble-"))
    double = KubeDouble(DoubleConfig(
        host=args.host, port=args.port, crd_dir=crd_dir, volumes=volumes,
        job_env=_pairs(args.job_env, "--job-env"), apply_files=[Path(p) for p in args.apply],
        state_file=Path(args.state) if args.state else None, scratch=scratch,
        namespace=args.namespace, watch_history_seconds=args.watch_history_seconds,
        node=node, container_log_max_bytes=log_max, images=images))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    url = await double.start()
    try:
        if args.kubeconfig_out:
            Path(args.kubeconfig_out).write_text(kubeconfig(url, args.namespace, double.ca_file))
        print(f"kubedouble listening on {url}", flush=True)
        await stop.wait()
    finally:
        await double.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
