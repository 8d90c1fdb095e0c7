"""The run's parameters: the args file (the web form's values as JSON) checked into a Params."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nuclei_segmentation.errors import ArgsError
from nuclei_segmentation.project_paths import check_relative, glob_regex

THRESHOLD_METHODS = ("otsu", "li", "yen")
CHANNELS = ("auto", 0, 1, 2)
MAX_SMOOTHING_SIGMA = 50.0


@dataclass(frozen=True)
class Params:
    # A glob (matched below the project folder, see project_paths.glob_regex) or a list of paths.
    images: str | tuple[str, ...] = "**/*"
    channel: str | int = "auto"
    threshold: str | float = "otsu"
    min_area: int = 20
    smoothing_sigma: float = 1.0
    split_touching: bool = True
    output_dir: str = "results"


def load_args(text: str) -> dict[str, Any]:
    """Parse the args file's text; an empty file means every default."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ArgsError(f"the args file is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ArgsError(f"the args file must hold a JSON object, not {type(data).__name__}")
    return data


def _refuse_constant(name: str) -> float:
    raise ArgsError(f"the args file is not valid JSON: {name} is not a number")


def parse_params(data: Mapping[str, Any]) -> Params:
    """Check every key of the args object; a missing or null key takes its default."""
    defaults = Params()
    allowed = Params.__dataclass_fields__.keys()
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ArgsError(f"unknown argument(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    values = {key: value for key, value in data.items() if value is not None}
    return Params(
        images=_images(values.get("images", defaults.images)),
        channel=_channel(values.get("channel", defaults.channel)),
        threshold=_threshold(values.get("threshold", defaults.threshold)),
        min_area=_min_area(values.get("min_area", defaults.min_area)),
        smoothing_sigma=_smoothing_sigma(values.get("smoothing_sigma", defaults.smoothing_sigma)),
        split_touching=_split_touching(values.get("split_touching", defaults.split_touching)),
        output_dir=_output_dir(values.get("output_dir", defaults.output_dir)),
    )


def _images(value: object) -> str | tuple[str, ...]:
    if isinstance(value, str):
        glob_regex(value)
        return check_relative(value, "images")
    if isinstance(value, list):
        if not value:
            raise ArgsError("images is an empty list; name at least one image or give a glob")
        return tuple(check_relative(item, "image") for item in value)
    raise ArgsError(f"images must be a glob or a list of paths, got {value!r}")


def _channel(value: object) -> str | int:
    if value == "auto":
        return "auto"
    if isinstance(value, int) and not isinstance(value, bool) and value in CHANNELS:
        return value
    raise ArgsError(f"channel must be one of 'auto', 0, 1, 2, got {value!r}")


def _threshold(value: object) -> str | float:
    if isinstance(value, str) and value in THRESHOLD_METHODS:
        return value
    number = _number(value)
    if number is not None and 0.0 <= number <= 1.0:
        return number
    raise ArgsError(
        f"threshold must be one of {', '.join(THRESHOLD_METHODS)} or a number from 0 to 1, "
        f"got {value!r}"
    )


def _min_area(value: object) -> int:
    number = _number(value)
    if number is not None and number.is_integer() and number >= 0:
        return int(number)
    raise ArgsError(f"min_area must be a whole number of pixels >= 0, got {value!r}")


def _smoothing_sigma(value: object) -> float:
    number = _number(value)
    if number is not None and 0.0 <= number <= MAX_SMOOTHING_SIGMA:
        return number
    raise ArgsError(
        f"smoothing_sigma must be a number from 0 to {MAX_SMOOTHING_SIGMA:g} pixels, got {value!r}"
    )


def _split_touching(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ArgsError(f"split_touching must be true or false, got {value!r}")


def _output_dir(value: object) -> str:
    path = check_relative(value, "output_dir")
    if path.startswith("."):
        raise ArgsError(
            f"output_dir must be a visible folder below the project folder, got {value!r}"
        )
    return path


def _number(value: object) -> float | None:
    """A finite JSON number as a float; None for anything else (booleans included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
