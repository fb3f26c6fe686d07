"""The benchmark's capacity units follow AWS's pricing rules, checked on AWS's own examples.

The examples are those of the DynamoDB developer guide ("DynamoDB read and write operations"
and "Item sizes and formats").
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

KB = 1024


def _load_capacity() -> ModuleType:
    # The benchmarks are not an installed package: load the module from its file.
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "capacity.py"
    spec = importlib.util.spec_from_file_location("benchmarks_capacity", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


capacity = _load_capacity()


def test_reading_a_3500_byte_item_costs_what_a_4_kb_item_costs() -> None:
    """Reads round up to the next 4 KB: 3,500 bytes is one RCU."""
    assert capacity.read_units(3500) == capacity.read_units(4 * KB) == 1.0


def test_an_8_kb_item_is_2_strong_1_eventual_or_4_transactional_read_units() -> None:
    """An 8 KB item: 2 RCU strongly consistent, 1 eventually consistent, 4 transactional."""
    assert capacity.read_units(8 * KB) == 2.0
    assert capacity.read_units(8 * KB, consistent=False) == 1.0
    assert capacity.read_units(8 * KB, transactional=True) == 4.0


def test_get_item_of_10_kb_rounds_to_12_kb() -> None:
    """GetItem of a 10 KB item is read as 12 KB: 3 RCU, or 1.5 eventually consistent."""
    assert capacity.read_units(10 * KB) == 3.0
    assert capacity.read_units(10 * KB, consistent=False) == 1.5


def test_query_sums_item_sizes_before_rounding_unlike_batch_get_item() -> None:
    """A Query of 10 items totalling 40.8 KB reads 44 KB (11 RCU); BatchGetItem rounds each.

    BatchGetItem of a 1.5 KB and a 6.5 KB item is 12 KB (4 KB + 8 KB), not 8 KB.
    """
    assert capacity.read_units([int(40.8 * KB / 10)] * 10) == 11.0
    assert capacity.read_units([64] * 1500) == 24.0  # 1,500 items of 64 bytes: 96 KB
    batch_get = capacity.read_units(int(1.5 * KB)) + capacity.read_units(int(6.5 * KB))
    assert batch_get == 3.0
    assert capacity.read_units([int(1.5 * KB), int(6.5 * KB)]) == 2.0


def test_a_query_that_returns_nothing_costs_the_minimum_read() -> None:
    """No items returned: the minimum for the kind of read, 1 RCU or 0.5 eventually consistent."""
    assert capacity.read_units([]) == 1.0
    assert capacity.read_units([], consistent=False) == 0.5


@pytest.mark.parametrize(
    ("size", "units"), [(500, 1), (KB, 1), (KB + 1, 2), (int(3.5 * KB), 4), (0, 1)]
)
def test_writes_are_one_unit_per_kb_rounded_up(size: int, units: int) -> None:
    """500 bytes is 1 WCU like 1 KB; 3.5 KB is 4 WCU; deleting a missing item still costs 1."""
    assert capacity.write_units(size) == units


def test_transactional_writes_cost_twice() -> None:
    """Inside TransactWriteItems each item costs 2 WCU per KB."""
    assert capacity.write_units(500, transactional=True) == 2
    assert capacity.write_units(int(3.5 * KB), transactional=True) == 8


def test_batch_write_rounds_each_item_on_its_own() -> None:
    """BatchWriteItem of a 500-byte and a 3.5 KB item is 5 WCU (1 KB + 4 KB), not 4."""
    assert capacity.write_units(500) + capacity.write_units(int(3.5 * KB)) == 5


def test_item_size_counts_attribute_names_and_values() -> None:
    """Strings by UTF-8 bytes, numbers by significant digits, names included."""
    item = {
        "pk": {"S": "session-1"},  # 2 + 9
        "note": {"S": "caf\u00e9"},  # 4 + 5 (é is two bytes)
        "count": {"N": "1000"},  # 5 + 1 significant digit: 1 + 1
        "ttl": {"N": "1764000000"},  # 3 + 4 significant digits: 2 + 1
        "big": {"N": "-0.0012300"},  # 3 + 3 significant digits: 2 + 1
        "flag": {"BOOL": True},  # 4 + 1
        "gone": {"NULL": True},  # 4 + 1
        "blob": {"B": "AAEC"},  # 4 + 3 raw bytes (base64 in the wire JSON)
    }
    assert capacity.item_size(item) == 11 + 9 + 7 + 6 + 6 + 5 + 5 + 7


def test_lists_and_maps_cost_three_bytes_plus_one_per_element() -> None:
    """A list or map is 3 bytes, plus 1 byte and the size of each element (map keys included)."""
    assert capacity.item_size({"l": {"L": []}}) == 1 + 3
    assert capacity.item_size({"l": {"L": [{"S": "ab"}, {"S": "c"}]}}) == 1 + 3 + 3 + 2
    assert capacity.item_size({"m": {"M": {"k": {"S": "vv"}}}}) == 1 + 3 + 1 + 1 + 2
    assert capacity.item_size({"s": {"SS": ["a", "bc"]}}) == 1 + 3


def test_no_item_has_size_zero() -> None:
    """A missing item (GetItem found nothing) is 0 bytes; reading it still costs the minimum."""
    assert capacity.item_size(None) == 0
    assert capacity.read_units(capacity.item_size(None)) == 1.0


def test_unknown_attribute_type_is_refused() -> None:
    """A value of no DynamoDB type is an error, never a silent zero."""
    with pytest.raises(ValueError, match="'X'"):
        capacity.item_size({"a": {"X": "1"}})
