"""Vendor the browser libraries the web pages load (no CDN) from the npm registry, checked.

Each package is fetched with `npm pack NAME@VERSION` (the registry's ordinary client), its
tarball's sha512 compared with the integrity pinned here (what `npm view NAME@VERSION
dist.integrity` answered when the pin was made), and the listed files copied with the licence
into web/static/vendor/NAME-VERSION/, next to a SOURCE note saying where they came from.

    python tools/vendor_js.py            # fetch, check, copy
    python tools/vendor_js.py --check    # only say whether the vendored copies are as pinned
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    files: tuple[str, ...]  # paths inside the tarball's package/ folder

    @property
    def folder(self) -> Path:
        return VENDOR / f"{self.name}-{self.version}"


PACKAGES = (
    Package(
        name="tus-js-client",
        version="4.3.1",
        integrity="sha512-ZLeYmjrkaU1fUsKbIi8JML52uAocjEZtBx4DKjRrqzrZa0O4MYwT6db+oqePlspV+FxXJAyFBc/L5gwUi2OFsg==",
        # The browser UMD build (window.tus), its source map (its last line names it, and
        # the manifest static storage wants every file a static file names) and the licence.
        files=("dist/tus.min.js", "dist/tus.min.js.map", "LICENSE"),
    ),
    Package(
        name="openseadragon",
        version="6.1.1",
        integrity="sha512-g4iKe2q8B642SaBT3+x4ZF3/8b1TxPPydyjmtrOLgDrlYWMKd9ZXM+1Cb/xa9DVySkvs/7l6HR1nHKfD5F3Tsw==",
        # The deep-zoom viewer (window.OpenSeadragon; deepzoom/viewer.html), its source map
        # (named by its last line), the images of the four navigation buttons the viewer shows
        # (zoom in/out, home, full page; its prefixUrl is this folder) and the licence.
        files=("build/openseadragon/openseadragon.min.js",
               "build/openseadragon/openseadragon.min.js.map",
               "build/openseadragon/images/zoomin_rest.png",
               "build/openseadragon/images/zoomin_grouphover.png",
               "build/openseadragon/images/zoomin_hover.png",
               "build/openseadragon/images/zoomin_pressed.png",
               "build/openseadragon/images/zoomout_rest.png",
               "build/openseadragon/images/zoomout_grouphover.png",
               "build/openseadragon/images/zoomout_hover.png",
               "build/openseadragon/images/zoomout_pressed.png",
               "build/openseadragon/images/home_rest.png",
               "build/openseadragon/images/home_grouphover.png",
               "build/openseadragon/images/home_hover.png",
               "build/openseadragon/images/home_pressed.png",
               "build/openseadragon/images/fullpage_rest.png",
               "build/openseadragon/images/fullpage_grouphover.png",
               "build/openseadragon/images/fullpage_hover.png",
               "build/openseadragon/images/fullpage_pressed.png",
               "LICENSE.txt"),
    ),
)


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def source_note(package: Package) -> str:
    copied = "\n".join(f"  package/{name} -> {Path(name).name}" for name in package.files)
    return (
        f"{package.name} {package.version} from the npm registry\n"
        f"  npm pack {package.name}@{package.version}\n"
        f"  tarball integrity {package.integrity}\n"
        f"Copied unchanged by tools/vendor_js.py:\n{copied}\n"
    )


def pinned_files(package: Package) -> dict[str, bytes]:
    """The listed files of the package's tarball, fetched with npm and checked against the pin."""
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["npm", "pack", f"{package.name}@{package.version}", "--silent"],
                       cwd=scratch, check=True, capture_output=True)
        tarball = Path(scratch) / f"{package.name}-{package.version}.tgz"
        found = integrity_of(tarball.read_bytes())
        if found != package.integrity:
            sys.exit(f"{package.name}@{package.version}: tarball integrity {found}, "
                     f"pinned {package.integrity}: refusing it")
        with tarfile.open(tarball) as archive:
            return {Path(name).name: archive.extractfile(f"package/{name}").read()  # type: ignore[union-attr]
                    for name in package.files}


def vendor(package: Package) -> None:
    contents = pinned_files(package)
    package.folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        (package.folder / name).write_bytes(data)
    (package.folder / "SOURCE").write_text(source_note(package))
    print(f"vendored {package.name} {package.version} into {package.folder}")


def is_as_pinned(package: Package) -> bool:
    """True when the vendored copy has the same bytes as the pinned tarball's files."""
    note = package.folder / "SOURCE"
    return (
        all((package.folder / name).is_file() and (package.folder / name).read_bytes() == data
            for name, data in pinned_files(package).items())
        and note.is_file() and note.read_text() == source_note(package)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the vendored files with the pinned tarballs, change nothing")
    arguments = parser.parse_args()
    if arguments.check:
        stale = [p.name for p in PACKAGES if not is_as_pinned(p)]
        if stale:
            sys.exit(f"not as pinned: {', '.join(stale)} (run python tools/vendor_js.py)")
        print("every vendored package is as pinned")
        return
    for package in PACKAGES:
        vendor(package)


if __name__ == "__main__":
    main()
