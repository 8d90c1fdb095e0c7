"""The vendored Kubernetes .proto files (kubedouble/proto/) read into message tables.

A parser of the proto2 subset that go-to-protobuf writes: `syntax`, `package`, `import`,
`option` (ignored), `message` (nested ones too), `optional`/`repeated` fields, `map<K, V>` and
field numbers. Type names resolve as protoc resolves them: from the innermost scope outwards.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent / "proto"
SCALARS = frozenset({"bool", "bytes", "string", "int32", "int64", "uint32", "uint64", "double",
                     "float"})
_TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|"[^"]*"|[A-Za-z_.][\w.]*|\d+|[{}<>=;,\[\]()]',
                    re.DOTALL)


class ProtoSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Field:
    name: str
    number: int
    type: str  # a scalar, or a message's full name (no leading dot)
    repeated: bool = False
    map_key: str | None = None  # a map<K, V> field: key scalar; `type` is V


@dataclass
class Message:
    name: str  # full name, e.g. k8s.io.api.core.v1.Pod
    fields: dict[int, Field] = field(default_factory=dict)
    # proto field name → how its Go field's JSON differs from a value field with `omitempty`
    # (proto/gotags.json, from the Go struct tags: inline, pointer, keep, omitzero, json=NAME)
    go_tags: dict[str, str] = field(default_factory=dict)


def tokens(text: str) -> list[str]:
    found, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise ProtoSyntaxError(f"unexpected character {text[at]!r} at offset {at}")
        piece = match.group()
        if not (piece.isspace() or piece.startswith(("//", "/*"))):
            found.append(piece)
        at = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.items, self.at = tokens(text), 0
        self.package = ""
        self.imports: list[str] = []
        # (message full name, field, the type as written, the scopes to resolve it in)
        self.pending: list[tuple[str, Field, str, list[str]]] = []
        self.messages: dict[str, Message] = {}

    def next(self, expected: str | None = None) -> str:
        if self.at >= len(self.items):
            raise ProtoSyntaxError("unexpected end of file")
        item = self.items[self.at]
        self.at += 1
        if expected is not None and item != expected:
            raise ProtoSyntaxError(f"expected {expected!r}, found {item!r}")
        return item

    def skip_statement(self) -> None:
        while self.next() != ";":
            pass

    def parse(self) -> None:
        while self.at < len(self.items):
            keyword = self.next()
            if keyword == "package":
                self.package = self.next()
                self.next(";")
            elif keyword == "import":
                self.imports.append(self.next().strip('"'))
                self.next(";")
            elif keyword in ("syntax", "option"):
                self.skip_statement()
            elif keyword == "message":
                self.message(self.package)
            else:
                raise ProtoSyntaxError(f"unsupported statement {keyword!r}")

    def message(self, scope: str) -> None:
        name = f"{scope}.{self.next()}" if scope else self.next()
        message = self.messages[name] = Message(name)
        self.next("{")
        while (item := self.next()) != "}":
            if item == "message":
                self.message(name)
            elif item == "option":
                self.skip_statement()
            elif item in ("optional", "repeated", "required"):
                self.field(message, self.next(), repeated=item == "repeated")
            elif item == "map":
                self.next("<")
                key = self.next()
                self.next(",")
                value = self.next()
                self.next(">")
                self.field(message, value, map_key=key)
            else:
                raise ProtoSyntaxError(f"unsupported item {item!r} in message {name}")

    def field(self, message: Message, written: str, repeated: bool = False,
              map_key: str | None = None) -> None:
        name = self.next()
        self.next("=")
        number = int(self.next())
        if self.items[self.at] == "[":  # field options, e.g. [default = ...]
            while self.next() != "]":
                pass
        self.next(";")
        found = Field(name, number, written, repeated, map_key)
        message.fields[number] = found
        if written not in SCALARS:
            scopes = message.name.split(".")
            self.pending.append((message.name, found, written,
                                 [".".join(scopes[:n]) for n in range(len(scopes), 0, -1)]))


@dataclass
class Schema:
    messages: dict[str, Message]

    def message(self, full_name: str) -> Message | None:
        return self.messages.get(full_name)


def parse_files(paths: list[Path]) -> Schema:
    """Messages of every file, with their fields' types resolved to full names."""
    parsers = []
    for path in paths:
        parser = _Parser(path.read_text())
        try:
            parser.parse()
        except ProtoSyntaxError as problem:
            raise ProtoSyntaxError(f"{path}: {problem}") from None
        parsers.append(parser)
    messages = {name: m for p in parsers for name, m in p.messages.items()}
    for parser in parsers:
        for owner, found, written, scopes in parser.pending:
            messages[owner].fields[found.number] = Field(
                found.name, found.number, _resolve(messages, written, scopes),
                found.repeated, found.map_key)
    return Schema(messages)


def _resolve(messages: dict[str, Message], written: str, scopes: list[str]) -> str:
    if written.startswith("."):
        candidates = [written[1:]]
    else:
        candidates = [f"{scope}.{written}" for scope in scopes] + [written]
    for candidate in candidates:
        if candidate in messages:
            return candidate
    raise ProtoSyntaxError(f"unknown type {written!r} (looked in {', '.join(candidates)})")


@cache
def vendored() -> Schema:
    """Every generated.proto under kubedouble/proto/, with the Go tags of their structs."""
    schema = parse_files(sorted(PROTO_ROOT.rglob("*.proto")))
    for name, tags in json.loads((PROTO_ROOT / "gotags.json").read_text()).items():
        if name in schema.messages:
            schema.messages[name].go_tags = tags
    return schema
