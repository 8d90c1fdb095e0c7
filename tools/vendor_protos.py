"""Vendor the Kubernetes .proto files kubedouble reads protobuf bodies with, and what of the Go
types their JSON form needs (kubedouble/proto/gotags.json).

A protobuf message does not say how its Go struct turns into JSON: which fields are pointers
(a zero value is kept), which have `omitempty`/`omitzero` (a zero value is left out), which
structs are embedded inline (`json:""`, e.g. Volume's VolumeSource). The Go struct tags in the
same tag's types.go say it; this tool extracts them, keyed by proto message and field.

    python tools/vendor_protos.py --api <kubernetes/api git dir> \
        --apimachinery <kubernetes/apimachinery git dir> --tag v0.37.0-beta.0
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "kubedouble" / "proto"
API_GROUPS = ("core/v1", "apps/v1", "batch/v1", "networking/v1", "policy/v1", "rbac/v1",
              "storage/v1", "scheduling/v1", "coordination/v1", "events/v1",
              "authentication/v1", "authorization/v1", "discovery/v1", "autoscaling/v1")
MACHINERY = ("pkg/apis/meta/v1", "pkg/runtime", "pkg/runtime/schema", "pkg/util/intstr",
             "pkg/api/resource")
_STRUCT = re.compile(r"^type (\w+) struct \{")
_FIELD = re.compile(r'^\s+(?:(\w+)\s+)?(\*?)([\w.\[\]*]+)\s+`[^`]*protobuf:"([^"]*)"[^`]*`')
_JSON = re.compile(r'json:"([^"]*)"')


def git_show(git_dir: str, tag: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, "show", f"{tag}:{path}"],
                          check=True, capture_output=True, text=True).stdout


def go_files(git_dir: str, tag: str, folder: str) -> list[str]:
    names = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "--name-only",
                            f"{tag}:{folder}"], check=True, capture_output=True,
                           text=True).stdout.split()
    return [n for n in names if n.endswith(".go") and not n.endswith("_test.go")
            and not n.startswith(("zz_", "generated"))]


def field_tags(source: str) -> dict[str, dict[str, str]]:
    """struct → proto field name → how its JSON differs from `omitempty` on a value field:
    "inline", "pointer", "keep" (no omitempty: Go writes the zero), "omitzero", "json=NAME"."""
    found: dict[str, dict[str, str]] = {}
    struct = None
    for line in source.splitlines():
        if match := _STRUCT.match(line):
            struct = match.group(1)
            continue
        if line.startswith("}"):
            struct = None
        if struct is None or line.lstrip().startswith("//"):
            continue
        match = _FIELD.match(line)
        if match is None:
            continue
        name, pointer, go_type, proto = match.groups()
        proto_name = dict(p.split("=", 1) for p in proto.split(",") if "=" in p).get("name")
        json_tag = _JSON.search(line)
        parts = (json_tag.group(1) if json_tag else "").split(",")
        flags = []
        if json_tag is None and name is None or json_tag is not None and parts[0] == "":
            flags.append("inline")
        elif pointer or go_type.startswith("*"):
            flags.append("pointer")
        elif "omitzero" in parts:
            flags.append("omitzero")
        elif "omitempty" not in parts:
            flags.append("keep")
        if parts[0] and proto_name and parts[0] != proto_name:
            flags.append(f"json={parts[0]}")
        if flags and proto_name:
            found.setdefault(struct, {})[proto_name] = ",".join(flags)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True)
    parser.add_argument("--apimachinery", required=True)
    parser.add_argument("--tag", required=True)
    args = parser.parse_args()
    tags: dict[str, dict[str, str]] = {}
    sources = [(args.api, g, f"k8s.io/api/{g}", f"k8s.io.api.{g.replace('/', '.')}")
               for g in API_GROUPS]
    sources += [(args.apimachinery, p, f"k8s.io/apimachinery/{p}",
                 f"k8s.io.apimachinery.{p.replace('/', '.')}") for p in MACHINERY]
    for git_dir, folder, target, package in sources:
        proto = OUT / target / "generated.proto"
        proto.parent.mkdir(parents=True, exist_ok=True)
        proto.write_text(git_show(git_dir, args.tag, f"{folder}/generated.proto"))
        for name in go_files(git_dir, args.tag, folder):
            for struct, fields in field_tags(git_show(git_dir, args.tag,
                                                      f"{folder}/{name}")).items():
                tags.setdefault(f"{package}.{struct}", {}).update(fields)
    (OUT / "LICENSE").write_text(git_show(args.api, args.tag, "LICENSE"))
    (OUT / "gotags.json").write_text(json.dumps(dict(sorted(tags.items())), indent=0,
                                                sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
