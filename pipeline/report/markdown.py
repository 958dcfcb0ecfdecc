"""report.md: the report as Markdown tables, rendered from a report dict (report.json)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from pipeline.report.figures import POINTS, accounting_line, stage_rank
from pipeline.report.tables import table_rows_with_others



def rendered_groups(report: dict[str, Any]) -> set[str]:
    """Stage groups with a section of their own; the others are listed as raw figures (an
    optional section whose figures could not be read keeps its raw figures visible)."""
    return {"dedup", "pii", "mixture"} | {g for g in ("parallel", "control_tokens", "canaries") if report.get(g)}
MAX_ROWS = 200  # long generic tables are cut here; report.json has everything


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _cell(value: Any) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def largest(counts: dict[str, int], n: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def accounting_rows(acct: dict[str, Any]) -> list[list[Any]]:
    """Rows (what, records) of the accounting table, for every renderer."""
    rows = [["records read", acct["read"]], ["rejected (unreadable input)", acct["rejected"]]]
    for stage, n in sorted(acct.get("dropped_by_stage", {}).items(), key=lambda kv: stage_rank(kv[0])):
        rows.append([f"dropped by {stage}", n])
    rows += [["selected for the mixture", acct["selected"]], ["extra copies (repetition)", acct["extra_copies"]]]
    if acct.get("canaries"):
        rows.append(["canary documents injected", acct["canaries"]])
    rows.append(["written to the shards", acct["written"]])
    return rows


def funnel_step_rows(f: dict[str, Any]) -> list[list[Any]]:
    """Rows (step, change, documents remaining) of the funnel, for every renderer."""
    return [[s["step"], "" if s["step"] in ("read", "written") else f"{s['change']:+,}", s["remaining"]]
            for s in f["steps"]]


def funnel_reason_rows(f: dict[str, Any], top: int = 5) -> list[list[Any]]:
    """Rows (stage, reason, documents, tokens, largest languages) of the funnel."""
    rows = []
    for r in f["reasons"]:
        langs = ", ".join(f"{lang} {n:,}" for lang, n in largest(r["by_lang"], top))
        if len(r["by_lang"]) > top:
            langs += f", … ({len(r['by_lang']) - top} more)"
        rows.append([r["stage"], r["reason"], r["docs"], r["tokens"], langs])
    return rows


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str | None = None) -> list[str]:
    """A Markdown table; ``align`` is one char per column, 'l' or 'r' (default: l then r)."""
    align = align or ("l" + "r" * (len(header) - 1))
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(c if isinstance(c, str) else _cell(c) for c in row) + " |")
    return lines


def top_table_md(table: dict[str, Any]) -> list[str]:
    if not table or not table.get("rows"):
        return ["No documents at this point.", ""]
    measure = table["measure"]
    header = ["#", "language", "code", f"% of {measure}", "documents", "tokens", "% documents"]
    rows = []
    for r in table_rows_with_others(table):
        rows.append([fmt(r["rank"]) if r["rank"] else "", _cell(r["name"]), r["lang"] or "",
                     fmt_pct(r["share_pct"]), r["docs"], r["tokens"], fmt_pct(r["docs_pct"])])
    total = table["total"]
    rows.append(["", "**total**", "", "100.00", total["docs"], total["tokens"], "100.00"])
    return md_table(header, rows, "rllrrrr") + [""]


def _accounting_md(acct: dict[str, Any]) -> list[str]:
    lines = ["## Accounting", "", accounting_line(acct), ""]
    return lines + md_table(["", "records"], accounting_rows(acct)) + [""]


def _sources_md(report: dict[str, Any]) -> list[str]:
    lines = ["## Sources", ""]
    header = ["source"] + [f"{p} docs" for p in POINTS] + [f"{p} tokens" for p in POINTS] + ["final % tokens"]
    names = sorted({r["source"] for p in POINTS for r in report["sources"].get(p, [])})
    by = {p: {r["source"]: r for r in report["sources"].get(p, [])} for p in POINTS}
    rows = []
    for name in names:
        row: list[Any] = [name]
        row += [by[p].get(name, {}).get("docs", 0) for p in POINTS]
        row += [by[p].get(name, {}).get("tokens", 0) for p in POINTS]
        row.append(fmt_pct(by["final"].get(name, {}).get("tokens_pct", 0.0)))
        rows.append(row)
    return lines + (md_table(header, rows) if rows else ["No sources measured."]) + [""]


def _languages_points_md(report: dict[str, Any]) -> list[str]:
    lines = ["## Languages at each point (all sources)", "",
             "Documents, tokens and bytes per language at input (after language ID), after filtering "
             "and deduplication, and in the final mixture; percentages are shares of the point's total.", ""]
    by = {p: {r["lang"]: r for r in report["languages"].get(p, [])} for p in POINTS}
    order = [r["lang"] for r in report["languages"].get("input", [])]
    order += [lang for p in POINTS for lang in by[p] if lang not in order]
    header = ["language", "code"]
    for p in POINTS:
        header += [f"{p} docs", f"{p} % tokens", f"{p} % bytes"]
    rows = []
    names = report.get("language_names", {})
    for lang in order[:MAX_ROWS]:
        row: list[Any] = [_cell(names.get(lang, lang)), lang]
        for p in POINTS:
            r = by[p].get(lang)
            row += [r["docs"] if r else 0, fmt_pct(r["tokens_pct"] if r else 0.0), fmt_pct(r["bytes_pct"] if r else 0.0)]
        rows.append(row)
    if not rows:
        return lines + ["No documents measured.", ""]
    out = lines + md_table(header, rows, "ll" + "r" * (len(header) - 2))
    if len(order) > MAX_ROWS:
        out.append(f"\n{len(order) - MAX_ROWS} more languages in languages.csv.")
    return out + [""]


def _funnel_md(report: dict[str, Any]) -> list[str]:
    f = report["funnel"]
    lines = ["## Filtering funnel", ""]
    lines += md_table(["step", "change", "documents remaining"], funnel_step_rows(f)) + [""]
    if f["reasons"]:
        rows = funnel_reason_rows(f)
        lines += ["### Dropped documents per reason", ""]
        lines += md_table(["stage", "reason", "documents", "tokens", "largest languages"], rows, "llrrl") + [""]
    stages = sorted({s for r in f["by_language"] for s in r["dropped"]}, key=stage_rank)
    if f["by_language"] and stages:
        lines += ["### Per language", ""]
        header = ["code", "input"] + [f"− {s}" for s in stages] + ["filtered", "final"]
        rows = [[r["lang"], r["input"], *[r["dropped"].get(s, 0) for s in stages], r["filtered"], r["final"]]
                for r in f["by_language"][:MAX_ROWS]]
        lines += md_table(header, rows) + [""]
    return lines


def _rejected_md(acct: dict[str, Any]) -> list[str]:
    lines = ["## Rejected input records", ""]
    if not acct.get("rejected_by_reason"):
        return lines + ["None.", ""]
    return lines + md_table(["reason", "records"], list(acct["rejected_by_reason"].items())) + [
        "", "Every rejected record is listed in `rejected/` with its file, line and reason.", ""]


def _dedup_md(d: dict[str, Any] | None) -> list[str]:
    lines = ["## Deduplication", ""]
    if not d:
        return lines + ["The dedup stage did not run.", ""]
    lines.append(f"{d['clusters']:,} duplicate clusters holding {d['documents_in_clusters']:,} documents.")
    lines.append("")
    if d["histogram"]:
        lines += ["### Cluster sizes", ""]
        kinds = sorted(d["by_kind"])
        per_kind = {k: dict((s, n) for s, n in d["by_kind"][k]["histogram"]) for k in kinds}
        rows = [[size, n, *[per_kind[k].get(size, 0) for k in kinds]] for size, n in d["histogram"][:MAX_ROWS]]
        lines += md_table(["cluster size", "clusters", *kinds], rows, "r" * (2 + len(kinds))) + [""]
    if d["removed_by_dropped"]:
        lines += md_table(["reason", "documents removed"], list(d["removed_by_dropped"].items())) + [""]
    return lines


def _pii_md(p: dict[str, Any] | None, names: dict[str, str]) -> list[str]:
    lines = ["## PII", ""]
    if not p:
        return lines + ["The PII stage did not run.", ""]
    lines += [f"{p['total_entities']:,} entities replaced; {p['docs_with_pii']:,} of {p['docs']:,} documents "
              "contained PII.", ""]
    if p["entities"]:
        langs = sorted({lang for e in p["entities"] for lang in e["by_lang"]})
        rows = [[e["entity"], e["total"], *[e["by_lang"].get(lang, 0) for lang in langs]] for e in p["entities"]]
        lines += md_table(["entity", "total", *langs], rows) + [""]
    if p["languages"]:
        rows = [[_cell(names.get(r["lang"], r["lang"])), r["lang"], r["docs"], r["docs_with_pii"],
                 fmt_pct(r["docs_with_pii_pct"]), r["spans"]] for r in p["languages"][:MAX_ROWS]]
        lines += md_table(["language", "code", "documents", "with PII", "% with PII", "spans"], rows, "llrrrr") + [""]
    return lines


def optional_sections(report: dict[str, Any]) -> list[tuple[str, str, str, list[str], list[list[Any]]]]:
    """(anchor, title, summary, header, rows) of the parallel-data, control-token and
    canary sections — the same tables for Markdown and HTML; a stage that did not run
    has no section."""
    names = report.get("language_names", {})
    out = []
    p = report.get("parallel")
    if p:
        rows = [[r["pair"], r["kept"], r["dropped"], fmt_pct(r["kept_pct"]),
                 ", ".join(f"{reason} {n:,}" for reason, n in r.get("reasons", {}).items()) or "–"]
                for r in p["pairs"][:MAX_ROWS]]
        out.append(("parallel", "Parallel data",
                    f"{p['kept']:,} English-paired examples kept, {p['dropped']:,} pairs dropped.",
                    ["language pair", "kept", "dropped", "% kept", "dropped by reason (parallel:…)"], rows))
    c = report.get("control_tokens")
    if c:
        rows = [[_cell(names.get(r["lang"], r["lang"])), r["lang"], r["docs"], r["marked"], fmt_pct(r["marked_pct"]),
                 *[r["levels"][level] for level in c["levels"]], r["lang_tokens"]] for r in c["languages"][:MAX_ROWS]]
        levels = ", ".join(f"{level} {n:,}" for level, n in c["by_level"].items()) or "none"
        out.append(("control_tokens", "Control tokens",
                    f"{c['marked']:,} of {c['docs']:,} documents carry control tokens (toxicity levels: {levels}).",
                    ["language", "code", "documents", "marked", "% marked",
                     *[f"toxicity:{level}" for level in c["levels"]], "lang token"], rows))
    k = report.get("canaries")
    if k:
        rows = [[_cell(names.get(r["lang"], r["lang"])), r["lang"], *[r["canaries"][t] for t in k["types"]],
                 r["injected_docs"], r["injected_tokens"]] for r in k["languages"]]
        skipped = (f" Languages without enough long documents: {', '.join(k['skipped_languages'])}."
                   if k["skipped_languages"] else "")
        out.append(("canaries", "Canaries",
                    f"{k['canaries']:,} canaries injected as {k['injected_docs']:,} documents; their texts are in "
                    f"the secret canaries/manifest.jsonl.{skipped}",
                    ["language", "code", *k["types"], "documents injected", "tokens injected"], rows))
    return out


def _optional_md(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for _anchor, title, summary, header, rows in optional_sections(report):
        lines += [f"## {title}", "", summary, ""] + md_table(header, rows) + [""]
    return lines


def _mixture_md(m: dict[str, Any]) -> list[str]:
    lines = ["## Target vs achieved mixture", ""]
    if not m["buckets"]:
        return lines + ["No documents reached the mixture.", ""]
    if m["planned"]:
        budget = f"budget {m['budget_tokens']:,} tokens; " if m.get("budget_tokens") is not None else ""
        lines += [f"{budget}target {m['target_tokens']:,} tokens, achieved {m['achieved_tokens']:,} tokens.", ""]
    else:
        lines += ["No mixture plan (no budget, or the sampling stage did not run): the target shown is what "
                  "was available after filtering.", ""]
    header, rows = mixture_rows(m, "sources")
    lines += ["### Per source", ""] + md_table(header, rows) + [""]
    header, rows = mixture_rows(m, "buckets")
    lines += ["### Per source and language", ""] + md_table(header, rows, "ll" + "r" * (len(header) - 2)) + [""]
    return lines


def mixture_rows(m: dict[str, Any], level: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the target-vs-achieved table per source or per bucket (source, language).

    Without a plan the target is the available amount, so its columns are not repeated.
    """
    planned = m["planned"]
    header = ["source"] + (["code"] if level == "buckets" else []) + ["available tokens"]
    header += (["target tokens"] if planned else []) + ["achieved tokens"]
    header += (["target %"] if planned else ["available %"]) + ["achieved %"]
    if level == "buckets":
        header += ["epochs", "extra copies"]
    rows = []
    for r in m[level][:MAX_ROWS]:
        row: list[Any] = [r["source"]] + ([r["lang"]] if level == "buckets" else []) + [r["available_tokens"]]
        row += ([r["target_tokens"]] if planned else []) + [r["achieved_tokens"]]
        row += [fmt_pct(r["target_pct"]), fmt_pct(r["achieved_pct"])]
        if level == "buckets":
            row += [r["epochs"], r["copies"]]
        rows.append(row)
    return header, rows


