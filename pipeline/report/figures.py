"""Figures of a run, computed from its summed stats table (pure functions, no I/O).

Stats keys written by the pipeline (see pipeline/run.py):

* ``read/<source>``                                  records read (documents + rejected)
* ``rejected/<source>/<reason>``                     records that could not be parsed
* ``dropped/<stage:rule>/<source>/<lang>/<measure>`` documents removed by a stage
* ``point/<input|filtered|final>/<source>/<lang>/<docs|tokens|chars|bytes>``
* anything else: ``<stage>/...`` figures a stage reports (PII counts, dedup clusters, ...)
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

POINTS = ("input", "filtered", "final")
MEASURES = ("docs", "tokens", "chars", "bytes")


def language_table(stats: dict[str, int], point: str, sources: set[str] | None = None) -> list[dict[str, Any]]:
    """Per language at a measuring point: absolute figures and percentages, largest first."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) != 5 or parts[0] != "point" or parts[1] != point:
            continue
        _, _, source, lang, measure = parts
        if sources is not None and source not in sources:
            continue
        if measure in MEASURES:
            totals[lang][measure] += value
    grand = {m: sum(t[m] for t in totals.values()) for m in MEASURES}
    rows = []
    for lang, t in totals.items():
        row: dict[str, Any] = {"lang": lang}
        for m in MEASURES:
            row[m] = t[m]
            row[f"{m}_pct"] = 100.0 * t[m] / grand[m] if grand[m] else 0.0
        rows.append(row)
    rows.sort(key=lambda r: (-r["tokens"], -r["docs"], r["lang"]))
    return rows


def source_table(stats: dict[str, int], point: str) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 5 and parts[0] == "point" and parts[1] == point and parts[4] in MEASURES:
            totals[parts[2]][parts[4]] += value
    grand = {m: sum(t[m] for t in totals.values()) for m in MEASURES}
    rows = []
    for source in sorted(totals):
        row: dict[str, Any] = {"source": source, **totals[source]}
        for m in MEASURES:
            row[f"{m}_pct"] = 100.0 * totals[source][m] / grand[m] if grand[m] else 0.0
        rows.append(row)
    return rows


def funnel(stats: dict[str, int]) -> list[dict[str, Any]]:
    """Documents removed per stage and reason, with the languages they were in."""
    by_reason: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if parts[0] != "dropped" or len(parts) != 5 or parts[4] != "docs":
            continue
        reason, _source, lang = parts[1], parts[2], parts[3]
        entry = by_reason.setdefault(reason, {"reason": reason, "stage": reason.split(":", 1)[0],
                                              "docs": 0, "by_lang": defaultdict(int)})
        entry["docs"] += value
        entry["by_lang"][lang] += value
    rows = []
    for reason in sorted(by_reason):
        entry = by_reason[reason]
        entry["by_lang"] = dict(sorted(entry["by_lang"].items()))
        rows.append(entry)
    return rows


def stage_figures(stats: dict[str, int]) -> dict[str, dict[str, int]]:
    """Figures reported by stages themselves, grouped by stage name."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in stats.items():
        head = key.split("/", 1)[0]
        if head in ("read", "rejected", "dropped", "point"):
            continue
        out[head][key.split("/", 1)[1] if "/" in key else key] = value
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}
