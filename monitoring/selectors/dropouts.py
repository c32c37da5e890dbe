"""Drop-outs by the stage left, the outcome and the reason recorded (raw, before suppression)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from recruitment.models import CaseEvent

from .. import tables as t
from ..snapshots import DROPPED_OUT_STATES, local_start
from .common import STATE_ORDER, flow_end, state_label
from .filters import Filters


def _grouped(f: Filters) -> dict[tuple[str, str, str | None], int]:
    """Cases per (stage left, outcome, reason text); rare or empty texts are grouped as
    ``None`` (shown as "Other reasons", whatever a text says)."""
    end = flow_end(f)
    grouped: dict[tuple[str, str, str | None], int] = defaultdict(int)
    if not end or f.start > end:
        return grouped
    events = CaseEvent.objects.filter(
        f.case_q("case__"),
        kind=CaseEvent.Kind.TRANSITION,
        to_state__in=DROPPED_OUT_STATES,
        occurred_at__gte=local_start(f.start),
        occurred_at__lt=local_start(end + dt.timedelta(days=1)),
    )
    raw = events.values_list("from_state", "to_state", "reason").annotate(n=Count("id")).order_by()
    for from_state, to_state, reason, n in raw:
        text = " ".join((reason or "").split())[:200]
        grouped[(from_state, to_state, text if n >= t.THRESHOLD and text else None)] += n
    return grouped


def _row_key(from_state: str, to_state: str, reason: str | None) -> str:
    """``state:<left>/outcome:<state>/reason:<text>``, or ``…/reasons:other`` for the texts
    grouped as other reasons (a dimension of its own: no text can take its key)."""
    if reason is None:
        return t.row_key(state=from_state, outcome=to_state, reasons="other")
    return t.row_key(state=from_state, outcome=to_state, reason=reason)


def raw_dropout_reasons(f: Filters) -> t.Table:
    """Drop-outs by stage, outcome and reason. A reason text written for fewer than 5 cases is
    folded into "Other reasons" so that no free text about a small group is shown."""

    grouped = _grouped(f)
    order = {s: i for i, s in enumerate(STATE_ORDER)}
    other = str(_("Other reasons"))
    rows = [
        {
            t.ROW_KEY: _row_key(fs, ts, reason),
            "stage": state_label(fs),
            "outcome": state_label(ts),
            "reason": other if reason is None else reason,
            "cases": n,
        }
        for (fs, ts, reason), n in sorted(
            grouped.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]], -kv[1])
        )
    ]
    rows.append(
        {
            t.ROW_KEY: t.TOTAL,
            "stage": str(_("Total")),
            "outcome": "",
            "reason": "",
            "cases": sum(grouped.values()),
        }
    )
    return t.Table(
        key="dropout_reasons",
        title=_("Drop-outs by stage and reason"),
        description=_("Reasons recorded when cases were withdrawn, rejected or left early."),
        columns=[
            t.Column("stage", _("Stage left"), t.LABEL),
            t.Column("outcome", _("Outcome"), t.LABEL),
            t.Column("reason", _("Reason"), t.LABEL),
            t.Column("cases", _("Cases")),
        ],
        rows=rows,
        total_row=True,
    )
