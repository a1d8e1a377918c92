"""Write the estimation outputs and render the fit-quality summary as a Rich table."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from polyslot.atomic import write_json
from polyslot.estimate.build import EstimationResult

__all__ = ["write_outputs", "summary_table"]


def write_outputs(result: EstimationResult, out_dir: str | Path) -> list[Path]:
    """Write ``<polyclinic_id>.json`` per model and ``fit_summary.json`` (atomic)."""
    out = Path(out_dir)
    paths = [m.to_json(out / f"{pc}.json") for pc, m in sorted(result.models.items())]
    paths.append(write_json(out / "fit_summary.json", result.summary))
    return paths


def summary_table(result: EstimationResult) -> Table:
    """One row per polyclinic x visit type: consultation fit, no-show rate, demand MASE."""
    table = Table(title="polyslot estimate: fit quality")
    for col in (
        "polyclinic",
        "visit type",
        "n",
        "family",
        "mean min",
        "KS",
        "pooled",
        "MASE",
        "MASE s-naive",
    ):
        table.add_column(col)
    mase = {(r["polyclinic_id"], r["visit_type"]): r for r in result.summary["demand"]["backtest"]}
    for r in result.summary["service_time"] or []:
        b = mase.get((r["polyclinic_id"], r["visit_type"]), {})
        table.add_row(
            r["polyclinic_id"],
            r["visit_type"],
            str(r["n_obs"]),
            r["family"],
            f"{r['mean_minutes']:.1f}",
            f"{r['ks_distance']:.3f}",
            "yes" if r["pooled"] else "",
            str(b.get("mase", "-")),
            str(b.get("mase_seasonal_naive", "-")),
        )
    ns = result.summary["no_show"].get("test", {})
    auc, brier = (("n/a" if ns.get(k) is None else ns[k]) for k in ("auc", "brier"))
    unplanned = ", ".join(
        f"{u['polyclinic_id']} {u['weekday']}" for u in result.summary.get("unplanned_weekdays", [])
    )
    table.caption = (
        f"no-show ({result.summary['no_show'].get('source')}): AUC {auc}, Brier {brier}; "
        f"weekdays not planned: {unplanned or 'none'}; skipped: "
        f"{', '.join(s['polyclinic_id'] for s in result.summary['skipped']) or 'none'}"
    )
    return table
