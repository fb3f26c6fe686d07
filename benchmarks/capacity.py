"""DynamoDB capacity units computed from item sizes, by the rules AWS bills with.

DynamoDB Local does not bill (its ``ConsumedCapacity`` for transactions does not follow the
rules), so the benchmark computes what AWS would charge from the items themselves:

- An item's size is the sum of its attribute names' UTF-8 bytes and of its values' sizes: a
  string its UTF-8 bytes, a binary its raw bytes, a number about one byte per two significant
  digits plus one, a boolean or null one byte, a list or map three bytes plus one byte per
  element plus the elements (a map's keys count as names), a set the sum of its members.
- A write is one WCU per KB of the item, rounded up, at least one; the item written is the
  larger of the item before and after (a delete: the item deleted). Inside a transaction,
  twice that.
- A read is one RCU per 4 KB, rounded up, at least one: for ``GetItem`` of the item, for a
  ``Query`` of the summed sizes of every item it returns. Eventually consistent reads cost
  half; transactional reads twice.

Everything here is pure: the values are DynamoDB's typed JSON (``{"S": "..."}``).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["attribute_value_size", "item_size", "read_units", "write_units"]

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4 * 1024
_CONTAINER_OVERHEAD = 3
_ELEMENT_OVERHEAD = 1


def _number_size(text: str) -> int:
    """About one byte per two significant digits, plus one (leading/trailing zeros trimmed)."""
    mantissa = text.strip().lstrip("+-").lower().split("e", 1)[0]
    digits = mantissa.replace(".", "").strip("0")
    return math.ceil(len(digits) / 2) + 1


def _binary_size(value: bytes | bytearray | str) -> int:
    """Raw bytes; in DynamoDB's wire JSON a binary is base64 text."""
    if isinstance(value, str):
        return len(base64.b64decode(value))
    return len(value)


def attribute_value_size(value: Mapping[str, Any]) -> int:
    """Return the size in bytes of one typed attribute value, without its name."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(member).encode()) for member in data)
    if kind == "NS":
        return sum(_number_size(str(member)) for member in data)
    if kind == "BS":
        return sum(_binary_size(member) for member in data)
    if kind == "L":
        return _CONTAINER_OVERHEAD + sum(
            _ELEMENT_OVERHEAD + attribute_value_size(element) for element in data
        )
    if kind == "M":
        return _CONTAINER_OVERHEAD + sum(
            _ELEMENT_OVERHEAD + len(name.encode()) + attribute_value_size(element)
            for name, element in data.items()
        )
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}; expected S, N, B, BOOL, ...")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Return the size in bytes of an item: attribute names plus values; 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


def write_units(size_bytes: int, *, transactional: bool = False) -> int:
    """Return the WCUs of writing one item of ``size_bytes`` (the larger of before and after)."""
    units = max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units


def read_units(
    sizes_bytes: Iterable[int] | int, *, consistent: bool = True, transactional: bool = False
) -> float:
    """Return the RCUs of one read returning items of these sizes (a Query sums them first).

    One int is the size of a single item (``GetItem``); an empty read still costs the minimum.
    """
    total = sizes_bytes if isinstance(sizes_bytes, int) else sum(sizes_bytes)
    units = max(1, math.ceil(total / READ_UNIT_BYTES))
    if transactional:
        return float(2 * units)
    return float(units) if consistent else units / 2
