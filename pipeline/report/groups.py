"""Figures of the stage groups the report has sections for (decontamination, dedup, PII,
parallel data, control tokens, canaries, mixture) and the generic per-stage listing, from a run's
decoded stats (:class:`pipeline.report.figures.StatTable`; pure functions, no I/O)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable, Mapping

from pipeline.report.figures import SPINE_GROUPS, StatTable, as_table, dropped_by_reason_of, num, pct, stage_rank
from pipeline.stats import (CanariesKind, CanariesLang, ControlTokensLang, ControlTokensToxicity,
                            DecontaminationAction, DecontaminationFile, DecontaminationIndex, DecontaminationItem,
                            DedupClusters, DedupClusterSize, DedupKindClusters, DedupKindClusterSize, DedupRemoved,
                            MixtureBucket, MixtureBudget, ParallelPair, ParallelReason, PiiEntity, PiiLang, Point)

AUDIT_FILE = "decontamination/matches.jsonl"  # relative to the output directory (pipeline/stages/decontamination.py)


# ---------------------------------------------------------------------------- stage groups


def _histogram(pairs: Iterable[tuple[Any, int]]) -> list[list[int]]:
    hist: dict[int, int] = defaultdict(int)
    for stat, value in pairs:
        hist[stat.size] += value
    return [[size, hist[size]] for size in sorted(hist)]


def decontamination_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, Any] | None:
    """Documents and tokens that overlapped evaluation items: per action and language, per
    evaluation file and language, and per item (most contaminated first)."""
    stats = as_table(stats)
    if "decontamination" not in stats.stages:
        return None
    by_lang: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"docs": 0, "tokens": 0})
    for stat, value in stats.of(DecontaminationAction):
        by_lang[(stat.action, stat.lang)][stat.measure] += value
    files: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"docs": 0, "tokens": 0})
    for stat, value in stats.of(DecontaminationFile):
        files[(stat.file, stat.lang)][stat.measure] += value
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for stat, value in stats.of(DecontaminationItem):
        entry = items.setdefault((stat.file, stat.item), {"file": stat.file, "item": stat.item, "docs": 0,
                                                          "tokens": 0, "ngrams": 0, "languages": {}})
        entry[stat.measure] += value
        if stat.measure == "docs":
            entry["languages"][stat.lang] = entry["languages"].get(stat.lang, 0) + value
    item_rows = sorted(items.values(), key=lambda e: (-e["docs"], -e["tokens"], e["file"], e["item"]))
    for entry in item_rows:
        entry["languages"] = dict(sorted(entry["languages"].items(), key=lambda kv: (-kv[1], kv[0])))
    file_rows = []
    for name in sorted({f for f, _ in files} | {e["file"] for e in item_rows}):
        langs = {lang: figures for (f, lang), figures in sorted(files.items()) if f == name}
        file_rows.append({"file": name, "items_contaminated": sum(1 for e in item_rows if e["file"] == name),
                          "docs": sum(v["docs"] for v in langs.values()),
                          "tokens": sum(v["tokens"] for v in langs.values()), "languages": langs})
    languages = [{"action": action, "lang": lang, **figures}
                 for (action, lang), figures in sorted(by_lang.items(), key=lambda kv: (-kv[1]["docs"], kv[0]))]
    return {"docs": sum(r["docs"] for r in languages), "tokens": sum(r["tokens"] for r in languages),
            "actions": sorted({r["action"] for r in languages}), "languages": languages, "files": file_rows,
            "items": item_rows, "index": {s.name: v for s, v in stats.of(DecontaminationIndex)},
            "audit": AUDIT_FILE}


def dedup_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, Any] | None:
    """Clusters and their size histogram (overall, exact, near), removed documents per language."""
    stats = as_table(stats)
    if "dedup" not in stats.stages:
        return None
    kinds = sorted({s.kind for s, _ in stats.of(DedupKindClusterSize)})
    removed: dict[str, dict[str, int]] = {}
    for stat, value in stats.of(DedupRemoved):
        removed.setdefault(stat.kind, {})
        removed[stat.kind][stat.lang] = removed[stat.kind].get(stat.lang, 0) + value
    histogram = _histogram(stats.of(DedupClusterSize))
    clusters = stats.of(DedupClusters)
    return {
        "clusters": clusters[0][1] if clusters else sum(n for _, n in histogram),
        "documents_in_clusters": sum(size * n for size, n in histogram),
        "histogram": histogram,
        "by_kind": {kind: {"clusters": stats.total(DedupKindClusters, kind=kind),
                           "histogram": _histogram((s, v) for s, v in stats.of(DedupKindClusterSize) if s.kind == kind)}
                    for kind in kinds},
        "removed": {kind: dict(sorted(v.items())) for kind, v in sorted(removed.items())},
        "removed_by_dropped": {r: n for r, n in dropped_by_reason_of(stats).items() if r.startswith("dedup:")},
    }


def pii_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, Any] | None:
    """PII counts per entity and language; documents scanned and with PII per language."""
    stats = as_table(stats)
    if "pii" not in stats.stages:
        return None
    entities: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_lang: dict[str, dict[str, int]] = defaultdict(lambda: {"docs": 0, "docs_with_pii": 0, "spans": 0})
    for stat, value in stats.of(PiiEntity):
        entities[stat.entity][stat.lang] += value
    for stat, value in stats.of(PiiLang):
        if stat.what in ("docs", "docs_with_pii", "spans"):
            per_lang[stat.lang][stat.what] += value
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


def parallel_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, Any] | None:
    """English-paired data: pairs kept and dropped per language pair, with the drop reasons."""
    stats = as_table(stats)
    if not stats.of(ParallelPair):
        return None
    rows: dict[str, dict[str, int]] = defaultdict(lambda: {"kept": 0, "dropped": 0})
    for stat, value in stats.of(ParallelPair):
        rows[stat.pair][stat.outcome] += value
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    for stat, value in stats.of(ParallelReason):
        reasons[stat.pair][stat.rule] = reasons[stat.pair].get(stat.rule, 0) + value
    table = [{"pair": pair, **r, "kept_pct": pct(r["kept"], r["kept"] + r["dropped"]),
              "reasons": dict(sorted(reasons[pair].items(), key=lambda kv: (-kv[1], kv[0])))}
             for pair, r in sorted(rows.items(), key=lambda kv: (-kv[1]["kept"], kv[0]))]
    return {"pairs": table, "kept": sum(r["kept"] for r in table), "dropped": sum(r["dropped"] for r in table)}


def _per_lang(stats: StatTable, kind: type, what: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for stat, value in stats.of(kind):
        if stat.what == what:
            out[stat.lang] += value
    return out


def control_token_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, Any] | None:
    """Documents marked with control tokens, per language and toxicity level."""
    stats = as_table(stats)
    marked = _per_lang(stats, ControlTokensLang, "marked")
    docs = _per_lang(stats, ControlTokensLang, "docs")
    if not marked and not docs:
        return None
    lang_tokens = _per_lang(stats, ControlTokensLang, "lang")
    levels: dict[tuple[str, str], int] = defaultdict(int)
    for stat, value in stats.of(ControlTokensToxicity):
        levels[(stat.level, stat.lang)] += value
    level_names = sorted({level for level, _ in levels})
    rows = []
    for lang in sorted(set(docs) | set(marked), key=lambda l: (-docs.get(l, 0), l)):
        row = {"lang": lang, "docs": docs.get(lang, 0), "marked": marked.get(lang, 0),
               "lang_tokens": lang_tokens.get(lang, 0)}
        row["levels"] = {level: levels.get((level, lang), 0) for level in level_names}
        row["marked_pct"] = pct(row["marked"], row["docs"])
        rows.append(row)
    return {"languages": rows, "levels": level_names, "docs": sum(r["docs"] for r in rows),
            "marked": sum(r["marked"] for r in rows),
            "by_level": {level: sum(r["levels"][level] for r in rows) for level in level_names}}


def canary_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, Any] | None:
    """Canaries injected per language and type (the secret texts stay in canaries/manifest.jsonl)."""
    stats = as_table(stats)
    injected = _per_lang(stats, CanariesLang, "injected_docs")
    skipped = sorted(_per_lang(stats, CanariesLang, "skipped_languages"))
    if not injected and not skipped:
        return None
    kinds: dict[tuple[str, str], int] = defaultdict(int)
    for stat, value in stats.of(CanariesKind):
        kinds[(stat.kind, stat.lang)] += value
    types = sorted({t for t, _ in kinds})
    tokens = _per_lang(stats, CanariesLang, "injected_tokens")
    rows = [{"lang": lang, "canaries": {t: kinds.get((t, lang), 0) for t in types},
             "injected_docs": n, "injected_tokens": tokens.get(lang, 0)}
            for lang, n in sorted(injected.items())]
    return {"languages": rows, "types": types, "skipped_languages": skipped,
            "canaries": sum(sum(r["canaries"].values()) for r in rows),
            "injected_docs": sum(r["injected_docs"] for r in rows)}


MIXTURE_FIELDS = ("available_tokens", "target_tokens", "planned_tokens", "written_tokens", "written_docs",
                  "copies", "epochs", "shortfall_tokens")



def mixture_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, Any]:
    """Target vs achieved tokens per (source, language) bucket and per source.

    Without a mixture plan (no ``mixture/target_tokens`` keys: no budget, or the stage did
    not run) the target is what was available after filtering, so the comparison shows
    whether the final mixture kept the filtered composition.
    """
    stats = as_table(stats)
    buckets: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for stat, value in stats.of(MixtureBucket):
        if stat.what in MIXTURE_FIELDS:
            buckets[(stat.source, stat.lang)][stat.what] = value
    filtered = defaultdict(int)
    final = defaultdict(int)
    for stat, value in stats.of(Point):
        if stat.measure == "tokens" and stat.point in ("filtered", "final"):
            (filtered if stat.point == "filtered" else final)[(stat.source, stat.lang)] += value
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
    budget = stats.of(MixtureBudget)
    return {
        "planned": planned,
        "budget_tokens": budget[0][1] if budget else None,
        "target_tokens": total_target,
        "achieved_tokens": total_achieved,
        "buckets": rows,
        "sources": sources,
    }

def stage_figures(stats: Mapping[str, Any] | StatTable) -> dict[str, dict[str, Any]]:
    """Every figure reported by the stages themselves, grouped by stage name (the key's first part)."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, value in as_table(stats).raw.items():
        head, _, rest = key.partition("/")
        if head in SPINE_GROUPS:
            continue
        out[head][rest or head] = num(value)
    return {k: dict(sorted(v.items(), key=lambda kv: natural_key(kv[0])))
            for k, v in sorted(out.items(), key=lambda kv: stage_rank(kv[0]))}


def natural_key(key: str) -> tuple:
    """Sort key reading number parts as numbers: 'cluster_size/7' before 'cluster_size/300'."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key))
