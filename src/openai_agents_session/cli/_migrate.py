"""``migrate``: copy every session of another store into this one, idempotently.

Each session is written whole or not at all, and one that exists already is left alone
unless ``--replace``: re-running a migration, or resuming an interrupted one, doubles nothing.
``--dry-run`` reads everything and writes nothing. ``--delete-source`` (a 0.1.0 DynamoDB table
only) then deletes each source session the store holds, unless the source changed since it
was read or since an earlier run copied it: those are kept and named.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from typing import cast

import click

from .._store import SessionRecord, SessionStore
from ..errors import ConfigurationError, ItemEncodeError, WrongKeyTypeError
from ._click import Command
from ._concurrency import for_each_bounded
from ._failures import CommandError
from ._migration_sources import (
    DYNAMODB,
    DYNAMODB_0_1_0,
    SQLITE,
    STORE,
    DeletableSource,
    MigrationSource,
    SourceSpec,
    default_prefix,
    is_same_table,
    open_source,
    parse_source,
    with_aws_options,
)
from ._output import Output, plural, progress_bar
from ._target import StoreTarget, is_dynamodb_url, open_target, store_options, store_target
from ._transfer import concurrency_option

__all__ = ["migrate_command"]

# Failed session ids named in the final error; the rest are counted.
NAMED_FAILURES = 10
# What makes one session unwritable without making the store unusable: it is skipped.
SESSION_ERRORS = (ItemEncodeError, ConfigurationError, WrongKeyTypeError)


@dataclass
class MigrationCounts:
    """What a migration did (or, in a dry run, would do)."""

    migrated: int = 0
    items: int = 0
    present: int = 0
    empty: int = 0
    failed: list[str] = field(default_factory=list)
    deleted: int = 0
    kept: list[str] = field(default_factory=list)
    """Source sessions --delete-source kept: changed since read, or since an earlier copy."""
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Sessions read per second."""
        read = self.migrated + self.present + self.empty + len(self.failed)
        return read / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class MigrationPlan:
    """What to copy where, and how."""

    spec: SourceSpec
    target: StoreTarget
    source_prefix: str | None
    dry_run: bool
    replace: bool
    ttl_seconds: int | None
    concurrency: int
    delete_source: bool = False


async def _copy(
    output: Output, plan: MigrationPlan, source: MigrationSource, store: SessionStore
) -> MigrationCounts:
    counts = MigrationCounts()
    total = await source.count() if output.stderr.is_terminal else None
    started = time.perf_counter()
    with progress_bar(output) as bar:
        task = bar.add_task("dry run" if plan.dry_run else "migrate", total=total)

        # _check_plan allows --delete-source only for a source that deletes.
        deletable = cast("DeletableSource", source) if plan.delete_source else None

        async def copy(record: SessionRecord) -> None:
            try:
                written = await _copy_one(plan, store, record, counts, output)
                if deletable is not None and written is not None:
                    await _delete_copied(plan, deletable, store, record, written, counts)
            finally:
                if deletable is not None:
                    deletable.forget(record.session_id)
            bar.advance(task)

        await for_each_bounded(source.records(), copy, limit=plan.concurrency)
        # The count was taken before the read: sessions left out (corrupt) or written since
        # make it differ from what was read, which is all there was.
        done = next(shown.completed for shown in bar.tasks if shown.id == task)
        bar.update(task, total=done)
    counts.seconds = time.perf_counter() - started
    return counts


async def _copy_one(
    plan: MigrationPlan,
    store: SessionStore,
    record: SessionRecord,
    counts: MigrationCounts,
    output: Output,
) -> bool | None:
    """Copy one session; return whether it was written (False: present), None if neither."""
    if not record.items:
        counts.empty += 1
        return None
    if plan.ttl_seconds is not None:
        record = dataclasses.replace(record, ttl_seconds=plan.ttl_seconds)
    try:
        if plan.dry_run:
            written = plan.replace or not (await store.info(record.session_id)).exists
        else:
            written = await store.import_session(record, replace=plan.replace)
    except SESSION_ERRORS as exc:
        counts.failed.append(record.session_id)
        output.note(f"session {record.session_id!r}: {exc}")
        return None
    if written:
        counts.migrated += 1
        counts.items += len(record.items)
    else:
        counts.present += 1
    return written


async def _delete_copied(
    plan: MigrationPlan,
    source: DeletableSource,
    store: SessionStore,
    record: SessionRecord,
    written: bool,
    counts: MigrationCounts,
) -> None:
    """Delete a source session the store now holds, unless that would lose a write.

    A session found present was copied by an earlier run: the store's copy must begin with
    the source's items (it may have grown since the switch), else the source changed after
    that run; ``updated_at`` cannot tell, 0.1.0 stamps whole seconds. In the source, the
    delete is conditioned on the item as it was read.
    """
    if not written:
        copied = await store.export_session(record.session_id)
        if copied is None or copied.items[: len(record.items)] != record.items:
            counts.kept.append(record.session_id)
            return
    if plan.dry_run or await source.delete(record.session_id):
        counts.deleted += 1
    else:
        counts.kept.append(record.session_id)


async def _migrate(output: Output, plan: MigrationPlan) -> tuple[MigrationCounts, int, list[str]]:
    opened = open_source(plan.spec, prefix=plan.source_prefix, deletable=plan.delete_source)
    async with opened as source, open_target(plan.target) as store:
        output.note(
            f"{'reading' if plan.dry_run else 'migrating'} {source.label} into "
            f"{plan.target.description}"
        )
        counts = await _copy(output, plan, source, store)
        return counts, source.skipped_items, source.left_out()


