"""Figures of a run, computed from its summed stats table (pure functions, no I/O).

The keys are defined once, in pipeline/stats.py; :class:`StatTable` decodes a run's table
once (a key no template matches raises ``UnknownStat``) and every function here reads
the named tuples it needs. This module computes the spine of the report: languages and
sources at the measuring points (input / filtered / final), the accounting of every
record read and the filtering funnel; the stage sections are in pipeline/report/groups.py.

Values are summed integers, except a few stage figures that may be floats (epochs).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from pipeline.stats import CanariesLang, DroppedFigure, MixtureBucket, Point, ReadFigure, RejectedFigure, decode_all

from pipeline.graph.registry import STAGE_NAMES

POINTS = ("input", "filtered", "final")
MEASURES = ("docs", "tokens", "chars", "bytes")
SPINE_GROUPS = ("read", "rejected", "dropped", "point")

# Order in which stages remove documents: the stage registry's, between reading and writing;
# stages not listed here are placed after "pii" and before "mixture", alphabetically.
STAGE_ORDER = ("read", "normalize", *STAGE_NAMES, "write")

PCT_DIGITS = 6


def pct(part: float, whole: float) -> float:
    """Percentage rounded to PCT_DIGITS decimals (0 when the whole is 0)."""
    return round(100.0 * part / whole, PCT_DIGITS) if whole else 0.0


def num(value: Any) -> int | float:
    """Stats values are ints; floats that are whole numbers are normalised to int."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float)):
        return value
    return 0


def stage_rank(stage: str) -> tuple[int, str]:
    if stage in STAGE_ORDER:
        index = STAGE_ORDER.index(stage)
    else:
        index = STAGE_ORDER.index("pii") + 0.5  # unknown filter stages: after pii, before mixture
    return (index, stage)


class StatTable:
    """A run's stats table decoded once: ``(named tuple, value)`` pairs grouped by kind.

    Built from the flat ``{key: value}`` table of ``_run/stats.json``; raises
    ``pipeline.stats.UnknownStat`` when a key matches no template of pipeline/stats.py.
    """

    def __init__(self, stats: Mapping[str, Any]):
        self.raw = {key: stats[key] for key in sorted(stats)}
        self._by_kind: dict[type, list[tuple[Any, int | float]]] = defaultdict(list)
        self.stages: set[str] = set()
        for stat, value in decode_all(self.raw):
            self._by_kind[type(stat)].append((stat, num(value)))
            self.stages.add(stat.SEGMENTS[0].literal)

    def of(self, kind: type) -> list[tuple[Any, int | float]]:
        """Every ``(stat, value)`` of one kind, in key order."""
        return self._by_kind.get(kind, [])

    def total(self, kind: type, /, **fields: Any) -> int | float:
        """Sum of the values of one kind whose named fields have these values."""
        return sum(v for s, v in self.of(kind) if all(getattr(s, f) == x for f, x in fields.items()))


def as_table(stats: Mapping[str, Any] | StatTable) -> StatTable:
    return stats if isinstance(stats, StatTable) else StatTable(stats)


# ---------------------------------------------------------------------------- languages


def language_table(stats: StatTable, point: str, sources: set[str] | None = None) -> list[dict[str, Any]]:
    """Per language at a measuring point: absolute figures and percentages, largest first.

    Sorted by tokens, then documents (descending), then code: i.e. by share.
    """
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for stat, value in as_table(stats).of(Point):
        if stat.point == point and (sources is None or stat.source in sources):
            totals[stat.lang][stat.measure] += value
    grand = {m: sum(t[m] for t in totals.values()) for m in MEASURES}
    rows = []
    for lang, t in totals.items():
        row: dict[str, Any] = {"lang": lang}
        for m in MEASURES:
            row[m] = t[m]
            row[f"{m}_pct"] = pct(t[m], grand[m])
        rows.append(row)
    rows.sort(key=lambda r: (-r["tokens"], -r["docs"], r["lang"]))
    return rows


