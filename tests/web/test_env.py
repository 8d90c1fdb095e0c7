"""The typed environment readers behind every setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kubeshowcase.env import (
    allowed_hosts,
    csrf_trusted_origins,
    env_bool,
    env_bytes,
    env_choice,
    env_int,
    env_list,
    env_secret,
    env_str,
    require_for_serving,
)


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "yes", "on", " On "])
def test_env_bool_reads_true(text: str) -> None:
    assert env_bool("FLAG", False, environ={"FLAG": text}) is True


@pytest.mark.parametrize("text", ["0", "false", "no", "off"])
def test_env_bool_reads_false(text: str) -> None:
    assert env_bool("FLAG", True, environ={"FLAG": text}) is False


def test_env_bool_uses_the_default_when_unset_or_empty() -> None:
    assert env_bool("FLAG", True, environ={}) is True
    assert env_bool("FLAG", True, environ={"FLAG": ""}) is True


def test_env_bool_refuses_anything_else() -> None:
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False, environ={"FLAG": "maybe"})


def test_env_int_reads_numbers_and_refuses_words_and_negatives() -> None:
    assert env_int("N", 5, environ={"N": "42"}) == 42
    assert env_int("N", 5, environ={}) == 5
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("N", 5, environ={"N": "many"})
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("N", 5, environ={"N": "-1"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1048576", 2**20),
        ("512M", 512 * 2**20),
        ("5Gi", 5 * 2**30),
        ("1TiB", 2**40),
        ("10k", 10240),
    ],
)
def test_env_bytes_reads_sizes(text: str, expected: int) -> None:
    assert env_bytes("SIZE", 0, environ={"SIZE": text}) == expected


def test_env_bytes_refuses_nonsense() -> None:
    with pytest.raises(ImproperlyConfigured, match="SIZE"):
        env_bytes("SIZE", 0, environ={"SIZE": "lots"})


def test_env_list_splits_on_spaces_and_commas() -> None:
    assert env_list("L", environ={"L": "a, b  c,,d"}) == ["a", "b", "c", "d"]
    assert env_list("L", ("x",), environ={}) == ["x"]


def test_env_str_strips_and_defaults() -> None:
    assert env_str("S", "d", environ={"S": " v "}) == "v"
    assert env_str("S", "d", environ={}) == "d"


def test_env_choice_refuses_values_outside_the_list() -> None:
    assert env_choice("C", "a", ("a", "b"), environ={"C": "B"}) == "b"
    with pytest.raises(ImproperlyConfigured, match="one of a, b"):
        env_choice("C", "a", ("a", "b"), environ={"C": "c"})


def test_env_secret_reads_the_variable_or_the_mounted_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    assert env_secret("KEY", environ={"KEY": "direct"}) == "direct"
    assert env_secret("KEY", environ={"KEY_FILE": str(secret_file)}) == "from-a-file"
    assert env_secret("KEY", environ={}) is None


def test_env_secret_refuses_both_a_missing_file_and_an_empty_one(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("KEY", environ={"KEY_FILE": str(tmp_path / "missing")})
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        env_secret("KEY", environ={"KEY_FILE": str(empty)})


def test_env_secret_refuses_two_sources() -> None:
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("KEY", environ={"KEY": "a", "KEY_FILE": "/x"})


def test_hosts_become_allowed_hosts_without_ports_and_origins_with_scheme() -> None:
    hosts = ["example.org", "lab.example.org:8443", "[::1]:8000"]
    assert allowed_hosts(hosts) == ["example.org", "lab.example.org", "[::1]"]
    assert csrf_trusted_origins(hosts, "https") == [
        "https://example.org",
        "https://lab.example.org:8443",
        "https://[::1]:8000",
    ]


def test_hosts_must_be_names_not_urls() -> None:
    with pytest.raises(ImproperlyConfigured, match="not URLs"):
        allowed_hosts(["https://example.org"])
    with pytest.raises(ImproperlyConfigured, match="bad port"):
        allowed_hosts(["example.org:http"])


def test_serving_is_refused_while_required_settings_are_missing() -> None:
    require_for_serving([])
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY, DATA_ROOT"):
        require_for_serving(["SECRET_KEY", "DATA_ROOT"])