def _summary(counts: MigrationCounts, *, dry_run: bool, delete_source: bool) -> str:
    timing = f"in {counts.seconds:.2f} s ({counts.rate:.0f} sessions/s)"
    if dry_run:
        deleting = f", delete {plural(counts.deleted, 'source session')}" if delete_source else ""
        return (
            f"would migrate {plural(counts.migrated, 'session')} ({plural(counts.items, 'item')}), "
            f"skip {counts.present} already present{deleting}; read {timing}, wrote nothing"
        )
    deleted = f", deleted {plural(counts.deleted, 'source session')}" if delete_source else ""
    return (
        f"migrated {plural(counts.migrated, 'session')} ({plural(counts.items, 'item')}), "
        f"skipped {counts.present} already present{deleted}, {timing}"
    )


def _named(session_ids: list[str]) -> str:
    named = ", ".join(repr(session_id) for session_id in session_ids[:NAMED_FAILURES])
    more = len(session_ids) - NAMED_FAILURES
    return named + (f" and {more} more" if more > 0 else "")


def _check_plan(plan: MigrationPlan) -> None:
    spec = plan.spec
    if spec.kind in (SQLITE, DYNAMODB_0_1_0) and plan.source_prefix:
        raise click.BadParameter(
            "--from-prefix applies to Redis sources only", param_hint="'--from'"
        )
    if spec.kind == DYNAMODB and plan.source_prefix:
        raise click.BadParameter(
            "--from-prefix applies to Redis sources only; the sessions of a dynamodb:// "
            "source are those of its table",
            param_hint="'--from'",
        )
    if spec.kind == DYNAMODB and is_same_table(spec.location, plan.target.url):
        raise click.BadParameter(
            f"{spec.label} is the destination itself; name another table",
            param_hint="'--from'",
        )
    if plan.delete_source and spec.kind != DYNAMODB_0_1_0:
        raise click.BadParameter(
            f"--delete-source applies to a {DYNAMODB_0_1_0}:// source only",
            param_hint="'--from'",
        )
    same_prefix = (plan.source_prefix or default_prefix(spec)) == plan.target.prefix
    if spec.kind == STORE and spec.location == plan.target.url and same_prefix:
        raise click.BadParameter(
            f"{spec.label} with prefix {plan.target.prefix!r} is the destination itself; "
            "pass another --from-prefix or --prefix",
            param_hint="'--from'",
        )


@click.command("migrate", cls=Command, short_help="Copy sessions from another store.")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="SOURCE",
    help="sqlite:PATH[?sessions_table=T&messages_table=T] (the SDK's SQLiteSession), "
    "sdk-redis:URL (the SDK's RedisSession), "
    "dynamodb-0.1.0://TABLE[?region=R&endpoint_url=URL] (0.1.0's DynamoDBSession), "
    "or the URL of another store: redis://, rediss://, redis+cluster:// (a cluster) or "
    "dynamodb://TABLE[?region=R&endpoint_url=URL].",
)
@click.option(
    "--from-prefix",
    metavar="PREFIX",
    help="Key prefix of a Redis source [default: agents:session for sdk-redis, "
    "else openai_agents_session]; a dynamodb:// source is its table.",
)
@click.option("--dry-run", is_flag=True, help="Read everything, report, write nothing.")
@click.option("--replace", is_flag=True, help="Overwrite sessions that exist already.")
@click.option(
    "--ttl",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Expire every migrated session after this long, instead of the source's TTL.",
)
@click.option(
    "--delete-source",
    is_flag=True,
    help="After copying, delete each DynamoDB source session the store holds, unless it "
    "changed since it was read; with --dry-run, only count them.",
)
@concurrency_option
@store_options
@click.pass_obj
def migrate_command(
    output: Output,
    source: str,
    from_prefix: str | None,
    dry_run: bool,
    replace: bool,
    ttl: int | None,
    delete_source: bool,
    concurrency: int,
    url: str | None,
    prefix: str | None,
) -> None:
    """Copy every session of SOURCE into the store of --url and --prefix.

    Sessions present already are skipped (unless --replace), so a migration can be re-run.
    """
    try:
        spec = with_aws_options(
            parse_source(source),
            region=output.aws.get("region"),
            endpoint_url=output.aws.get("endpoint_url"),
            profile=output.aws.get("profile"),
            for_target=is_dynamodb_url(url or output.url or ""),
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--from'") from None
    plan = MigrationPlan(
        spec=spec,
        target=store_target(
            output, url, prefix, aws_used_elsewhere=spec.kind in (DYNAMODB, DYNAMODB_0_1_0)
        ),
        source_prefix=from_prefix,
        dry_run=dry_run,
        replace=replace,
        ttl_seconds=ttl,
        concurrency=concurrency,
        delete_source=delete_source,
    )
    _check_plan(plan)
    counts, skipped_items, left_out = asyncio.run(_migrate(output, plan))
    output.line(_summary(counts, dry_run=dry_run, delete_source=delete_source))
    for line in left_out:
        output.note(line)
    if counts.kept:
        output.note(
            f"kept {plural(len(counts.kept), 'source session')} that changed since it was read "
            f"or copied: {_named(counts.kept)}; run again with --replace to copy the newer "
            "version, then --delete-source"
        )
    if counts.empty or skipped_items:
        output.note(
            f"left out {plural(skipped_items, 'stored item')} that are not JSON objects, and "
            f"{plural(counts.empty, 'session')} with no other item"
        )
    if counts.failed:
        raise CommandError(
            f"{plural(len(counts.failed), 'session')} could not be migrated: "
            f"{_named(counts.failed)}"
        )
