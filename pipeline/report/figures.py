"""Figures of a run, computed from its summed stats table (pure functions, no I/O).

Stats keys written by the pipeline (see pipeline/graph/wiring.py):

* ``read/<source>``                                  records read (documents + rejected)
* ``rejected/<source>/<reason>``                     records that could not be parsed
* ``dropped/<stage:rule>/<source>/<lang>/<measure>`` documents removed by a stage
* ``point/<input|filtered|final>/<source>/<lang>/<docs|tokens|chars|bytes>``
* anything else: ``<stage>/...`` figures a stage reports. Groups the report knows:

  - ``dedup/cluster_size/<n>``, ``dedup/<exact|near>/cluster_size/<n>``, ``dedup/clusters``,
    ``dedup/<exact|near>/removed/<lang>``
  - ``pii/entity/<ENTITY>/<lang>``, ``pii/docs/<lang>``, ``pii/docs_with_pii/<lang>``,
    ``pii/spans/<lang>``
  - ``mixture/<available|target|planned|written>_tokens/<source>/<lang>``,
    ``mixture/written_docs/<source>/<lang>``, ``mixture/copies/<source>/<lang>``,
    ``mixture/epochs/<source>/<lang>``, ``mixture/budget_tokens``

  Every other key is listed generically under its stage; a missing group is simply absent.

Values are summed integers, except a few stage figures that may be floats (epochs).
Every function here tolerates malformed or unknown keys: it skips what it cannot read.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

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


def _num(value: Any) -> int | float:
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


# ---------------------------------------------------------------------------- languages


def language_table(stats: dict[str, Any], point: str, sources: set[str] | None = None) -> list[dict[str, Any]]:
    """Per language at a measuring point: absolute figures and percentages, largest first.

    Sorted by tokens, then documents (descending), then code: i.e. by share.
    """
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) != 5 or parts[0] != "point" or parts[1] != point:
            continue
        _, _, source, lang, measure = parts
        if sources is not None and source not in sources:
            continue
        if measure in MEASURES:
            totals[lang][measure] += _num(value)
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


def source_table(stats: dict[str, Any], point: str) -> list[dict[str, Any]]:
    """Per source at a measuring point, with its share of every measure."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 5 and parts[0] == "point" and parts[1] == point and parts[4] in MEASURES:
            totals[parts[2]][parts[4]] += _num(value)
    grand = {m: sum(t[m] for t in totals.values()) for m in MEASURES}
    rows = []
    for source in sorted(totals):
        row: dict[str, Any] = {"source": source, **totals[source]}
        for m in MEASURES:
            row[f"{m}_pct"] = pct(totals[source][m], grand[m])
        rows.append(row)
    return rows


def point_sources(stats: dict[str, Any]) -> list[str]:
    """Every source that appears at a measuring point or was read."""
    names = set()
    for key in stats:
        parts = key.split("/")
        if parts[0] == "point" and len(parts) == 5:
            names.add(parts[2])
        elif parts[0] == "read" and len(parts) == 2:
            names.add(parts[1])
    return sorted(names)


# ---------------------------------------------------------------------------- accounting


def _sum_dropped(stats: dict[str, Any], measure: str = "docs") -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for key, value in stats.items():
        parts = key.split("/")
        if parts[0] == "dropped" and len(parts) == 5 and parts[4] == measure:
            out[parts[1]] += _num(value)
    return dict(out)


def accounting(stats: dict[str, Any]) -> dict[str, Any]:
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
    read = sum(_num(v) for k, v in stats.items() if k.startswith("read/"))
    rejected_by_reason: dict[str, int] = defaultdict(int)
    rejected_by_source: dict[str, int] = defaultdict(int)
    for key, value in stats.items():
        parts = key.split("/", 2)
        if parts[0] == "rejected" and len(parts) == 3:
            rejected_by_reason[parts[2]] += _num(value)
            rejected_by_source[parts[1]] += _num(value)
    rejected = sum(rejected_by_reason.values())
    dropped_by_reason = _sum_dropped(stats)
    dropped_by_stage: dict[str, int] = defaultdict(int)
    for reason, n in dropped_by_reason.items():
        dropped_by_stage[reason.split(":", 1)[0]] += n
    dropped = sum(dropped_by_reason.values())
    written = sum(_num(v) for k, v in stats.items() if k.startswith("point/final/") and k.endswith("/docs"))
    extra_copies = sum(_num(v) for k, v in stats.items() if k.startswith("mixture/copies/"))
    canaries = sum(_num(v) for k, v in stats.items() if k.startswith("canaries/injected_docs/"))
    selected = sum(_num(v) for k, v in stats.items() if k.startswith("mixture/selected_docs/"))
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


