"""The token budget and the per-bucket sampling plan, without writing shards (the
pure part of ``mixture plan``; the command is :mod:`pipeline.plan_cli`).

Available tokens per (source, language) come either from the stats of a finished run
(``--from OUTPUT_DIR``: the ``mixture/available_*`` figures, or the ``point/filtered``
measurements) or from a counting-only run (:mod:`pipeline.graph.count`).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Mapping

from pipeline.mixture.allocation import Allocation, Bucket, BucketCounts, allocate
from pipeline.mixture.budget import budget_from_config
from pipeline.stats import MixtureBucket, MixtureBudget, Point, decode_all

STATS_FILES = ("_run/stats.json", "stats.json", "report/report.json")
_WHAT = ("docs", "tokens", "chars", "bytes")


# ---------------------------------------------------------------- available tokens


def available_from_stats(stats: Mapping[str, Any]) -> dict[Bucket, BucketCounts]:
    """Per-bucket counts from a run's flat stats table.

    Uses ``mixture/available_{docs,tokens,chars,bytes}/<source>/<lang>`` when the run
    sampled, else ``point/filtered/<source>/<lang>/{docs,tokens,chars,bytes}``.
    """
    found: dict[Bucket, dict[str, int]] = {}
    decoded = decode_all(dict(stats))
    for stat, value in decoded:
        if isinstance(stat, MixtureBucket) and stat.what.startswith("available_"):
            found.setdefault((stat.source, stat.lang), {})[stat.what[len("available_"):]] = int(value)
    if not found:
        for stat, value in decoded:
            if isinstance(stat, Point) and stat.point == "filtered":
                found.setdefault((stat.source, stat.lang), {})[stat.measure] = int(value)
    return {bucket: BucketCounts(**{w: counts.get(w, 0) for w in _WHAT}) for bucket, counts in sorted(found.items())}


def load_run_stats(output_dir: str) -> dict[str, Any]:
    """The flat stats table of a finished run (``_run/stats.json``, or report.json's "stats")."""
    for name in STATS_FILES:
        path = os.path.join(output_dir, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            if isinstance(data, dict) and isinstance(data.get("stats"), dict):
                return data["stats"]
            if isinstance(data, dict):
                return data
    raise FileNotFoundError(
        f"{output_dir}: no stats of a finished run (looked for {', '.join(STATS_FILES)})"
    )


# ---------------------------------------------------------------- report data


def mixture_summary(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Target vs achieved per bucket and per source, from a run's flat stats table.

    For the report: per (source, language) the available, target and written tokens,
    target and achieved shares of the mixture (and their difference in percentage
    points), planned and achieved epochs, copies and shortfall.
    """
    fields: dict[Bucket, dict[str, float]] = {}
    wanted = ("available_docs", "available_tokens", "target_tokens", "planned_tokens", "shortfall_tokens",
              "written_docs", "written_tokens", "copies", "epochs")
    for stat, value in decode_all(dict(stats)):
        if isinstance(stat, MixtureBucket) and stat.what in wanted:
            fields.setdefault((stat.source, stat.lang), {})[stat.what] = value
    total_target = math.fsum(f.get("target_tokens", 0) for f in fields.values())
    total_written = math.fsum(f.get("written_tokens", 0) for f in fields.values())
    buckets = []
    sources: dict[str, dict[str, float]] = {}
    for (source, lang), f in sorted(fields.items()):
        available = f.get("available_tokens", 0)
        target_share = f.get("target_tokens", 0) / total_target if total_target else 0.0
        achieved_share = f.get("written_tokens", 0) / total_written if total_written else 0.0
        buckets.append({
            "source": source, "lang": lang,
            "available_docs": int(f.get("available_docs", 0)), "available_tokens": int(available),
            "target_tokens": int(f.get("target_tokens", 0)), "written_tokens": int(f.get("written_tokens", 0)),
            "written_docs": int(f.get("written_docs", 0)), "copies": int(f.get("copies", 0)),
            "shortfall_tokens": int(f.get("shortfall_tokens", 0)),
            "target_share": target_share, "achieved_share": achieved_share,
            "share_error_pp": 100.0 * (achieved_share - target_share),
            "planned_epochs": float(f.get("epochs", 0.0)),
            "achieved_epochs": f.get("written_tokens", 0) / available if available else 0.0,
        })
        agg = sources.setdefault(source, {"available_tokens": 0, "target_tokens": 0, "written_tokens": 0})
        for name in agg:
            agg[name] += f.get(name, 0)
    source_rows = []
    for source, agg in sorted(sources.items()):
        target_share = agg["target_tokens"] / total_target if total_target else 0.0
        achieved_share = agg["written_tokens"] / total_written if total_written else 0.0
        source_rows.append({"source": source, **{k: int(v) for k, v in agg.items()},
                            "target_share": target_share, "achieved_share": achieved_share,
                            "share_error_pp": 100.0 * (achieved_share - target_share)})
    return {"budget_tokens": stats.get(MixtureBudget().key), "target_tokens": int(total_target),
            "written_tokens": int(total_written), "sources": source_rows, "buckets": buckets}


# ---------------------------------------------------------------- rendering


def _num(x: float | None) -> str:
    """Human-scale numbers: 1.83e+11 -> '182.6B'."""
    if x is None:
        return "-"
    x = float(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.1f}{suffix}"
    return f"{x:.0f}"


def render_table(allocation: Allocation) -> str:
    """The plan as a fixed-width text table."""
    lines = []
    b = allocation.budget
    if b is None:
        lines.append("budget: none (mixture.budget not set): every document is kept once")
    else:
        lines.append(f"budget: D = {b.tokens:.4g} tokens ({_num(b.tokens)})   from {b.how}")
        lines.append(f"        N = {b.params:.4g} parameters ({_num(b.params)})" if b.params else "        N = -")
        lines.append(f"        C = {b.compute_flops:.4g} FLOPs (C ≈ 6·N·D)" if b.compute_flops else "        C = -")
    cap = "none" if allocation.max_epochs is None else f"{allocation.max_epochs:g}"
    lines.append(f"max_epochs: {cap}   on_shortfall: {allocation.on_shortfall}")
    lines.append("")
    total = allocation.total_target_tokens
    header = ("source", "lang", "docs", "available", "target", "share", "rate/epochs", "shortfall")
    rows = [header]
    for bp in allocation.buckets:
        share = bp.target_tokens / total if total > 0 else 0.0
        rows.append((
            bp.source, bp.lang, f"{bp.available_docs:,}", _num(bp.available_tokens), _num(bp.target_tokens),
            f"{100 * share:.2f}%", f"{bp.rate:.3f}" + (" (capped)" if bp.capped else ""),
            _num(bp.shortfall_tokens) if bp.shortfall_tokens >= 0.5 else "-",
        ))
    for sp in allocation.sources:
        share = sp.target_tokens / total if total > 0 else 0.0
        rows.append((
            sp.source, "(all)", "", _num(sp.available_tokens), _num(sp.target_tokens), f"{100 * share:.2f}%",
            f"{sp.target_tokens / sp.available_tokens:.3f}" if sp.available_tokens else "-",
            _num(sp.shortfall_tokens) if sp.shortfall_tokens >= 0.5 else "-",
        ))
    rows.append(("TOTAL", "", f"{sum(bp.available_docs for bp in allocation.buckets):,}",
                 _num(allocation.total_available_tokens), _num(total), "100.00%" if total > 0 else "-",
                 f"{total / allocation.total_available_tokens:.3f}" if allocation.total_available_tokens else "-",
                 ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [str(c).ljust(widths[j]) if j < 2 else str(c).rjust(widths[j]) for j, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if i == 0 or i == len(allocation.buckets) or i == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    for warning in allocation.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines) + "\n"


def plan_from_counts(config, available: Mapping[Bucket, BucketCounts], *, compute_flops: float | None = None,
                     params: float | None = None, tokens: float | None = None) -> Allocation:
    """The allocation for ``available`` under the config, command-line budget overrides applied."""
    budget = budget_from_config(config.mixture.budget, tokens=tokens, compute_flops=compute_flops, params=params)
    return allocate(available, config.mixture, budget, [s.name for s in config.sources])
