"""What a DynamoDB call costs beside its latency: HTTP requests, bytes, capacity units.

Both meters hook an aiobotocore client's events (``client.meta.events``), so they see every
call a store makes, whatever its code, exactly as sent: ``before-send`` once per HTTP request
(retries included), ``after-call`` once per API call with the parsed reply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .capacity import item_size, read_units, write_units

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Traffic:
    """Totals of a :class:`RequestCounter` at one moment."""

    requests: int = 0
    request_bytes: int = 0
    response_bytes: int = 0

    def __sub__(self, other: Traffic) -> Traffic:
        return Traffic(
            self.requests - other.requests,
            self.request_bytes - other.request_bytes,
            self.response_bytes - other.response_bytes,
        )

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(
            self.requests + other.requests,
            self.request_bytes + other.request_bytes,
            self.response_bytes + other.response_bytes,
        )


class RequestCounter:
    """Counts HTTP requests and the bytes of their bodies, sent and received.

    Cheap enough (two additions per request) to stay on the timed client: the counts are of
    the timed calls themselves, conflicts and retries included.
    """

    def __init__(self) -> None:
        self._requests = 0
        self._request_bytes = 0
        self._response_bytes = 0

    def attach(self, client: DynamoDBClient) -> None:
        client.meta.events.register("before-send.dynamodb", self._on_send)
        client.meta.events.register("after-call.dynamodb", self._on_reply)

    def now(self) -> Traffic:
        return Traffic(self._requests, self._request_bytes, self._response_bytes)

    def _on_send(self, request: Any, **_: Any) -> None:
        # Returning None lets the request go out; anything else would replace its response.
        self._requests += 1
        body = request.body
        if body:
            self._request_bytes += len(body.encode() if isinstance(body, str) else body)

    def _on_reply(self, http_response: Any, **_: Any) -> None:
        length = http_response.headers.get("content-length")
        if length is not None:
            self._response_bytes += int(length)


@dataclass
class Capacity:
    """Capacity units a span of calls would have consumed on AWS."""

    rcu: float = 0.0
    wcu: float = 0.0
    unpriced: Counter[str] = field(default_factory=Counter)


_FREE = frozenset({"DescribeTable", "DescribeTimeToLive", "ListTables"})


class CapacityMeter:
    """Prices every call of a client by AWS's rules (``benchmarks.capacity``), from item sizes.

    A write costs by the larger of the item before and after it, so the meter reads each
    written item before the call and after it, consistently, on ``reader`` (a client it does
    not watch). A read costs by the full size of the items it returns, whatever their
    projection, so projected items are read again in full. This doubles the requests, so the
    meter belongs on an accounting client, never a timed one. ``enabled`` pauses it (untimed
    preparation between measured calls).
    """

    def __init__(self, reader: DynamoDBClient, key_names: Mapping[str, Sequence[str]]) -> None:
        self._reader = reader
        self._key_names = key_names
        self.enabled = False
        self.total = Capacity()

    def attach(self, client: DynamoDBClient) -> None:
        # aiobotocore awaits coroutine handlers; botocore's stubs only know plain ones.
        events = client.meta.events
        events.register("before-parameter-build.dynamodb", self._before)  # type: ignore[arg-type]
        events.register("after-call.dynamodb", self._after)  # type: ignore[arg-type]

    async def _before(
        self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if not self.enabled:
            return
        writes = self._writes(model.name, params)
        before = [await self._size(table, key) for table, key, _transactional in writes]
        context["bench_capacity"] = (params, writes, before)

    async def _after(
        self, http_response: Any, parsed: Mapping[str, Any], model: Any, context: Any, **_: Any
    ) -> None:
        pending = context.get("bench_capacity")
        if pending is None:
            return
        params, writes, before = pending
        if http_response.status_code >= 300:
            return  # refused (validation, a failed condition): not priced here
        name = model.name
        if name == "GetItem":
            item = parsed.get("Item")
            if item is not None and "ProjectionExpression" in params:
                item = await self._full_item(params["TableName"], params["Key"])
            size = item_size(item)
            self.total.rcu += read_units(size, consistent=bool(params.get("ConsistentRead")))
        elif name == "Query":
            table = params["TableName"]
            items = parsed.get("Items", [])
            if "ProjectionExpression" in params:
                items = [await self._full_item(table, self._key_of(table, item)) for item in items]
            sizes = [item_size(item) for item in items]
            self.total.rcu += read_units(sizes, consistent=bool(params.get("ConsistentRead")))
        elif writes:
            for (table, key, transactional), size_before in zip(writes, before, strict=True):
                size_after = await self._size(table, key)
                self.total.wcu += write_units(
                    max(size_before, size_after), transactional=transactional
                )
        elif name not in _FREE:
            self.total.unpriced[name] += 1

    def _key_of(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._key_names[table]}

    def _writes(
        self, operation: str, params: Mapping[str, Any]
    ) -> list[tuple[str, dict[str, Any], bool]]:
        """(table, key, transactional) of every item the call writes."""
        if operation == "PutItem":
            return [(params["TableName"], self._key_of(params["TableName"], params["Item"]), False)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], dict(params["Key"]), False)]
        found: list[tuple[str, dict[str, Any], bool]] = []
        if operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                if kind == "Put":
                    found.append(
                        (body["TableName"], self._key_of(body["TableName"], body["Item"]), True)
                    )
                elif kind in ("Update", "Delete"):
                    found.append((body["TableName"], dict(body["Key"]), True))
                else:
                    raise ValueError(
                        f"cannot price a {kind} action; expected Put, Update or Delete"
                    )
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        found.append(
                            (table, self._key_of(table, request["PutRequest"]["Item"]), False)
                        )
                    else:
                        found.append((table, dict(request["DeleteRequest"]["Key"]), False))
        return found

    async def _size(self, table: str, key: Mapping[str, Any]) -> int:
        return item_size(await self._full_item(table, key))

    async def _full_item(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        """The whole item, read consistently: a projection does not lower what a read costs."""
        reply = await self._reader.get_item(TableName=table, Key=dict(key), ConsistentRead=True)
        found: dict[str, Any] | None = reply.get("Item")
        return found