def funnel(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Documents (and tokens) removed per stage and reason, with the languages they were in."""
    by_reason: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if parts[0] != "dropped" or len(parts) != 5 or parts[4] not in ("docs", "tokens"):
            continue
        reason, lang, measure = parts[1], parts[3], parts[4]
        entry = by_reason.setdefault(reason, {"reason": reason, "stage": reason.split(":", 1)[0],
                                              "docs": 0, "tokens": 0, "by_lang": defaultdict(int)})
        entry[measure] += _num(value)
        if measure == "docs":
            entry["by_lang"][lang] += _num(value)
    rows = []
    for reason in sorted(by_reason, key=lambda r: (stage_rank(by_reason[r]["stage"]), r)):
        entry = by_reason[reason]
        entry["by_lang"] = dict(sorted(entry["by_lang"].items(), key=lambda kv: (-kv[1], kv[0])))
        rows.append(entry)
    return rows


def funnel_steps(stats: dict[str, Any]) -> list[dict[str, Any]]:
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


def funnel_by_language(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Per language: documents at each point and dropped per stage, largest input first."""
    rows: dict[str, dict[str, Any]] = {}

    def row(lang: str) -> dict[str, Any]:
        return rows.setdefault(lang, {"lang": lang, **{p: 0 for p in POINTS}, "dropped": defaultdict(int)})

    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) != 5 or parts[4] != "docs":
            continue
        if parts[0] == "point" and parts[1] in POINTS:
            row(parts[3])[parts[1]] += _num(value)
        elif parts[0] == "dropped":
            row(parts[3])["dropped"][parts[1].split(":", 1)[0]] += _num(value)
    out = []
    for lang, r in rows.items():
        r["dropped"] = dict(sorted(r["dropped"].items(), key=lambda kv: stage_rank(kv[0])))
        out.append(r)
    out.sort(key=lambda r: (-(r["input"] + sum(r["dropped"].values())), r["lang"]))
    return out


# ---------------------------------------------------------------------------- stage groups


