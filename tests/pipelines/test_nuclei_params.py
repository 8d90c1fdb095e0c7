"""The args file becomes Params, or a clear ArgsError naming what is wrong."""

from __future__ import annotations

import pytest

from nuclei_segmentation.errors import ArgsError
from nuclei_segmentation.params import Params, load_args, parse_params


def test_it_gives_every_default_for_an_empty_object() -> None:
    assert parse_params({}) == Params(
        images="**/*",
        channel="auto",
        threshold="otsu",
        min_area=20,
        smoothing_sigma=1.0,
        split_touching=True,
        output_dir="results",
    )


def test_it_normalises_the_images_glob() -> None:
    assert parse_params({"images": "./raw/**/*.tif"}).images == "raw/**/*.tif"


def test_it_treats_null_as_the_default() -> None:
    assert parse_params({"threshold": None, "min_area": None}) == Params()


def test_it_reads_every_key() -> None:
    params = parse_params(
        {
            "images": ["raw/a.png", "./raw/b.tif"],
            "channel": 2,
            "threshold": 0.25,
            "min_area": 40.0,
            "smoothing_sigma": 0,
            "split_touching": False,
            "output_dir": "out/nuclei/",
        }
    )
    assert params == Params(
        images=("raw/a.png", "raw/b.tif"),
        channel=2,
        threshold=0.25,
        min_area=40,
        smoothing_sigma=0.0,
        split_touching=False,
        output_dir="out/nuclei",
    )


@pytest.mark.parametrize("method", ["otsu", "li", "yen"])
def test_it_accepts_each_threshold_method(method: str) -> None:
    assert parse_params({"threshold": method}).threshold == method


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"threshold": "triangle"},
            "threshold must be one of otsu, li, yen or a number from 0 to 1",
        ),
        ({"threshold": 1.5}, "threshold must be"),
        ({"threshold": -0.1}, "threshold must be"),
        ({"threshold": True}, "threshold must be"),
        ({"channel": 3}, "channel must be one of 'auto', 0, 1, 2"),
        ({"channel": "1"}, "channel must be"),
        ({"channel": False}, "channel must be"),
        ({"min_area": -1}, "min_area must be a whole number"),
        ({"min_area": 2.5}, "min_area must be a whole number"),
        ({"min_area": "20"}, "min_area must be a whole number"),
        ({"smoothing_sigma": -1}, "smoothing_sigma must be a number from 0 to 50"),
        ({"smoothing_sigma": 51}, "smoothing_sigma must be"),
        ({"split_touching": "yes"}, "split_touching must be true or false"),
        ({"images": 3}, "images must be a glob or a list of paths"),
        ({"images": []}, "images is an empty list"),
        ({"images": ""}, "images must be a non-empty relative path"),
        ({"images": "../other/*.png"}, "contains '..'"),
        ({"images": "/data/*.png"}, "is absolute"),
        ({"images": ["ok.png", "../../etc/passwd"]}, "contains '..'"),
        ({"images": ["/etc/passwd"]}, "is absolute"),
        ({"images": ["raw\\a.png"]}, "use '/' as the separator"),
        ({"images": "raw//*.png"}, "empty path segment"),
        ({"output_dir": "../results"}, "contains '..'"),
        ({"output_dir": "/tmp/results"}, "is absolute"),
        ({"output_dir": "."}, "output_dir must be a visible folder"),
        ({"output_dir": ".kubeshowcase"}, "output_dir must be a visible folder"),
        ({"colour": "blue"}, "unknown argument(s) colour; allowed: images, channel"),
    ],
)
def test_it_rejects_bad_values(args: dict[str, object], message: str) -> None:
    with pytest.raises(ArgsError) as error:
        parse_params(args)
    assert message in str(error.value)


def test_it_reads_an_empty_file_as_no_arguments() -> None:
    assert load_args("  \n") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{'images': '*.png'}", "the args file is not valid JSON"),
        ('{"threshold": NaN}', "NaN is not a number"),
        ('{"min_area": Infinity}', "Infinity is not a number"),
        ('["*.png"]', "must hold a JSON object, not list"),
    ],
)
def test_it_rejects_files_that_are_not_a_json_object(text: str, message: str) -> None:
    with pytest.raises(ArgsError) as error:
        load_args(text)
    assert message in str(error.value)