def source_table(stats: StatTable, point: str) -> list[dict[str, Any]]:
    """Per source at a measuring point, with its share of every measure."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for stat, value in as_table(stats).of(Point):
        if stat.point == point:
            totals[stat.source][stat.measure] += value
    grand = {m: sum(t[m] for t in totals.values()) for m in MEASURES}
    rows = []
    for source in sorted(totals):
        row: dict[str, Any] = {"source": source, **totals[source]}
        for m in MEASURES:
            row[f"{m}_pct"] = pct(totals[source][m], grand[m])
        rows.append(row)
    return rows


def point_sources(stats: StatTable, point: str | None = None) -> list[str]:
    """Every source measured at ``point`` (any point, or read, when None)."""
    table = as_table(stats)
    names = {s.source for s, _ in table.of(Point) if point is None or s.point == point}
    if point is None:
        names |= {s.source for s, _ in table.of(ReadFigure)}
    return sorted(names)


# ---------------------------------------------------------------------------- accounting


def dropped_by_reason_of(stats: StatTable, measure: str = "docs") -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for stat, value in stats.of(DroppedFigure):
        if stat.measure == measure:
            out[stat.reason] += value
    return dict(out)



def accounting(stats: Mapping[str, Any] | StatTable) -> dict[str, Any]:
    """Where every record read went.

    ``read = selected + dropped + rejected`` (each record read is counted once) and
    ``written = selected + extra_copies + canaries`` (the mixture may repeat documents and
    canaries are added, so the shards can hold more documents than were selected).

    Every term is counted on its own: ``read`` by the readers, ``dropped`` where a stage
    drops, ``rejected`` where a record is refused, ``selected`` (originals) and
    ``extra_copies`` by the mixture sampler, ``canaries`` by the canary stage and
    ``written`` at the final measuring point before the shards, so either equation fails
    when a document is lost or duplicated on its way.
    """
    stats = as_table(stats)
    read = stats.total(ReadFigure)
    rejected_by_reason: dict[str, int] = defaultdict(int)
    rejected_by_source: dict[str, int] = defaultdict(int)
    for stat, value in stats.of(RejectedFigure):
        rejected_by_reason[stat.reason] += value
        rejected_by_source[stat.source] += value
    rejected = sum(rejected_by_reason.values())
    dropped_by_reason = dropped_by_reason_of(stats)
    dropped_by_stage: dict[str, int] = defaultdict(int)
    for reason, n in dropped_by_reason.items():
        dropped_by_stage[reason.split(":", 1)[0]] += n
    dropped = sum(dropped_by_reason.values())
    written = stats.total(Point, point="final", measure="docs")
    extra_copies = stats.total(MixtureBucket, what="copies")
    canaries = stats.total(CanariesLang, what="injected_docs")
    selected = stats.total(MixtureBucket, what="selected_docs")
    return {
        "read": read,
        "rejected": rejected,
        "dropped": dropped,
        "selected": selected,
        "extra_copies": extra_copies,
        "canaries": canaries,
        "written": written,
        "dropped_by_stage": dict(sorted(dropped_by_stage.items(), key=lambda kv: stage_rank(kv[0]))),
        "dropped_by_reason": dict(sorted(dropped_by_reason.items())),
        "rejected_by_reason": dict(sorted(rejected_by_reason.items())),
        "rejected_by_source": dict(sorted(rejected_by_source.items())),
        "read_balanced": read == selected + dropped + rejected,
        "written_balanced": written == selected + extra_copies + canaries,
        "balanced": read == selected + dropped + rejected and written == selected + extra_copies + canaries,
    }


def imbalance(acct: dict[str, Any]) -> list[str]:
    """One sentence per equation of :func:`accounting` that does not hold (empty when balanced)."""
    problems = []
    accounted = acct["selected"] + acct["dropped"] + acct["rejected"]
    if acct["read"] != accounted:
        problems.append(f"{acct['read']:,} records were read but {accounted:,} are accounted for "
                        "(selected + dropped + rejected): a stage before the mixture lost or duplicated "
                        f"{abs(acct['read'] - accounted):,}")
    produced = acct["selected"] + acct["extra_copies"] + acct.get("canaries", 0)
    if acct["written"] != produced:
        problems.append(f"{acct['written']:,} documents reached the shards but the mixture and canary stages "
                        f"emitted {produced:,} (selected + extra copies + canaries): "
                        f"{abs(acct['written'] - produced):,} were lost or duplicated after sampling")
    return problems


def accounting_line(acct: dict[str, Any]) -> str:
    """'read = selected + dropped + rejected; written = selected + extra copies' with figures."""
    ok = "balanced" if acct.get("balanced") else "NOT BALANCED"
    return (f"read {acct['read']:,} = selected {acct['selected']:,} + dropped {acct['dropped']:,} "
            f"+ rejected {acct['rejected']:,}; written {acct['written']:,} = selected {acct['selected']:,} "
            f"+ extra copies {acct['extra_copies']:,}"
            + (f" + canaries {acct['canaries']:,}" if acct.get("canaries") else "") + f" ({ok})")



# ---------------------------------------------------------------------------- funnel


def funnel(stats: Mapping[str, Any] | StatTable) -> list[dict[str, Any]]:
    """Documents (and tokens) removed per stage and reason, with the languages they were in."""
    by_reason: dict[str, dict[str, Any]] = {}
    for stat, value in as_table(stats).of(DroppedFigure):
        if stat.measure not in ("docs", "tokens"):
            continue
        entry = by_reason.setdefault(stat.reason, {"reason": stat.reason, "stage": stat.reason.split(":", 1)[0],
                                                   "docs": 0, "tokens": 0, "by_lang": defaultdict(int)})
        entry[stat.measure] += value
        if stat.measure == "docs":
            entry["by_lang"][stat.lang] += value
    rows = []
    for reason in sorted(by_reason, key=lambda r: (stage_rank(by_reason[r]["stage"]), r)):
        entry = by_reason[reason]
        entry["by_lang"] = dict(sorted(entry["by_lang"].items(), key=lambda kv: (-kv[1], kv[0])))
        rows.append(entry)
    return rows



def funnel_steps(stats: Mapping[str, Any] | StatTable) -> list[dict[str, Any]]:
    """The documents remaining after each step, from records read to documents written.

    Steps: read, rejected, one per stage that dropped documents (in pipeline order),
    then the extra copies added by the mixture and the injected canaries (if any), and written.
    """
    acct = accounting(stats)
    steps = [{"step": "read", "change": acct["read"], "remaining": acct["read"]}]
    remaining = acct["read"] - acct["rejected"]
    steps.append({"step": "rejected", "change": -acct["rejected"], "remaining": remaining})
    for stage, n in acct["dropped_by_stage"].items():
        remaining -= n
        steps.append({"step": stage, "change": -n, "remaining": remaining})
    if acct["extra_copies"]:
        remaining += acct["extra_copies"]
        steps.append({"step": "extra copies", "change": acct["extra_copies"], "remaining": remaining})
    if acct.get("canaries"):
        remaining += acct["canaries"]
        steps.append({"step": "canaries", "change": acct["canaries"], "remaining": remaining})
    steps.append({"step": "written", "change": 0, "remaining": acct["written"]})
    return steps

def funnel_by_language(stats: Mapping[str, Any] | StatTable) -> list[dict[str, Any]]:
    """Per language: documents at each point and dropped per stage, largest input first."""
    stats = as_table(stats)
    rows: dict[str, dict[str, Any]] = {}

    def row(lang: str) -> dict[str, Any]:
        return rows.setdefault(lang, {"lang": lang, **{p: 0 for p in POINTS}, "dropped": defaultdict(int)})

    for stat, value in stats.of(Point):
        if stat.measure == "docs":
            row(stat.lang)[stat.point] += value
    for stat, value in stats.of(DroppedFigure):
        if stat.measure == "docs":
            row(stat.lang)["dropped"][stat.reason.split(":", 1)[0]] += value
    out = []
    for lang, r in rows.items():
        r["dropped"] = dict(sorted(r["dropped"].items(), key=lambda kv: stage_rank(kv[0])))
        out.append(r)
    out.sort(key=lambda r: (-(r["input"] + sum(r["dropped"].values())), r["lang"]))
    return out
