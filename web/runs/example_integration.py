"""A tiny integration (pipeline spec.integration: word-count): its own form, args and results.

It shows the three hooks a ported PyShowwwcase integration fills in; see INTEGRATIONS.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from runs.integrations import Integration, register

COUNT_FILE = "results/word-count.txt"
MAX_COUNT_BYTES = 64  # a count is a few digits


def parse_form(pipeline: dict[str, Any], data: Mapping[str, str]
               ) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, Any]]:
    word = (data.get("word") or "").strip()
    errors = {}
    if not word.isalpha():
        errors["word"] = ["Enter one word, letters only."]
    return ({"word": word.lower()} if not errors else {}), errors, {"word": word}


def build_args(pipeline: dict[str, Any], values: dict[str, Any]) -> str:
    return f"{values['word']}\n"  # the pipeline reads one word per line, not JSON


def results_view(request: HttpRequest, project: Any, run: Any, pipeline: dict[str, Any]
                 ) -> HttpResponse:
    try:  # by handle, bounded: the pipeline may have left a link or a huge file there
        with project.file(COUNT_FILE) as handle:
            count = handle.read(MAX_COUNT_BYTES).decode("utf-8", errors="replace").strip()
    except Http404:
        count = None
    return render(request, "runs/word_count_results.html",
                  {"project": project, "run": run, "count": count})


register(Integration(
    name="word-count",
    form_template="runs/word_count_form.html",
    parse_form=parse_form,
    build_args=build_args,
    results_view=results_view,
))
