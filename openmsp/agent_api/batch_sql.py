"""A metrics batch on PostgreSQL in one statement: the hot path of `accept_batch`.

A fleet's steady traffic is batches of fresh samples from agents already known to this process.
For those, one data-modifying CTE does what the general path does in about ten round trips:

- checks the agent row is unrevoked and still holds the secret the request was verified with
  (the remembered credential's confirmation, see auth.py) and that the rollup watermarks are the
  ones the samples were routed by;
- inserts the batch id (ON CONFLICT DO NOTHING: a duplicate stores nothing);
- inserts the raw samples, moves the agent's `last_batch_seq` and health, and checks the asset in
  when it is online (the deadline computed from the asset's own offline period, as
  `assets.actions.check_in` does);
- reads the fingerprint of the host's agent checks (the version of their definitions), so an
  unchanged config costs no further statement;

each part conditional on the parts before, so a refused or duplicate batch writes nothing.
It runs after the shared rollup lock, in its own statement so that its snapshot is taken after
the lock (rollups.py). Anything else (a first batch, late samples, inventory, results, an asset
that is not online) returns to the general path, which is the reference behaviour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.db import connection

from openmsp.agent_api.auth import Credential
from openmsp.agent_api.models import Agent, AgentBatch
from openmsp.agent_api.schemas import BatchIn
from openmsp.assets.models import DEFAULT_OFFLINE_SECONDS, Asset
from openmsp.metrics import rollups, storage
from openmsp.metrics.ingest import SampleIn, raw_rows_if_fresh
from openmsp.metrics.models import RollupWatermark
from openmsp.monitoring.models import Check


class Stored(Enum):
    NEW = "new"  # stored, asset checked in
    NEW_NOT_ONLINE = "new, asset not online"  # stored; the caller runs the full check-in
    DUPLICATE = "duplicate"
    STALE_CREDENTIAL = "stale credential"  # revoked or re-enrolled since it was remembered
    STALE_WATERMARKS = "stale watermarks"  # nothing stored; route again


@dataclass(frozen=True)
class _Tables:
    agent: str = Agent._meta.db_table
    batch: str = AgentBatch._meta.db_table
    asset: str = Asset._meta.db_table
    marks: str = RollupWatermark._meta.db_table
    raw: str = storage.RAW_TABLE
    check: str = Check._meta.db_table


_T = _Tables()

_SQL = f"""
WITH ok AS (
    SELECT a.id FROM {_T.agent} a
    WHERE a.id = %(agent)s AND a.revoked_at IS NULL AND a.secret_encrypted = %(secret)s
), marks AS (
    SELECT (SELECT until FROM {_T.marks} WHERE resolution = '5m') IS NOT DISTINCT FROM %(m5)s
       AND (SELECT until FROM {_T.marks} WHERE resolution = '1h') IS NOT DISTINCT FROM %(m1)s
       AS same
), b AS (
    INSERT INTO {_T.batch} (batch_id, agent_id, seq, received_at, sample_count)
    SELECT %(batch)s, ok.id, %(seq)s, %(now)s, %(count)s FROM ok, marks WHERE marks.same
    ON CONFLICT (batch_id) DO NOTHING
    RETURNING agent_id
), s AS (
    INSERT INTO {_T.raw} (series_id, t, v)
    SELECT * FROM unnest(%(sid)s::bigint[], %(t)s::timestamptz[], %(v)s::float8[])
    WHERE EXISTS (SELECT 1 FROM b)
), ag AS (
    UPDATE {_T.agent} SET last_batch_seq = GREATEST(last_batch_seq, %(seq)s),
        health = COALESCE(%(health)s::jsonb, health)
    WHERE id IN (SELECT agent_id FROM b)
), st AS (
    UPDATE {_T.asset} SET last_seen_at = %(now)s,
        offline_after = %(now)s + make_interval(
            secs => COALESCE(NULLIF(offline_period_seconds, 0), {DEFAULT_OFFLINE_SECONDS}))
    WHERE id = %(asset)s AND status = '{Asset.Status.ONLINE}' AND retired_at IS NULL
      AND EXISTS (SELECT 1 FROM b)
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM ok), (SELECT same FROM marks), EXISTS (SELECT 1 FROM b),
       EXISTS (SELECT 1 FROM st),
       (SELECT count(*) || '.' || COALESCE(max(id), 0) || '.'
               || COALESCE((extract(epoch FROM max(updated_at)) * 1000000)::bigint, 0)
        FROM {_T.check} WHERE asset_id = %(asset)s AND left(kind, 6) = 'agent_')
"""  # noqa: S608 (table names are model constants)


def eligible(batch: BatchIn) -> bool:
    """Whether the batch carries only metrics and agent health (what the statement stores)."""
    return (
        connection.vendor == "postgresql"
        and batch.inventory is None
        and not batch.command_results
        and not batch.check_results
    )


def store(
    credential: Credential,
    batch: BatchIn,
    samples: list[SampleIn],
    *,
    health: str | None,
    now: dt.datetime,
    out: dict[str, Any] | None = None,
) -> Stored | None:
    """Store the batch in one statement, or None when it needs the general path (nothing was
    written then). Runs inside the caller's transaction; *health* is the agent's health as
    storable JSON text, or None to keep the stored one."""
    rollups.lock(shared=True)
    marks = rollups.remembered_watermarks()
    rows = raw_rows_if_fresh(credential.asset_id, samples, now=now, marks=marks)
    if rows is None:
        return None
    storage.ensure_raw_days({t.astimezone(dt.UTC).date() for _, t, _ in rows})
    params: dict[str, Any] = {
        "agent": credential.agent_id,
        "secret": credential.secret_encrypted,
        "m5": marks.get("5m"),
        "m1": marks.get("1h"),
        "batch": batch.batch_id,
        "seq": batch.seq,
        "now": now,
        "count": len(samples),
        "sid": [r[0] for r in rows],
        "t": [r[1] for r in rows],
        "v": [r[2] for r in rows],
        "health": health,
        "asset": credential.asset_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SQL, params)
        agent_ok, marks_ok, inserted, online, checks_fingerprint = cursor.fetchone()
    if out is not None:  # the host's agent-check fingerprint (monitoring.agent_checks), free here
        out["checks_fingerprint"] = checks_fingerprint
    if not agent_ok:
        return Stored.STALE_CREDENTIAL
    if not marks_ok:
        rollups.forget_watermarks()
        return Stored.STALE_WATERMARKS
    if not inserted:
        return Stored.DUPLICATE
    return Stored.NEW if online else Stored.NEW_NOT_ONLINE
