"""Which regular files of a project a glob names, found by walking the project folder by handle.

Globs are matched one path segment at a time with fnmatch rules: `*`, `?` and `[...]` stay
within one name, and a segment `**` stands for any number of folders (a trailing `**` for every
file below). As in the shell, a wildcard does not match a name starting with "." unless the
pattern's segment starts with "." too, so `**/*.png` never reaches `.kubeshowcase/`.

Folders are entered with O_NOFOLLOW (projects.safefs), so a link is never followed; only regular
files match (links, FIFOs and devices never do). Each search looks at a bounded number of
entries: a pipeline that writes a million files makes the search stop early, not the page slow.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from projects.paths import MAX_DEPTH, UnsafePath, check_name
from projects.safefs import Dir, Entry, NotFound, scan

MAX_SCANNED_ENTRIES = 100_000  # entries one search may look at, over all its folders
_WILDCARDS = frozenset("*?[")


@dataclass(frozen=True)
class Match:
    segments: tuple[str, ...]  # the file's path below the project, one name each
    entry: Entry  # as listed, never following a link

    @property
    def relative(self) -> str:
        return "/".join(self.segments)


def check_glob(pattern: str) -> tuple[str, ...]:
    """A results glob's segments; UnsafePath for absolute, `..` or otherwise odd patterns."""
    if not pattern or pattern.startswith("/") or "\\" in pattern or "\x00" in pattern:
        raise UnsafePath("A results glob must be a relative path.")
    segments = pattern.rstrip("/").split("/")
    if len(segments) > MAX_DEPTH or any(part in ("", ".", "..") for part in segments):
        raise UnsafePath("A results glob cannot contain empty, “.” or “..” parts.")
    if segments[-1] == "**":
        segments.append("*")  # `out/**`: every file below out/
    collapsed: list[str] = []
    for part in segments:  # `**/**` means what `**` means, without visiting folders twice
        if not (part == "**" and collapsed[-1:] == ["**"]):
            collapsed.append(part)
    return tuple(collapsed)


def name_matches(name: str, pattern: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False
    try:
        check_name(name)  # a name no URL of ours could address is never shown
    except UnsafePath:
        return False
    return fnmatch.fnmatchcase(name, pattern)


def path_matches(segments: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Whether a recorded path (one name each) is one the walk below would find for a checked
    glob (check_glob): the same names match, and `**` passes only folders the walk enters."""
    if not pattern:
        return not segments
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        if path_matches(segments, rest):
            return True
        return len(segments) > 1 and name_matches(segments[0], "*") \
            and path_matches(segments[1:], pattern)
    return bool(segments) and name_matches(segments[0], head) \
        and path_matches(segments[1:], rest)


class _Search:
    def __init__(self, limit: int, budget: int) -> None:
        self.limit, self.budget = limit, budget
        self.found: dict[tuple[str, ...], Entry] = {}
        self.visited: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        self.cut = False

    def listing(self, folder: Dir) -> list[Entry]:
        entries, more = scan(folder, self.budget)
        self.budget -= len(entries)
        if more or self.budget <= 0:
            self.cut = True
        return sorted(entries, key=lambda entry: entry.name)

    def candidates(self, folder: Dir, pattern: str) -> list[Entry]:
        if _WILDCARDS.isdisjoint(pattern):  # a plain name: one lstat, no listing
            entry = folder.entry(pattern) if name_matches(pattern, pattern) else None
            return [entry] if entry is not None else []
        return [entry for entry in self.listing(folder) if name_matches(entry.name, pattern)]

    def visit(self, folder: Dir, below: tuple[str, ...], rest: tuple[str, ...]) -> None:
        if self.cut or (below, rest) in self.visited:
            return
        self.visited.add((below, rest))
        head, tail = rest[0], rest[1:]
        if head == "**":
            self.visit(folder, below, tail)  # no folder at all
            self.descend(folder, below, "*", rest)
            return
        if not tail:
            for entry in self.candidates(folder, head):
                if entry.is_file and not self.cut:
                    self.add(below + (entry.name,), entry)
            return
        self.descend(folder, below, head, tail)

    def descend(self, folder: Dir, below: tuple[str, ...], pattern: str,
                rest: tuple[str, ...]) -> None:
        if len(below) + 1 >= MAX_DEPTH:
            return
        for entry in self.candidates(folder, pattern):
            if self.cut:
                return
            if not entry.is_dir:
                continue
            try:
                child = folder.open_dir([entry.name])  # O_NOFOLLOW: swapped for a link → skipped
            except NotFound:
                continue
            with child:
                self.visit(child, below + (entry.name,), rest)

    def add(self, segments: tuple[str, ...], entry: Entry) -> None:
        if segments in self.found:
            return
        if len(self.found) >= self.limit:
            self.cut = True
            return
        self.found[segments] = entry


def find_files(project: Dir, patterns: Iterable[str], *, limit: int,
               budget: int = MAX_SCANNED_ENTRIES) -> tuple[list[Match], bool]:
    """Regular files matching any of patterns (unusable patterns are skipped), at most `limit`,
    each pattern's matches sorted by path; and whether the search was cut short."""
    search = _Search(limit, budget)
    ordered: list[Match] = []
    for pattern in patterns:
        try:
            segments = check_glob(pattern)
        except UnsafePath:
            continue
        before = set(search.found)
        search.visit(project, (), segments)
        ordered += sorted((Match(found, search.found[found]) for found in search.found
                           if found not in before), key=lambda match: match.relative)
        if search.cut:
            break
    return ordered, search.cut
