"""field.Error constructors worded as k8s.io/apimachinery/pkg/util/validation/field/errors.go
words them (`Invalid value: "x": detail`, `Required value`, `Forbidden: detail`, ...), and the
name, label and key checks of k8s.io/apimachinery/pkg/util/validation and .../validate/content.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import cause

DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*"
DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?"
LABEL_KEY = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE = "(" + LABEL_KEY + ")?"
CONFIG_MAP_KEY = "[-._a-zA-Z0-9]+"


def show(value: Any) -> str:
    """How ErrorBody prints a bad value: %q for strings, %v for numbers, JSON for the rest."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def invalid(field: str, value: Any, detail: str) -> dict[str, str]:
    return cause(field, f"Invalid value: {show(value)}: {detail}")


def required(field: str, detail: str = "") -> dict[str, str]:
    return cause(field, "Required value" + (f": {detail}" if detail else ""), "FieldValueRequired")


def forbidden(field: str, detail: str) -> dict[str, str]:
    return cause(field, f"Forbidden: {detail}", "FieldValueForbidden")


def not_supported(field: str, value: Any, supported: list[str]) -> dict[str, str]:
    listed = ", ".join(json.dumps(s) for s in supported)
    return cause(field, f"Unsupported value: {show(value)}: supported values: {listed}",
                 "FieldValueNotSupported")


def duplicate(field: str, value: Any) -> dict[str, str]:
    return cause(field, f"Duplicate value: {show(value)}", "FieldValueDuplicate")


def not_found(field: str, value: Any) -> dict[str, str]:
    return cause(field, f"Not found: {show(value)}", "FieldValueNotFound")


def too_long(field: str, limit: int) -> dict[str, str]:
    return cause(field, f"Too long: may not be more than {limit} bytes", "FieldValueTooLong")


def nonnegative(field: str, value: Any) -> list[dict[str, str]]:
    """ValidateNonnegativeField."""
    if isinstance(value, int) and value < 0:
        return [invalid(field, value, "must be greater than or equal to 0")]
    return []


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """validation.RegexError."""
    if not examples:
        return f"{message} (regex used for validation is '{pattern}')"
    shown = " or ".join(f"'{e}', " for e in examples)  # Go's loop: two spaces before "or"
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


def _full(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def dns1123_label(value: str) -> list[str]:
    """validation.IsDNS1123Label."""
    messages = []
    if len(value) > 63:
        messages.append("must be no more than 63 characters")
    if not _full(DNS1123_LABEL, value):
        if _full(DNS1123_SUBDOMAIN, value):
            messages.append("must not contain dots")
        else:
            messages.append(regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                "or '-', and must start and end with an alphanumeric character", DNS1123_LABEL,
                "my-name", "123-abc"))
    return messages


def dns1123_subdomain(value: str, *, bytes_unit: bool = False) -> list[str]:
    """validation.IsDNS1123Subdomain (content.IsDNS1123Subdomain says bytes)."""
    messages = []
    if len(value) > 253:
        messages.append(f"must be no more than 253 {'bytes' if bytes_unit else 'characters'}")
    if not _full(DNS1123_SUBDOMAIN, value):
        messages.append(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character",
            DNS1123_SUBDOMAIN, "example.com"))
    return messages


def name_messages(name: str, *, label: bool, prefix: bool = False) -> list[str]:
    """NameIsDNSSubdomain / NameIsDNSLabel; a generateName prefix may end in '-'."""
    if prefix and len(name) > 1 and name.endswith("-"):
        name = name[:-2] + "a"
    return dns1123_label(name) if label else dns1123_subdomain(name)


def label_key(key: str) -> list[str]:
    """content.IsLabelKey (also IsQualifiedName)."""
    messages: list[str] = []
    parts = key.split("/")
    name_error = regex_error("must consist of alphanumeric characters, '-', '_' or '.', and must "
                             "start and end with an alphanumeric character", LABEL_KEY,
                             "MyName", "my.name", "123-abc")
    if len(parts) > 2:
        return [f"a valid label key {name_error} with an optional DNS subdomain prefix and '/' "
                "(e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            messages.append("prefix part must be non-empty")
        else:
            messages += ["prefix part " + m for m in dns1123_subdomain(parts[0],
                                                                        bytes_unit=True)]
    if not name:
        messages.append("name part must be non-empty")
    elif len(name) > 63:
        messages.append("name part must be no more than 63 bytes")
    if not _full(LABEL_KEY, name):
        messages.append("name part " + name_error)
    return messages


def label_value(value: str) -> list[str]:
    """content.IsLabelValue."""
    messages = []
    if len(value) > 63:
        messages.append("must be no more than 63 bytes")
    if not _full(LABEL_VALUE, value):
        messages.append(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', "
            "'_' or '.', and must start and end with an alphanumeric character", LABEL_VALUE,
            "MyValue", "my_value", "12345"))
    return messages


def config_map_key(key: str) -> list[str]:
    """validation.IsConfigMapKey."""
    messages = []
    if len(key) > 253:
        messages.append("must be no more than 253 characters")
    if not _full(CONFIG_MAP_KEY, key):
        messages.append(regex_error("a valid config key must consist of alphanumeric characters, "
                                    "'-', '_' or '.'", CONFIG_MAP_KEY, "key.name", "KEY_NAME",
                                    "key-name"))
    if key == ".":
        messages.append("must not be '.'")
    elif key == "..":
        messages.append("must not be '..'")
    elif key.startswith(".."):
        messages.append("must not start with '..'")
    return messages


def dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label."""
    messages = []
    if len(value) > 63:
        messages.append("must be no more than 63 characters")
    if not re.fullmatch(DNS1035_LABEL, value):
        messages.append(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
            "with an alphabetic character, and end with an alphanumeric character",
            DNS1035_LABEL, "my-name", "abc-123"))
    return messages


def port_name(value: str) -> list[str]:
    """IsValidPortName (an IANA_SVC_NAME)."""
    messages = []
    if len(value) > 15:
        messages.append("must be no more than 15 characters")
    if not re.fullmatch("[-a-z0-9]+", value):
        messages.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", value):
        messages.append("must contain at least one letter (a-z)")
    if "--" in value:
        messages.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        messages.append("must not begin or end with a hyphen")
    return messages


def port_number(value: int) -> list[str]:
    """IsValidPortNum."""
    return [] if 1 <= value <= 65535 else ["must be between 1 and 65535, inclusive"]
