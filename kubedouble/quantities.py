"""resource.Quantity strings ("500m", "2Gi", "1e3") as numbers (k8s.io/apimachinery
pkg/api/resource)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_SUFFIX = {"": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
           "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
           "Pi": 2**50, "Ei": 2**60}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(?:[eE]([+-]?[0-9]+))?([a-zA-Z]*)$")


def quantity(value: Any) -> Decimal:
    """A resource.Quantity string ("500m", "2Gi", "1e3") as a number of units."""
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(3) not in _SUFFIX:
        raise ValueError(f"quantities must match the regular expression "
                         f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {value!r}")
    number = Decimal(match.group(1)) * Decimal(_SUFFIX[match.group(3)])
    return number * (Decimal(10) ** int(match.group(2))) if match.group(2) else number
