"""``guide.md``: the implementation guide for configuring the appointment system.

Per polyclinic and weekday: slot length per visit type, slots per hour per visit type,
appointment start times per doctor session, overbooking rules; per polyclinic: a phased roll-out
plan, the KPIs and thresholds to monitor, and when to re-run polyslot. The network part orders
the roll-out by expected reduction in mean wait. Deterministic Markdown (GitHub tables).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from polyslot.analysis.compare import NETWORK_ID, compare_network
from polyslot.analysis.wording import change_words
from polyslot.atomic import write_text
from polyslot.kpi_records import SOURCE_PREFERENCE, WEEK
from polyslot.report.capacity_section import capacity_guide_lines
from polyslot.report.network_section import network_guide_lines
from polyslot.report.summary import build_summary
from polyslot.report.trust_text import clinic_trust, first_screen, rollout_ids
from polyslot.results import NetworkResult, PolyclinicResult
from polyslot.template import SlotTemplate

__all__ = ["WEEKDAY_NAMES", "build_guide", "write_guide", "abbreviations"]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _fmt(v: float, digits: int = 1, suffix: str = "") -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}f}{suffix}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def abbreviations(visit_types: list[str]) -> dict[str, str]:
    """Short unique codes for visit types (initials, lengthened until unique)."""
    out: dict[str, str] = {}
    for vt in sorted(visit_types):
        words = [w for w in vt.replace("-", "_").split("_") if w] or [vt]
        code = "".join(w[0] for w in words).upper()
        extra = 1
        while code in out.values():
            code = (words[-1][: extra + 1]).upper() if extra < len(words[-1]) else f"{code}{extra}"
            extra += 1
        out[vt] = code
    return out


def _best_row(
    table: pd.DataFrame, pid: str, weekday: int, first: str | None = None
) -> pd.Series | None:
    """The row of the headline source ``first`` (summary.json's ``source``), else by preference."""
    sub = table[(table["polyclinic_id"] == pid) & (table["weekday"] == weekday)]
    for src in ((first,) if first else ()) + SOURCE_PREFERENCE:
        hit = sub[sub["source"] == src]
        if not hit.empty:
            return hit.iloc[0]
    return None


def _weekday_section(
    tpl: SlotTemplate, current: SlotTemplate, day: int, codes: dict[str, str], row: pd.Series | None
) -> list[str]:
    day_tpl, cur_tpl = tpl.for_weekday(day), current.for_weekday(day)
    lines = [f"### {WEEKDAY_NAMES[day]}", ""]
    if row is not None:
        lines += [
            f"Expected mean wait {_fmt(row['wait_mean_current'])} -> "
            f"{_fmt(row['wait_mean_recommended'])} min per patient seen; utilisation "
            f"{_fmt(100 * row['utilization_current'])} % -> "
            f"{_fmt(100 * row['utilization_recommended'])} %.",
            "",
        ]
    frame = day_tpl.to_frame()
    regular = frame[~frame["overbooked"]]
    lines += ["**Slot length per visit type**", ""]
    rows = []
    for vt in sorted(frame["visit_type"].unique()):
        lengths = sorted(regular.loc[regular["visit_type"] == vt, "duration_minutes"].unique())
        n_reg = int((regular["visit_type"] == vt).sum())
        n_ob = int(((frame["visit_type"] == vt) & frame["overbooked"]).sum())
        n_cur = sum(1 for s in cur_tpl.slots if s.visit_type == vt)
        rows.append(
            [
                vt,
                codes[vt],
                ", ".join(str(int(x)) for x in lengths) or "-",
                str(n_reg),
                str(n_ob),
                str(n_cur),
            ]
        )
    lines += _table(
        ["visit type", "code", "slot length (min)", "slots", "overbooked slots", "slots today"],
        rows,
    )
    counts = day_tpl.counts()
    vts = sorted(counts["visit_type"].unique())
    lines += ["", "**Slots per hour per visit type** (all doctor sessions together)", ""]
    rows = []
    for b in sorted(counts["bucket_start"].unique()):
        sub = counts[counts["bucket_start"] == b]
        per = [int(sub.loc[sub["visit_type"] == vt, "slots"].sum()) for vt in vts]
        cur = sum(1 for s in cur_tpl.slots if s.start_minute // 60 * 60 == b)
        rows.append([_hhmm(int(b)), *map(str, per), str(sum(per)), str(cur)])
    lines += _table(["hour", *vts, "total", "total today"], rows)
    lines += ["", "**Appointment start times per doctor session** (`+` = overbooked)", ""]
    ob_lines = []
    for sid, slots in day_tpl.sessions().items():
        times = ", ".join(
            f"{'+' if s.overbooked else ''}{s.start_time} {codes[s.visit_type]}" for s in slots
        )
        end = _hhmm(max(s.start_minute + s.duration_minutes for s in slots))
        lines.append(f"- `{sid}` ({slots[0].start_time}-{end}): {times}")
        ob_lines += [
            f"- `{sid}` at {s.start_time}: one extra {s.visit_type} patient"
            for s in slots
            if s.overbooked
        ]
    lines += ["", "**Overbooking rules**", ""]
    if ob_lines:
        lines += [
            *ob_lines,
            "",
            "Release an overbooked slot for booking only once the regular slot at the same time "
            "in the same doctor session is booked; never move it to another time.",
        ]
    else:
        lines.append("- No overbooking on this day: book one patient per slot.")
    return [*lines, ""]


def _polyclinic_section(res: PolyclinicResult, table: pd.DataFrame, order: list[str]) -> list[str]:
    pid, tpl = res.polyclinic_id, res.recommended
    codes = abbreviations(sorted({s.visit_type for s in tpl.slots} | set(res.model.visit_types)))
    week = _best_row(table, pid, WEEK, res.trust.get("headline_source"))
    lines = [f"## Polyclinic {pid}", "", *clinic_trust(res.trust)]
    if week is not None:
        lines += [
            f"Expected over an average week ({week['source']}): mean wait "
            f"{_fmt(week['wait_mean_current'])} -> {_fmt(week['wait_mean_recommended'])} min "
            f"(waiting {change_words(week['wait_mean_current'], week['wait_mean_recommended'])}),"
            " utilisation "
            f"{_fmt(100 * week['utilization_current'])} % -> "
            f"{_fmt(100 * week['utilization_recommended'])} %, patients served "
            f"{_fmt(week['patients_served_current'], 0)} -> "
            f"{_fmt(week['patients_served_recommended'], 0)} per week.",
            "",
        ]
    lines += [
        "Import the template from `templates/"
        + pid
        + ".xlsx` (or `.csv` / `.json`). Codes: "
        + ", ".join(f"{c} = {vt}" for vt, c in codes.items())
        + ".",
        "",
    ]
    for day in tpl.weekdays:
        lines += _weekday_section(tpl, res.current, day, codes, _best_row(table, pid, day))
    gains = []
    for day in tpl.weekdays:
        r = _best_row(table, pid, day)
        if r is not None and math.isfinite(r["wait_reduction_min"]):
            gains.append((float(r["wait_reduction_min"]), day))
    pilot = WEEKDAY_NAMES[max(gains)[1]] if gains else WEEKDAY_NAMES[tpl.weekdays[0]]
    wave = order.index(pid) + 1 if pid in order else 1
    lines += [
        "### Phased roll-out plan",
        "",
        "1. Weeks 1-2, prepare: load the template into the booking system for dates four weeks "
        "ahead; brief reception and doctors; record today's KPIs below as the baseline.",
        f"2. Weeks 3-6, pilot on {pilot} only (the day with the largest expected gain); "
        "review the KPIs weekly with the clinic lead.",
        "3. Weeks 7-10, all weekdays, if no threshold below was breached for two weeks running.",
        f"4. Network wave {wave} of {max(len(order), 1)} (order of expected gain, see the top).",
        "5. Fall back to the previous template for any day whose thresholds stay breached "
        "for two consecutive weeks, and re-run polyslot with the new data.",
        "",
    ]
    lines += _monitoring(res, week)
    return lines


def _monitoring(res: PolyclinicResult, week: pd.Series | None) -> list[str]:
    def kpi(name: str) -> float:
        return float(week[f"{name}_recommended"]) if week is not None else float("nan")

    wait, p90, util, over = kpi("wait_mean"), kpi("wait_p90"), kpi("utilization"), kpi("overtime")
    wait_hi = float(week["wait_mean_recommended_ci_high"]) if week is not None else float("nan")
    rows = [
        ["mean wait per patient seen (min)", _fmt(wait), f"> {_fmt(max(wait_hi, 1.25 * wait))}"],
        ["90th-percentile wait (min)", _fmt(p90), f"> {_fmt(1.25 * p90)}"],
        ["doctor utilisation", _fmt(100 * util, 1, " %"), f"< {_fmt(100 * util - 5, 1, ' %')}"],
        ["overtime per week (doctor-min)", _fmt(over, 0), f"> {_fmt(1.5 * over + 30, 0)}"],
    ]
    for vt in res.model.visit_types:
        rates = [r.rate for r in res.model.no_show if r.visit_type == vt]
        if rates:
            p = 100 * sum(rates) / len(rates)
            rows.append([f"no-show rate, {vt}", _fmt(p, 1, " %"), "outside +/- 5 pp"])
    for vt in res.model.visit_types:
        lam = sum(d.mean for d in res.model.demand if d.visit_type == vt)
        if lam > 0:
            rows.append([f"requests per week, {vt}", _fmt(lam, 0), "outside +/- 10 %"])
    lines = ["### KPIs and thresholds to monitor (weekly)", ""]
    lines += _table(["KPI", "expected", "act when"], rows)
    lines += ["", "### When to re-run polyslot", ""]
    lines += [
        "- Every quarter, with the latest history.",
        "- When the doctor roster or opening hours change, or a visit type is added.",
        "- When any threshold above is breached for two consecutive weeks.",
        "- After the pilot, to re-estimate from the pilot weeks.",
    ]
    for name, value in sorted(res.break_even.items()):
        lines.append(f"- When {name.replace('_', ' ')} is crossed: break-even at {value:.3g}.")
    return [*lines, ""]


def build_guide(result: NetworkResult) -> str:
    """The implementation guide of ``result`` as Markdown."""
    table = compare_network(result)
    gains = []
    for res in result.polyclinics:
        r = _best_row(table, res.polyclinic_id, WEEK, res.trust.get("headline_source"))
        g = float(r["wait_reduction_min"]) if r is not None else float("nan")
        gains.append((-(g if math.isfinite(g) else -math.inf), res.polyclinic_id, g, r))
    gains.sort()
    order = [pid for _, pid, _, _ in gains]
    summary = build_summary(result)
    eligible = set(rollout_ids(summary))
    lines = [
        "# Implementation guide",
        "",
        "How to configure the appointment system with the recommended slot templates, roll them "
        "out and watch them work. Times are clock times; durations in minutes.",
        "",
        *first_screen(summary),
        "## Network roll-out order",
        "",
        "Only polyclinics with the verdict `recommend` are rolled out (low-confidence ones after "
        "checking the model against the history, above).",
        "",
    ]
    waves = [(pid, g, r) for _, pid, g, r in gains if pid in eligible]
    rows = [
        [
            str(i + 1),
            pid,
            _fmt(g),
            change_words(r["wait_mean_current"], r["wait_mean_recommended"])
            if r is not None
            else "n/a",
        ]
        for i, (pid, g, r) in enumerate(waves)
    ]
    if not rows:
        rows = [["-", "none: no polyclinic has the verdict recommend", "-", "-"]]
    lines += _table(["wave", "polyclinic", "wait reduction (min)", "waiting"], rows)
    net = _best_row(table, NETWORK_ID, WEEK)
    if net is not None:
        lines += [
            "",
            f"Network-wide: mean wait {_fmt(net['wait_mean_current'])} -> "
            f"{_fmt(net['wait_mean_recommended'])} min per patient seen, utilisation "
            f"{_fmt(100 * net['utilization_current'])} % -> "
            f"{_fmt(100 * net['utilization_recommended'])} %.",
        ]
    lines.append("")
    lines += network_guide_lines(dict(result.network))
    for res in result.polyclinics:
        lines += _polyclinic_section(res, table, order)
        lines += capacity_guide_lines(result.capacity.get(res.polyclinic_id))
    return "\n".join(lines).rstrip() + "\n"


def write_guide(result: NetworkResult, path: str | Path) -> Path:
    """Write ``guide.md`` atomically."""
    return write_text(path, build_guide(result))
