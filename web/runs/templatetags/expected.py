"""`{{ run|expected_start }}`: a queued run's start estimate as a sentence (runs.estimates)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from runs.estimates import describe
from runs.model import Run

register = template.Library()


@register.filter
def expected_start(run: Run) -> str:
    """The sentence for a queued run with an estimate; "" otherwise."""
    if run.phase != "Queued":
        return ""
    words = describe(run.estimate, timezone.now())
    return words.sentence if words is not None else ""
