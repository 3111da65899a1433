"""``openmsp-agent status``: what the state dir says, read without disturbing a running agent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from openmsp_agent.config import AgentConfig, ConfigError, Credentials


def read_status(config: AgentConfig) -> dict[str, Any]:
    status: dict[str, Any] = {"state_dir": str(config.state_dir)}
    try:
        credentials = Credentials.load(config.credentials_path)
    except ConfigError as exc:
        credentials = None
        status["credentials_error"] = str(exc)
    status["enrolled"] = credentials is not None
    if credentials is not None:
        status["agent_id"] = credentials.agent_id
        status["server"] = config.server_url or credentials.server
    status.update(_outbox_status(config.outbox_path))
    status.update(_inventory_status(config.inventory_path))
    return status


def _outbox_status(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"outbox": None}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        batches, batch_bytes, oldest = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(created_at) FROM batches"
        ).fetchone()
        results = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error as exc:
        return {"outbox": {"error": str(exc)}}
    finally:
        conn.close()
    return {
        "outbox": {
            "batches": batches,
            "results": results,
            "bytes": batch_bytes,
            "oldest_created_at": oldest,
            "dropped_batches": int(meta.get("dropped_batches", 0)),
        },
        "last_success_at": meta.get("last_success_at"),
        "last_error": meta.get("last_error"),
    }


def _inventory_status(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"inventory_acked_hash": None}
    return {
        "inventory_acked_hash": data.get("acked_hash"),
        "inventory_need_full": data.get("need_full"),
    }


def render(status: dict[str, Any]) -> str:
    lines = [f"State dir:            {status['state_dir']}"]
    if status["enrolled"]:
        lines.append(f"Enrolled:             yes, agent {status['agent_id']} at {status['server']}")
    else:
        lines.append(
            f"Enrolled:             no {status.get('credentials_error', '(run `openmsp-agent enroll`)')}"
        )
    outbox = status.get("outbox")
    if outbox is None:
        lines.append("Outbox:               none yet")
    elif "error" in outbox:
        lines.append(f"Outbox:               unreadable ({outbox['error']})")
    else:
        lines.append(
            f"Outbox:               {outbox['batches']} batch(es), {outbox['results']} command result(s), "
            f"{outbox['bytes'] / 1024:.0f} KiB waiting; {outbox['dropped_batches']} dropped so far"
        )
        lines.append(f"Last successful send: {status.get('last_success_at') or 'never'}")
        if status.get("last_error"):
            lines.append(f"Last error:           {status['last_error']}")
    acked = status.get("inventory_acked_hash")
    lines.append(
        f"Inventory:            {'acknowledged ' + acked[:12] if acked else 'not acknowledged yet'}"
    )
    return "\n".join(lines)
