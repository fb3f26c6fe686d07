from __future__ import annotations

import dataclasses
import datetime
import json
import math

import pytest
from openai.types.responses import ResponseOutputMessage, ResponseOutputText

from openai_agents_session._items import decode_item, encode_item, encode_items
from openai_agents_session.errors import ItemDecodeError, ItemEncodeError


def test_encode_item_writes_compact_json() -> None:
    """Items are stored as compact JSON, the format the spec shows."""
    assert encode_item({"role": "user", "content": "Hello"}) == (
        b'{"role":"user","content":"Hello"}'
    )


def test_decode_item_reads_what_0_1_0_wrote() -> None:
    """0.1.0 wrote json.dumps output with spaces; it decodes to the same dict."""
    written_by_0_1_0 = json.dumps({"role": "user", "content": "Hello"})
    assert decode_item(written_by_0_1_0) == {"role": "user", "content": "Hello"}
    assert decode_item(written_by_0_1_0.encode()) == {"role": "user", "content": "Hello"}


def test_what_we_write_is_what_0_1_0_reads() -> None:
    """0.1.0 decoded with json.loads; our payloads load to the same dict there."""
    item = {"role": "user", "content": "héllo ✓ 🎉", "n": [1, 2.5, None, True]}
    assert json.loads(encode_item(item).decode("utf-8")) == item


def test_pydantic_model_is_stored_as_its_json_dump() -> None:
    """A Responses API model is stored as its JSON dump and comes back as a dict."""
    message = ResponseOutputMessage(
        id="msg_1",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text="Hi", annotations=[])],
    )
    decoded = decode_item(encode_item(message))
    assert decoded == message.model_dump(mode="json", exclude_unset=True)
    assert decoded["content"][0]["text"] == "Hi"  # type: ignore[typeddict-item,index]


def test_big_integers_round_trip_exactly() -> None:
    """Integers beyond 64 bits survive both ways (orjson alone would turn them into floats)."""
    item = {"big": 2**70, "neg": -(2**64) - 1, "edge": 2**63, "text": "x" * 3}
    assert decode_item(encode_item(item)) == item


def test_lone_surrogates_round_trip() -> None:
    """A string with a lone surrogate is stored escaped and read back unchanged."""
    item = {"text": "a\ud800b"}
    assert decode_item(encode_item(item)) == item


@pytest.mark.parametrize(
    "value",
    [
        {1, 2},
        datetime.datetime(2026, 1, 1),
        object(),
        math.nan,
        math.inf,
        -math.inf,
    ],
    ids=["set", "datetime", "object", "nan", "inf", "-inf"],
)
def test_values_json_cannot_hold_exactly_are_rejected(value: object) -> None:
    """Sets, datetimes, objects, NaN and Infinity raise ItemEncodeError, also a TypeError."""
    with pytest.raises(ItemEncodeError) as caught:
        encode_item({"role": "user", "content": [value]})
    assert isinstance(caught.value, TypeError)


def test_dataclass_and_non_dict_items_are_rejected() -> None:
    """Only dicts and pydantic models are items."""

    @dataclasses.dataclass
    class Point:
        x: int

    with pytest.raises(ItemEncodeError, match="dict"):
        encode_item(Point(1))
    with pytest.raises(ItemEncodeError, match="expected a dict or a pydantic model"):
        encode_item("just a string")
    with pytest.raises(ItemEncodeError):
        encode_item({"nested": Point(1)})


def test_non_string_keys_are_rejected() -> None:
    """JSON object keys are strings; an int key would come back as a str, so it is refused."""
    with pytest.raises(ItemEncodeError):
        encode_item({1: "one"})


def test_encode_items_names_the_failing_position() -> None:
    """The error says which item of the batch could not be encoded."""
    with pytest.raises(ItemEncodeError, match="item 1 of the batch"):
        encode_items([{"ok": 1}, {"bad": {1, 2}}])


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", "{bad"])
def test_decode_item_rejects_payloads_that_are_not_json_objects(payload: bytes | str) -> None:
    """Anything but a JSON object is an ItemDecodeError, also a ValueError."""
    with pytest.raises(ItemDecodeError) as caught:
        decode_item(payload)
    assert isinstance(caught.value, ValueError)


def test_decode_item_reads_nan_that_0_1_0_could_write() -> None:
    """json.dumps (0.1.0) wrote NaN as a bare token; it still decodes."""
    decoded = decode_item(b'{"x": NaN}')
    assert math.isnan(decoded["x"])  # type: ignore[typeddict-item]


def test_stdlib_payloads_are_marked_and_still_plain_json() -> None:
    """Big integers are written by the standard library, behind one space json.loads accepts."""
    data = encode_item({"big": 2**70})
    assert data == b' {"big":1180591620717411303424}'
    assert json.loads(data) == {"big": 2**70}


def test_orjson_payloads_are_not_marked() -> None:
    """The common case starts with '{', as 0.1.0 and the spec's format have it."""
    assert encode_item({"n": 2**63 - 1}).startswith(b"{")


def test_decode_items_takes_the_fast_path_only_for_plain_objects() -> None:
    """Whole replies of plain objects decode at once; anything else asks for item by item."""
    from openai_agents_session._items import decode_items

    plain = [encode_item({"n": n}) for n in range(3)]
    assert decode_items(plain) == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert decode_items([]) == []
    assert decode_items([*plain, b"{bad"]) is None
    assert decode_items([*plain, b"[1]"]) is None
    assert decode_items([*plain, encode_item({"big": 2**70})]) is None
