"""Hand an interface's verdicts to the Problem lifecycle (openmsp.core.spine).

Rules observed (object_type "interfaces.interface"): a bad verdict is observed every time it is
judged; a good one only when the rule was bad before (so a healthy, busy interface costs the
lifecycle nothing). `rule_status` keeps the last status of each rule for that and for the pages.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

from openmsp.core import spine
from openmsp.interfaces.models import Interface
from openmsp.interfaces.rules import Verdict

SOURCE = "interface"
OBJECT_TYPE = "interfaces.interface"
# English in observations (technicians' problem titles); translated on the pages.
TITLES = {
    "error_rate": gettext_noop("error rate over threshold"),
    "failures": gettext_noop("failures over threshold"),
    "backlog": gettext_noop("backlog over threshold"),
    "latency": gettext_noop("latency over target"),
    "traffic_missing": gettext_noop("expected traffic did not arrive"),
    "batch_late": gettext_noop("batch late"),
}


def _observe(iface: Interface, rule: str, verdict: Verdict, at: dt.datetime) -> None:
    status, detail = verdict
    title = f"Interface '{iface.name}': {TITLES[rule]}"
    summary = f"{title} cleared ({detail})" if status == "ok" else f"{title} ({detail})"
    spine.observe(
        spine.Observation(
            client_id=iface.client_id,
            source=SOURCE,
            object_type=OBJECT_TYPE,
            object_id=str(iface.pk),
            rule=rule,
            status=status,
            observed_at=at,
            summary=summary[:500],
            title=title[:300],
            labels={"interface": iface.code, "tags": ",".join(iface.tags or [])},
            details={"detail": detail, "token_prefix": iface.token_prefix},
        )
    )


def settle(iface: Interface, verdicts: dict[str, Verdict], at: dt.datetime) -> None:
    """Observe each verdict that is bad, or good after being bad; remember the statuses."""
    status = dict(iface.rule_status or {})
    for rule, verdict in verdicts.items():
        if verdict[0] != "ok" or status.get(rule, "ok") != "ok":
            _observe(iface, rule, verdict, at)
        status[rule] = verdict[0]
    iface.rule_status = status


def clear_all(iface: Interface, at: dt.datetime, reason: str) -> None:
    """Every bad rule observed "ok" (the interface was paused or deleted)."""
    bad: dict[str, Verdict] = {
        r: ("ok", reason) for r, s in (iface.rule_status or {}).items() if s != "ok"
    }
    settle(iface, bad, at)
