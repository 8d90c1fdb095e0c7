"""Python integrations: a Pipeline whose spec.integration names one gets its form, args and results.

A module listed in settings.RUN_INTEGRATIONS calls register(Integration(...)) when imported; the
runs app imports them all at start. See INTEGRATIONS.md for porting a PyShowwwcase integration.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

# parse_form(pipeline, data) -> (values, errors per field ("" for the whole form), shown values)
FormParser = Callable[[dict[str, Any], Mapping[str, str]], tuple[dict, dict, dict]]
# build_args(pipeline, values) -> the exact args file content
ArgsBuilder = Callable[[dict[str, Any], dict[str, Any]], str]
# results_view(request, project, run_or_None, pipeline) -> a response
ResultsView = Callable[[HttpRequest, Any, Any, dict[str, Any]], HttpResponse]


@dataclass(frozen=True)
class Integration:
    name: str
    form_template: str | None = None  # replaces the generic form's fields; gets `fields`, `shown`
    parse_form: FormParser | None = None  # None: the generic JSON Schema form
    build_args: ArgsBuilder | None = None  # None: argsFormat json
    results_view: ResultsView | None = None  # None: the generic results page


_REGISTRY: dict[str, Integration] = {}


def register(integration: Integration) -> Integration:
    _REGISTRY[integration.name] = integration
    return integration


def integration_for(pipeline: Mapping[str, Any]) -> Integration | None:
    name = (pipeline.get("spec") or {}).get("integration")
    return _REGISTRY.get(name) if name else None


def load(modules: list[str]) -> None:
    for module in modules:
        importlib.import_module(module)


def json_args(values: Mapping[str, Any]) -> str:
    """argsFormat json: what the pipeline reads from its args file."""
    return json.dumps(values, sort_keys=True)


def build_args(pipeline: dict[str, Any], values: dict[str, Any]) -> str:
    integration = integration_for(pipeline)
    if integration is not None and integration.build_args is not None:
        return integration.build_args(pipeline, values)
    return json_args(values)
