"""Encode and decode session items: one compact JSON object per item.

This is the storage format the spec shows and 0.1.0 wrote: the item itself as JSON, no
envelope. orjson does the work; the standard library steps in only where orjson would lose
information (integers beyond 64 bits, strings with lone surrogates) and to read NaN and
Infinity, which 0.1.0's ``json.dumps`` could write.

orjson reads integers beyond 64 bits as floats, so what the standard library wrote for us is
marked with one leading space (still plain JSON, for any reader) and read back with it. An
integer beyond 64 bits that 0.1.0 wrote (unmarked) comes back as a float.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

import orjson

from .errors import ItemDecodeError, ItemEncodeError

if TYPE_CHECKING:
    from agents import TResponseInputItem

__all__ = ["decode_item", "decode_items", "decode_valid", "encode_item", "encode_items"]

# orjson would turn these into strings or dicts: they would not come back as they went in.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
# Leads a payload the standard library wrote, so that it is also read by it, exactly.
_STDLIB_MARK = b" "
_SPACE = _STDLIB_MARK[0]
# Past this size, walking the value is cheaper than searching the bytes for "null".
_NULL_SEARCH_BYTES = 2048
# What orjson refuses that JSON can still hold exactly, by the start of orjson's message.
_STDLIB_CAN_ENCODE = ("Integer exceeds 64-bit range", "str is not valid UTF-8", "Recursion limit")


def _reject(value: object) -> Any:
    raise TypeError(f"type {type(value).__name__} is not JSON serializable")


def _has_non_finite_float(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_non_finite_float(v) for v in value)
    return False


def _as_json_object(item: object) -> object:
    if isinstance(item, dict):
        return item
    model_dump = getattr(item, "model_dump", None)
    if callable(model_dump):
        # The SDK turns its pydantic items into input items the same way (exclude_unset), so a
        # model and the dict the SDK would have made from it are stored identically.
        return model_dump(mode="json", exclude_unset=True)
    raise ItemEncodeError(
        f"cannot store an item of type {type(item).__name__}; expected a dict or a pydantic model"
    )


def encode_item(item: TResponseInputItem | object) -> bytes:
    """Encode one item as compact UTF-8 JSON.

    Args:
        item: A dict or a pydantic model (stored as its JSON dump).

    Returns:
        The bytes to store.

    Raises:
        ItemEncodeError: The item is not a dict or model, holds a value JSON cannot represent
            exactly (a set, a datetime, an object, NaN or Infinity), or has non-string keys.
    """
    value = _as_json_object(item)
    try:
        data = orjson.dumps(value, default=_reject, option=_ORJSON_OPTIONS)
    except TypeError as exc:
        if not str(exc).startswith(_STDLIB_CAN_ENCODE):
            raise ItemEncodeError(f"cannot store item as JSON: {exc}") from exc
        data = _encode_with_stdlib(value, exc)
    _check_finite(value, data)
    return data


def _check_finite(value: object, data: bytes) -> None:
    """Refuse NaN and Infinity, which orjson writes as null: JSON has no such numbers."""
    # Look closer only when a null may be one of them; searching big payloads costs more
    # than walking their values.
    if (len(data) > _NULL_SEARCH_BYTES or b"null" in data) and _has_non_finite_float(value):
        raise ItemEncodeError("cannot store NaN or Infinity: JSON has no such numbers")


def _encode_with_stdlib(value: object, orjson_error: TypeError) -> bytes:
    """Encode what orjson refuses but JSON can hold exactly: big integers, lone surrogates."""
    try:
        text = json.dumps(value, default=_reject, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ItemEncodeError(f"cannot store item as JSON: {orjson_error}") from exc
    return _STDLIB_MARK + text.encode("ascii")


def encode_items(items: Iterable[TResponseInputItem | object]) -> list[bytes]:
    """Encode a batch, failing before anything is stored if any item cannot be encoded.

    Args:
        items: The batch, oldest first.

    Returns:
        The encoded items in the same order.

    Raises:
        ItemEncodeError: An item cannot be encoded; the message names its position.
    """
    encoded: list[bytes] = []
    for index, item in enumerate(items):
        try:
            # The common case inline, encoded once: a plain dict that orjson takes as it is.
            if type(item) is dict:
                try:
                    data = orjson.dumps(item, default=_reject, option=_ORJSON_OPTIONS)
                except TypeError:
                    data = encode_item(item)
                else:
                    _check_finite(item, data)
            else:
                data = encode_item(item)
        except ItemEncodeError as exc:
            raise ItemEncodeError(f"item {index} of the batch: {exc}") from exc
        encoded.append(data)
    return encoded


def decode_items(raws: list[bytes]) -> list[TResponseInputItem] | None:
    """Decode a whole reply at once, or return None when a payload needs a closer look.

    The fast path for every read: plain orjson objects, none marked as written by the
    standard library. Anything else (a marked, corrupt or non-object payload, text instead
    of bytes) returns None, and the caller decodes item by item with :func:`decode_item`.
    """
    loads = orjson.loads
    try:
        values = [loads(raw) for raw in raws]
    except (ValueError, TypeError):
        return None
    for raw, value in zip(raws, values, strict=True):
        if type(value) is not dict or type(raw) is not bytes or raw[0] == _SPACE:
            return None
    return cast("list[TResponseInputItem]", values)


def decode_item(raw: bytes | str) -> TResponseInputItem:
    """Decode one stored payload.

    Args:
        raw: The payload as the client returned it (bytes, or str with ``decode_responses``).

    Returns:
        The item as a dict.

    Raises:
        ItemDecodeError: The payload is not JSON, or not a JSON object.
    """
    try:
        value = json.loads(raw) if raw[:1] in (b" ", " ") else orjson.loads(raw)
    except ValueError:
        try:
            value = json.loads(raw)  # NaN and Infinity, as 0.1.0 may have written them
        except (ValueError, RecursionError) as exc:
            raise ItemDecodeError(f"stored payload is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ItemDecodeError(f"stored payload is a JSON {type(value).__name__}, not an object")
    return cast("TResponseInputItem", value)


def decode_valid(
    raws: Sequence[bytes | str], where: str, logger: logging.Logger
) -> list[TResponseInputItem]:
    """Decode stored payloads, skipping (with a warning naming ``where``) the undecodable.

    A corrupt record never hides valid history: every backend reads through this loop.
    """
    fast = decode_items(cast("list[bytes]", raws)) if isinstance(raws, list) else None
    if fast is not None:
        return fast
    items: list[TResponseInputItem] = []
    for payload in raws:
        try:
            items.append(decode_item(payload))
        except ItemDecodeError as exc:
            logger.warning("skipped undecodable item in %r: %s", where, exc)
    return items


def is_tool_output(item: object) -> bool:
    """Whether ``item`` is a tool's output (its ``type`` ends in ``_output``).

    A history trimmed to its newest items must not start with one: the Responses API refuses
    an output whose call is gone.
    """
    kind = item.get("type") if isinstance(item, dict) else None
    return isinstance(kind, str) and kind.endswith("_output")