def _int_key(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _histogram(stats: dict[str, Any], prefix: str) -> list[list[int]]:
    hist: dict[int, int] = defaultdict(int)
    for key, value in stats.items():
        if key.startswith(prefix):
            size = _int_key(key[len(prefix):])
            if size is not None:
                hist[size] += _num(value)
    return [[size, hist[size]] for size in sorted(hist)]


def dedup_figures(stats: dict[str, Any]) -> dict[str, Any] | None:
    """Clusters and their size histogram (overall, exact, near), removed documents per language."""
    if not any(k.startswith("dedup/") for k in stats):
        return None
    kinds = sorted({k.split("/")[1] for k in stats
                    if k.startswith("dedup/") and len(k.split("/")) >= 3 and k.split("/")[2] == "cluster_size"})
    removed: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 4 and parts[0] == "dedup" and parts[2] == "removed":
            removed.setdefault(parts[1], {})
            removed[parts[1]][parts[3]] = removed[parts[1]].get(parts[3], 0) + _num(value)
    histogram = _histogram(stats, "dedup/cluster_size/")
    clusters = _num(stats.get("dedup/clusters", sum(n for _, n in histogram)))
    return {
        "clusters": clusters,
        "documents_in_clusters": sum(size * n for size, n in histogram),
        "histogram": histogram,
        "by_kind": {kind: {"clusters": _num(stats.get(f"dedup/{kind}/clusters", 0)),
                           "histogram": _histogram(stats, f"dedup/{kind}/cluster_size/")} for kind in kinds},
        "removed": {kind: dict(sorted(v.items())) for kind, v in sorted(removed.items())},
        "removed_by_dropped": {r: n for r, n in _sum_dropped(stats).items() if r.startswith("dedup:")},
    }


def pii_figures(stats: dict[str, Any]) -> dict[str, Any] | None:
    """PII counts per entity and language; documents scanned and with PII per language."""
    if not any(k.startswith("pii/") for k in stats):
        return None
    entities: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_lang: dict[str, dict[str, int]] = defaultdict(lambda: {"docs": 0, "docs_with_pii": 0, "spans": 0})
    for key, value in stats.items():
        parts = key.split("/")
        if parts[0] != "pii":
            continue
        if len(parts) == 4 and parts[1] == "entity":
            entities[parts[2]][parts[3]] += _num(value)
        elif len(parts) == 3 and parts[1] in ("docs", "docs_with_pii", "spans"):
            per_lang[parts[2]][parts[1]] += _num(value)
    languages = []
    for lang in sorted(per_lang, key=lambda l: (-per_lang[l]["docs"], l)):
        r = per_lang[lang]
        languages.append({"lang": lang, **r, "docs_with_pii_pct": pct(r["docs_with_pii"], r["docs"])})
    entity_rows = []
    for entity in sorted(entities, key=lambda e: (-sum(entities[e].values()), e)):
        by_lang = entities[entity]
        entity_rows.append({"entity": entity, "total": sum(by_lang.values()),
                            "by_lang": dict(sorted(by_lang.items(), key=lambda kv: (-kv[1], kv[0])))})
    return {
        "entities": entity_rows,
        "languages": languages,
        "total_entities": sum(r["total"] for r in entity_rows),
        "docs": sum(r["docs"] for r in languages),
        "docs_with_pii": sum(r["docs_with_pii"] for r in languages),
    }


def _per_key(stats: dict[str, Any], prefix: str, depth: int) -> dict[tuple[str, ...], int]:
    """Sums of the stats ``prefix/<k1>/.../<k_depth>``, keyed by the tuple of parts."""
    out: dict[tuple[str, ...], int] = defaultdict(int)
    for key, value in stats.items():
        if key.startswith(prefix + "/"):
            parts = tuple(key[len(prefix) + 1:].split("/"))
            if len(parts) == depth:
                out[parts] += _num(value)
    return out


def parallel_figures(stats: dict[str, Any]) -> dict[str, Any] | None:
    """English-paired data: pairs kept and dropped per language pair, with the drop reasons."""
    pairs = _per_key(stats, "parallel/pairs", 2)
    if not pairs:
        return None
    rows: dict[str, dict[str, int]] = defaultdict(lambda: {"kept": 0, "dropped": 0})
    for (pair, outcome), n in pairs.items():
        if outcome in ("kept", "dropped"):
            rows[pair][outcome] += n
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    for (pair, reason), n in _per_key(stats, "parallel/reasons", 2).items():
        reasons[pair][reason] = reasons[pair].get(reason, 0) + n
    table = [{"pair": pair, **r, "kept_pct": pct(r["kept"], r["kept"] + r["dropped"]),
              "reasons": dict(sorted(reasons[pair].items(), key=lambda kv: (-kv[1], kv[0])))}
             for pair, r in sorted(rows.items(), key=lambda kv: (-kv[1]["kept"], kv[0]))]
    return {"pairs": table, "kept": sum(r["kept"] for r in table), "dropped": sum(r["dropped"] for r in table)}


def control_token_figures(stats: dict[str, Any]) -> dict[str, Any] | None:
    """Documents marked with control tokens, per language and toxicity level."""
    marked = _per_key(stats, "control_tokens/marked", 1)
    if not marked and not _per_key(stats, "control_tokens/docs", 1):
        return None
    docs = _per_key(stats, "control_tokens/docs", 1)
    levels = _per_key(stats, "control_tokens/toxicity", 2)
    level_names = sorted({level for level, _ in levels})
    langs = sorted({k[0] for k in docs} | {k[0] for k in marked}, key=lambda l: (-docs.get((l,), 0), l))
    rows = []
    for lang in langs:
        row = {"lang": lang, "docs": docs.get((lang,), 0), "marked": marked.get((lang,), 0),
               "lang_tokens": _num(stats.get(f"control_tokens/lang/{lang}", 0))}
        row["levels"] = {level: levels.get((level, lang), 0) for level in level_names}
        row["marked_pct"] = pct(row["marked"], row["docs"])
        rows.append(row)
    return {"languages": rows, "levels": level_names, "docs": sum(r["docs"] for r in rows),
            "marked": sum(r["marked"] for r in rows),
            "by_level": {level: sum(r["levels"][level] for r in rows) for level in level_names}}


def canary_figures(stats: dict[str, Any]) -> dict[str, Any] | None:
    """Canaries injected per language and type (the secret texts stay in canaries/manifest.jsonl)."""
    injected = _per_key(stats, "canaries/injected_docs", 1)
    skipped = sorted(k[0] for k in _per_key(stats, "canaries/skipped_languages", 1))
    if not injected and not skipped:
        return None
    kinds = _per_key(stats, "canaries/canaries", 2)
    types = sorted({t for t, _ in kinds})
    tokens = _per_key(stats, "canaries/injected_tokens", 1)
    rows = [{"lang": lang, "canaries": {t: kinds.get((t, lang), 0) for t in types},
             "injected_docs": n, "injected_tokens": tokens.get((lang,), 0)}
            for (lang,), n in sorted(injected.items())]
    return {"languages": rows, "types": types, "skipped_languages": skipped,
            "canaries": sum(sum(r["canaries"].values()) for r in rows),
            "injected_docs": sum(r["injected_docs"] for r in rows)}


MIXTURE_FIELDS = ("available_tokens", "target_tokens", "planned_tokens", "written_tokens", "written_docs",
                  "copies", "epochs", "shortfall_tokens")


def mixture_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """Target vs achieved tokens per (source, language) bucket and per source.

    Without a mixture plan (no ``mixture/target_tokens`` keys: no budget, or the stage did
    not run) the target is what was available after filtering, so the comparison shows
    whether the final mixture kept the filtered composition.
    """
    buckets: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 4 and parts[0] == "mixture" and parts[1] in MIXTURE_FIELDS:
            buckets[(parts[2], parts[3])][parts[1]] = _num(value)
    filtered = defaultdict(int)
    final = defaultdict(int)
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 5 and parts[0] == "point" and parts[4] == "tokens":
            if parts[1] == "filtered":
                filtered[(parts[2], parts[3])] += _num(value)
            elif parts[1] == "final":
                final[(parts[2], parts[3])] += _num(value)
    planned = any("target_tokens" in b for b in buckets.values())
    rows = []
    for bucket in sorted(set(buckets) | set(filtered) | set(final)):
        b = buckets.get(bucket, {})
        available = b.get("available_tokens", filtered.get(bucket, 0))
        target = b.get("target_tokens", 0) if planned else available
        # what the sampler wrote; the final point also holds injected canaries, which are
        # not part of the composition the weights describe
        achieved = b["written_tokens"] if "written_tokens" in b else final.get(bucket, 0)
        rows.append({"source": bucket[0], "lang": bucket[1], "available_tokens": available,
                     "target_tokens": target, "achieved_tokens": achieved,
                     "copies": b.get("copies", 0),
                     "epochs": round(achieved / available, 4) if available else 0.0})
    total_target = sum(r["target_tokens"] for r in rows)
    total_achieved = sum(r["achieved_tokens"] for r in rows)
    for r in rows:
        r["target_pct"] = pct(r["target_tokens"], total_target)
        r["achieved_pct"] = pct(r["achieved_tokens"], total_achieved)
        r["achieved_vs_target"] = round(r["achieved_tokens"] / r["target_tokens"], 4) if r["target_tokens"] else None
    rows.sort(key=lambda r: (-r["target_tokens"], -r["achieved_tokens"], r["source"], r["lang"]))
    by_source: dict[str, dict[str, Any]] = {}
    for r in rows:
        s = by_source.setdefault(r["source"], {"source": r["source"], "available_tokens": 0, "target_tokens": 0,
                                               "achieved_tokens": 0})
        for f in ("available_tokens", "target_tokens", "achieved_tokens"):
            s[f] += r[f]
    sources = []
    for name in sorted(by_source):
        s = by_source[name]
        s["target_pct"] = pct(s["target_tokens"], total_target)
        s["achieved_pct"] = pct(s["achieved_tokens"], total_achieved)
        sources.append(s)
    budget = stats.get("mixture/budget_tokens")
    return {
        "planned": planned,
        "budget_tokens": _num(budget) if budget is not None else None,
        "target_tokens": total_target,
        "achieved_tokens": total_achieved,
        "buckets": rows,
        "sources": sources,
    }


def stage_figures(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every figure reported by the stages themselves, grouped by stage name."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, value in stats.items():
        head, _, rest = key.partition("/")
        if head in SPINE_GROUPS:
            continue
        out[head][rest or head] = _num(value)
    return {k: dict(sorted(v.items(), key=lambda kv: natural_key(kv[0])))
            for k, v in sorted(out.items(), key=lambda kv: stage_rank(kv[0]))}


def natural_key(key: str) -> tuple:
    """Sort key reading number parts as numbers: 'cluster_size/7' before 'cluster_size/300'."""
    import re

    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key))
