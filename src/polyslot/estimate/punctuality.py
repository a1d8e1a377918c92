"""Punctuality: arrival minus appointment time per polyclinic x visit type, on the slot grid.

Offsets are ``round(minutes / slot_minutes)`` slots (negative = early), counted over booked
appointments with both times (``agg_punctuality``). A polyclinic x visit type with fewer than
``min_obs`` arrivals is shrunk toward the network distribution of the visit type (mixture
with weight ``prior_obs``) and, with no arrivals at all, uses the network distribution.
"""

from __future__ import annotations

from polyslot.clinic_model import Punctuality
from polyslot.data.store import Connection
from polyslot.estimate.config import EstimateConfig

__all__ = ["estimate_punctuality"]


def estimate_punctuality(
    con: Connection, config: EstimateConfig
) -> tuple[dict[str, dict[str, Punctuality]], list[dict]]:
    """``({polyclinic: {visit_type: Punctuality}}, summary_rows)``."""
    s = int(config.slot_minutes)
    rows = con.execute(
        "SELECT polyclinic_id, visit_type, k, c, very_late FROM agg_punctuality"
    ).fetchall()
    own: dict[tuple[str, str], dict[int, float]] = {}
    own_late: dict[tuple[str, str], float] = {}
    for pc, vt, k, c, vl in rows:
        own.setdefault((pc, vt), {})[int(k)] = float(c)
        own_late[(pc, vt)] = own_late.get((pc, vt), 0.0) + float(vl)
    net: dict[str, dict[int, float]] = {}
    net_late: dict[str, float] = {}
    for (_, vt), h in own.items():
        acc = net.setdefault(vt, {})
        for k, c in h.items():
            acc[k] = acc.get(k, 0.0) + c
    for (_, vt), v in own_late.items():
        net_late[vt] = net_late.get(vt, 0.0) + v
    polyclinics = sorted(
        r[0] for r in con.execute("SELECT DISTINCT polyclinic_id FROM agg_counts").fetchall()
    )
    out: dict[str, dict[str, Punctuality]] = {}
    summary: list[dict] = []
    for pc in polyclinics:
        out[pc] = {}
        for vt in sorted(net):
            h = own.get((pc, vt), {})
            n = sum(h.values())
            nn = sum(net[vt].values())
            share_net = net_late[vt] / nn
            if n >= config.min_obs:
                probs = {k: c / n for k, c in h.items()}
                share = own_late[(pc, vt)] / n
            elif n > 0:
                w = n / (n + config.prior_obs)
                probs = {k: w * c / n for k, c in h.items()}
                for k, c in net[vt].items():
                    probs[k] = probs.get(k, 0.0) + (1 - w) * c / nn
                share = w * own_late[(pc, vt)] / n + (1 - w) * share_net
            else:
                probs = {k: c / nn for k, c in net[vt].items()}
                share = share_net
            keys = sorted(probs)
            total = sum(probs.values())
            out[pc][vt] = Punctuality(
                vt, tuple(keys), tuple(probs[k] / total for k in keys), float(share)
            )
            mean = sum(k * p for k, p in probs.items()) / total * s
            summary.append(
                {
                    "polyclinic_id": pc,
                    "visit_type": vt,
                    "n_obs": int(n),
                    "pooled": bool(n < config.min_obs),
                    "mean_offset_minutes": round(mean, 3),
                    "very_late_share": round(float(share), 5),
                }
            )
    return out, summary
