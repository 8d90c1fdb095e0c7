"""Reads the command block of the chart README's Upgrading section, for tests that follow it."""

from __future__ import annotations

import shlex

from tests.chart.sync import README_FILE

UPGRADE_START = "<!-- upgrade-commands:start"
UPGRADE_END = "<!-- upgrade-commands:end -->"


def upgrade_commands(readme: str | None = None) -> list[list[str]]:
    """The Upgrading section's commands, each as argv (`\\`-continued lines joined)."""
    text = README_FILE.read_text() if readme is None else readme
    block = text[text.index(UPGRADE_START):text.index(UPGRADE_END)]
    body = block.split("```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line) for line in body.replace("\\\n", " ").splitlines() if line.strip()]