def _other_stages_md(stages: dict[str, dict[str, Any]], special: set[str]) -> list[str]:
    others = {k: v for k, v in stages.items() if k not in special}
    if not others:
        return []
    lines = ["## Other stage figures", ""]
    for stage, figures in others.items():
        lines += [f"### {stage}", ""]
        items = list(figures.items())
        lines += md_table(["figure", "value"], items[:MAX_ROWS])
        if len(items) > MAX_ROWS:
            lines.append(f"\n{len(items) - MAX_ROWS} more figures in report.json.")
        lines.append("")
    return lines


def _shards_md(shards: dict[str, Any]) -> list[str]:
    if not shards:
        return []
    lines = ["## Shards", "", f"{shards.get('count', 0):,} files ({shards.get('format', '?')}), "
             f"{shards.get('documents', 0):,} documents, {shards.get('tokens', 0):,} tokens.", ""]
    files = shards.get("files", [])
    if files:
        lines += md_table(["file", "documents", "tokens", "bytes", "sha256"],
                          [[f["file"], f["documents"], f["tokens"], f["bytes"], f"`{f['sha256'][:16]}…`"]
                           for f in files[:MAX_ROWS]], "lrrrl") + [""]
    return lines


def report_markdown(report: dict[str, Any]) -> str:
    acct = report["accounting"]
    names = report.get("language_names", {})
    versions = ", ".join(f"{k} {v}" for k, v in sorted(report.get("versions", {}).items()))
    tops = report["top_languages"]
    lines = [f"# Mixture report: {report['name']}", "",
             f"Seed {report['seed']}, config sha256 `{report['config_sha256']}`.", ""]
    if versions:
        lines += [f"Versions: {versions}.", ""]
    lines += _accounting_md(acct)
    lines += ["## Top languages of the document sources (after filtering and deduplication)", "",
              f"Like the PaLM 2 appendix table: the {tops['documents_filtered']['top']} largest languages by share of "
              f"{tops['documents_filtered']['measure']}, the rest summed as \"others\".", ""]
    lines += top_table_md(tops["documents_filtered"])
    lines += ["## Top languages of the final mixture", ""]
    lines += top_table_md(tops["final"])
    lines += _sources_md(report)
    lines += _languages_points_md(report)
    lines += _funnel_md(report)
    lines += _rejected_md(acct)
    lines += _dedup_md(report.get("dedup"))
    lines += _pii_md(report.get("pii"), names)
    lines += _optional_md(report)
    lines += _mixture_md(report["mixture"])
    lines += _other_stages_md(report.get("stages", {}), rendered_groups(report))
    lines += _shards_md(report.get("shards", {}))
    return "\n".join(lines).rstrip("\n") + "\n"
