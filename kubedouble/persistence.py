"""`--state FILE`: the store saved as JSON (atomically, when dirty, about once a second)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from .store import Store


def load_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    with path.open() as stream:
        return json.load(stream)


def save_state(path: Path, store: Store) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(store.snapshot(), separators=(",", ":")))
    os.replace(temporary, path)
    store.dirty = False


async def autosave(path: Path, store: Store, interval: float = 1.0) -> None:
    while True:
        await asyncio.sleep(interval)
        if store.dirty:
            save_state(path, store)
