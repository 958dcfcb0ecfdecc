"""The report as one model: sections of paragraphs, headings, tables, charts and folds.

:func:`report_sections` builds the model from a report dict (report.json); the two
templates in ``pipeline/report/templates/`` render it to Markdown and HTML
(pipeline/report/render.py), so each section is written once. A block may be marked for
one format only (``only="html"`` for charts and the raw figures of stages that have a
section of their own); a :class:`Fold` is a collapsible ``<details>`` in HTML and a
``###`` heading in Markdown; :class:`Columns` sit side by side in HTML and follow each
other in Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from pipeline.report import charts
from pipeline.report.figures import POINTS, accounting_line, stage_rank
from pipeline.report.tables import table_rows_with_others

MAX_ROWS = 200  # long tables are cut here; report.json has everything


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


# ---------------------------------------------------------------------------- blocks


@dataclass
class Block:
    only: str | None = field(default=None, kw_only=True)  # "html" or "md": rendered in that format only

    def shown(self, fmt_name: str) -> bool:
        return self.only is None or self.only == fmt_name


@dataclass
class Paragraph(Block):
    kind = "paragraph"
    text: str
    style: str = ""  # HTML class


@dataclass
class Heading(Block):
    kind = "heading"
    text: str


@dataclass
class Table(Block):
    kind = "table"
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    numeric: Sequence[bool] | None = None  # right-aligned columns; default every column but the first
    classes: Sequence[str] | None = None  # per row: "", "others" or "total"
    note: str = ""  # a line after the table (rows cut, where the rest is)

    def __post_init__(self):
        if self.numeric is None:
            self.numeric = [False] + [True] * (len(self.header) - 1)
        self.classes = list(self.classes) if self.classes else [""] * len(self.rows)


@dataclass
class Chart(Block):
    kind = "chart"
    draw: Callable[[], bytes | None]
    alt: str

    def data_uri(self) -> str:
        png = self.draw()
        return charts.data_uri(png) if png is not None else ""


@dataclass
class Fold(Block):
    kind = "fold"
    summary: str
    blocks: list[Block]
    open: bool = False


@dataclass
class Columns(Block):
    kind = "columns"
    columns: list[list[Block]]


@dataclass
class Section:
    anchor: str
    title: str
    nav: str
    blocks: list[Block]

    def blocks_for(self, fmt_name: str) -> list[Block]:
        return [b for b in self.blocks if b.shown(fmt_name)]


# ---------------------------------------------------------------------------- sections


def largest(counts: dict[str, int], n: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def _cut(rows: list, what: str, where: str) -> str:
    return f"{len(rows) - MAX_ROWS} more {what} in {where}." if len(rows) > MAX_ROWS else ""


def _accounting(acct: dict[str, Any]) -> Section:
    rows = [["records read", acct["read"]], ["rejected (unreadable input)", acct["rejected"]]]
    for stage, n in sorted(acct.get("dropped_by_stage", {}).items(), key=lambda kv: stage_rank(kv[0])):
        rows.append([f"dropped by {stage}", n])
    rows += [["selected for the mixture", acct["selected"]], ["extra copies (repetition)", acct["extra_copies"]]]
    if acct.get("canaries"):
        rows.append(["canary documents injected", acct["canaries"]])
    rows.append(["written to the shards", acct["written"]])
    blocks: list[Block] = [Paragraph(accounting_line(acct), "acct" if acct.get("balanced") else "acct badbox"),
                           Table(["", "records"], rows), Heading("Rejected input records")]
    if acct.get("rejected_by_reason"):
        blocks += [Table(["reason", "records"], list(acct["rejected_by_reason"].items())),
                   Paragraph("Every rejected record is listed in `rejected/` with its file, line and reason.")]
    else:
        blocks.append(Paragraph("None."))
    return Section("accounting", "Accounting", "Accounting", blocks)


def _top_table(t: dict[str, Any]) -> Block:
    if not t or not t.get("rows"):
        return Paragraph("No documents at this point.")
    rows, classes = [], []
    for r in table_rows_with_others(t):
        rows.append([r["rank"] or "", r["name"], r["lang"] or "", fmt_pct(r["share_pct"]), r["docs"], r["tokens"],
                     fmt_pct(r["docs_pct"])])
        classes.append("" if r["rank"] else "others")
    rows.append(["", "total", "", "100.00", t["total"]["docs"], t["total"]["tokens"], "100.00"])
    classes.append("total")
    return Table(["#", "language", "code", f"% of {t['measure']}", "documents", "tokens", "% documents"], rows,
                 [True, False, False, True, True, True, True], classes)


def _languages(report: dict[str, Any]) -> Section:
    tops = report["top_languages"]
    doc_t, final_t = tops["documents_filtered"], tops["final"]
    by = {p: {r["lang"]: r for r in report["languages"].get(p, [])} for p in POINTS}
    order = [r["lang"] for r in report["languages"].get("input", [])]
    order += [lang for p in POINTS for lang in by[p] if lang not in order]
    names = report.get("language_names", {})
    rows = []
    for lang in order[:MAX_ROWS]:
        row: list[Any] = [names.get(lang, lang), lang]
        for p in POINTS:
            r = by[p].get(lang)
            row += [r["docs"] if r else 0, r["tokens"] if r else 0, fmt_pct(r["tokens_pct"] if r else 0.0),
                    fmt_pct(r["bytes_pct"] if r else 0.0)]
        rows.append(row)
    header = ["language", "code"] + [f"{p} {m}" for p in POINTS for m in ("docs", "tokens", "% tokens", "% bytes")]
    explain = Paragraph("Documents, tokens and bytes per language at input (after language ID), after filtering "
                        "and deduplication, and in the final mixture; percentages are shares of the point's total.")
    full = (Table(header, rows, [False, False] + [True] * (len(header) - 2), note=_cut(order, "languages",
                                                                                         "languages.csv"))
            if rows else Paragraph("No documents measured."))
    top = doc_t.get("top", 50)
    return Section("languages", "Languages", "Languages", [
        Paragraph(f"Like the PaLM 2 appendix table: the {doc_t['top']} largest languages by share of "
                  f"{doc_t['measure']}, the rest summed as \"others\"."),
        Columns([[Heading("Top languages of the document sources (after filtering and deduplication)"),
                  _top_table(doc_t)],
                 [Heading("Top languages of the final mixture"), _top_table(final_t)]]),
        Chart(lambda: charts.language_shares_png([("document sources, after filtering", doc_t["rows"]),
                                                  ("final mixture", final_t["rows"])], top=top),
              "language shares, log scale", only="html"),
        Fold(f"All {len(order)} languages at input, after filtering and in the final mixture", [explain, full]),
    ])


def _sources(report: dict[str, Any]) -> Section:
    by = {p: {r["source"]: r for r in report["sources"].get(p, [])} for p in POINTS}
    names = sorted({n for p in POINTS for n in by[p]})
    rows = [[n, *[by[p].get(n, {}).get("docs", 0) for p in POINTS], *[by[p].get(n, {}).get("tokens", 0) for p in POINTS],
             fmt_pct(by["final"].get(n, {}).get("tokens_pct", 0.0))] for n in names]
    header = ["source"] + [f"{p} docs" for p in POINTS] + [f"{p} tokens" for p in POINTS] + ["final % tokens"]
    return Section("sources", "Sources", "Sources", [Table(header, rows) if rows else Paragraph("No sources measured.")])


def _funnel(report: dict[str, Any]) -> Section:
    f = report["funnel"]
    steps = [[s["step"], "" if s["step"] in ("read", "written") else f"{s['change']:+,}", s["remaining"]]
             for s in f["steps"]]
    blocks: list[Block] = [Chart(lambda: charts.funnel_png(f["steps"]), "filtering funnel", only="html"),
                           Table(["step", "change", "documents remaining"], steps)]
    if f["reasons"]:
        rows = []
        for r in f["reasons"]:
            langs = ", ".join(f"{lang} {n:,}" for lang, n in largest(r["by_lang"], 5))
            if len(r["by_lang"]) > 5:
                langs += f", … ({len(r['by_lang']) - 5} more)"
            rows.append([r["stage"], r["reason"], r["docs"], r["tokens"], langs])
        blocks += [Heading("Dropped documents per reason"),
                   Table(["stage", "reason", "documents", "tokens", "largest languages"], rows,
                         [False, False, True, True, False])]
    stages = sorted({s for r in f["by_language"] for s in r["dropped"]}, key=stage_rank)
    if f["by_language"] and stages:
        header = ["code", "input"] + [f"− {s}" for s in stages] + ["filtered", "final"]
        rows = [[r["lang"], r["input"], *[r["dropped"].get(s, 0) for s in stages], r["filtered"], r["final"]]
                for r in f["by_language"][:MAX_ROWS]]
        blocks.append(Fold("Per language", [Table(header, rows)]))
    return Section("funnel", "Filtering funnel", "Funnel", blocks)


def _dedup(d: dict[str, Any] | None) -> Section:
    if not d:
        return Section("dedup", "Deduplication", "Dedup", [Paragraph("The dedup stage did not run.")])
    blocks: list[Block] = [
        Paragraph(f"{d['clusters']:,} duplicate clusters holding {d['documents_in_clusters']:,} documents."),
        Chart(lambda: charts.cluster_histogram_png(d["histogram"]), "duplicate cluster sizes", only="html")]
    if d["histogram"]:
        kinds = sorted(d["by_kind"])
        per_kind = {k: dict((s, n) for s, n in d["by_kind"][k]["histogram"]) for k in kinds}
        rows = [[size, n, *[per_kind[k].get(size, 0) for k in kinds]] for size, n in d["histogram"][:MAX_ROWS]]
        blocks.append(Fold("Cluster sizes", [Table(["cluster size", "clusters", *kinds], rows,
                                                   [True] * (2 + len(kinds)))]))
    if d["removed_by_dropped"]:
        blocks.append(Table(["reason", "documents removed"], list(d["removed_by_dropped"].items())))
    return Section("dedup", "Deduplication", "Dedup", blocks)


def _pii(p: dict[str, Any] | None, names: dict[str, str]) -> Section:
    if not p:
        return Section("pii", "PII", "PII", [Paragraph("The PII stage did not run.")])
    blocks: list[Block] = [Paragraph(f"{p['total_entities']:,} entities replaced; {p['docs_with_pii']:,} of "
                                     f"{p['docs']:,} documents contained PII.")]
    if p["entities"]:
        langs = sorted({lang for e in p["entities"] for lang in e["by_lang"]})
        blocks += [Heading("Entities per language"),
                   Table(["entity", "total", *langs],
                         [[e["entity"], e["total"], *[e["by_lang"].get(l, 0) for l in langs]] for e in p["entities"]])]
    if p["languages"]:
        blocks += [Heading("Documents with PII"), Table(
            ["language", "code", "documents", "with PII", "% with PII", "spans"],
            [[names.get(r["lang"], r["lang"]), r["lang"], r["docs"], r["docs_with_pii"], fmt_pct(r["docs_with_pii_pct"]),
              r["spans"]] for r in p["languages"][:MAX_ROWS]], [False, False, True, True, True, True])]
    return Section("pii", "PII", "PII", blocks)


def _optional(report: dict[str, Any]) -> list[Section]:
    """The parallel-data, control-token and canary sections; a stage that did not run has none."""
    names = report.get("language_names", {})
    out = []
    p = report.get("parallel")
    if p:
        rows = [[r["pair"], r["kept"], r["dropped"], fmt_pct(r["kept_pct"]),
                 ", ".join(f"{reason} {n:,}" for reason, n in r.get("reasons", {}).items()) or "–"]
                for r in p["pairs"][:MAX_ROWS]]
        out.append(Section("parallel", "Parallel data", "Parallel", [
            Paragraph(f"{p['kept']:,} English-paired examples kept, {p['dropped']:,} pairs dropped."),
            Table(["language pair", "kept", "dropped", "% kept", "dropped by reason (parallel:…)"], rows)]))
    c = report.get("control_tokens")
    if c:
        rows = [[names.get(r["lang"], r["lang"]), r["lang"], r["docs"], r["marked"], fmt_pct(r["marked_pct"]),
                 *[r["levels"][level] for level in c["levels"]], r["lang_tokens"]] for r in c["languages"][:MAX_ROWS]]
        levels = ", ".join(f"{level} {n:,}" for level, n in c["by_level"].items()) or "none"
        out.append(Section("control_tokens", "Control tokens", "Control tokens", [
            Paragraph(f"{c['marked']:,} of {c['docs']:,} documents carry control tokens (toxicity levels: {levels})."),
            Table(["language", "code", "documents", "marked", "% marked",
                   *[f"toxicity:{level}" for level in c["levels"]], "lang token"], rows)]))
    return out


def _canaries(report: dict[str, Any]) -> list[Section]:
    k = report.get("canaries")
    if not k:
        return []
    names = report.get("language_names", {})
    rows = [[names.get(r["lang"], r["lang"]), r["lang"], *[r["canaries"][t] for t in k["types"]],
             r["injected_docs"], r["injected_tokens"]] for r in k["languages"]]
    skipped = (f" Languages without enough long documents: {', '.join(k['skipped_languages'])}."
               if k["skipped_languages"] else "")
    return [Section("canaries", "Canaries", "Canaries", [
        Paragraph(f"{k['canaries']:,} canaries injected as {k['injected_docs']:,} documents; their texts are in "
                  f"the secret `canaries/manifest.jsonl`.{skipped}"),
        Table(["language", "code", *k["types"], "documents injected", "tokens injected"], rows)])]


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


def _mixture(m: dict[str, Any]) -> Section:
    title = "Target vs achieved mixture"
    if not m["buckets"]:
        return Section("mixture", title, "Mixture", [Paragraph("No documents reached the mixture.")])
    if m["planned"]:
        budget = f"Budget {m['budget_tokens']:,} tokens; " if m.get("budget_tokens") is not None else ""
        intro = f"{budget}target {m['target_tokens']:,} tokens, achieved {m['achieved_tokens']:,} tokens."
    else:
        intro = ("No mixture plan (no budget, or the sampling stage did not run): the target shown is what was "
                 "available after filtering.")
    header, rows = mixture_rows(m, "buckets")
    return Section("mixture", title, "Mixture", [
        Paragraph(intro),
        Chart(lambda: charts.mixture_png(m["buckets"], m["planned"]), "target vs achieved mixture", only="html"),
        Heading("Per source"), Table(*mixture_rows(m, "sources")),
        Fold("Per source and language", [Table(header, rows, [False, False] + [True] * (len(header) - 2))])])


TOP_ITEMS = 20
ACTIONS = {"drop": "dropped", "mask": "masked", "mark": "marked in their metadata"}


def _decontamination(report: dict[str, Any]) -> list[Section]:
    d = report.get("decontamination")
    if not d:
        return []
    names = report.get("language_names", {})
    done = " / ".join(ACTIONS.get(a, a) for a in d["actions"]) or "flagged"
    audit = f"[{d['audit']}](../{d['audit']})"
    blocks: list[Block] = [
        Paragraph(f"{d['docs']:,} documents ({d['tokens']:,} tokens) overlapped {len(d['items']):,} evaluation items "
                  f"and were {done}. Every match (document id, item, matched n-grams, character spans; no document "
                  f"text) is in the audit {audit}.")]
    if d["files"]:
        rows = [[f["file"], names.get(lang, lang), lang, v["docs"], v["tokens"]]
                for f in d["files"] for lang, v in f["languages"].items()]
        blocks += [Heading("Per evaluation file and language"),
                   Table(["evaluation file", "language", "code", "documents", "tokens"], rows[:MAX_ROWS],
                         [False, False, False, True, True], note=_cut(rows, "rows", "report.json")),
                   Table(["evaluation file", "items contaminated", "documents", "tokens"],
                         [[f["file"], f["items_contaminated"], f["docs"], f["tokens"]] for f in d["files"]])]
    if d["items"]:
        rows = [[i["file"], i["item"], i["docs"], i["tokens"], i["ngrams"],
                 ", ".join(f"{lang} {n:,}" for lang, n in i["languages"].items())] for i in d["items"][:TOP_ITEMS]]
        blocks += [Heading(f"Top contaminated items ({min(TOP_ITEMS, len(d['items']))} of {len(d['items']):,})"),
                   Table(["evaluation file", "item", "documents", "tokens", "matched n-grams", "documents per language"],
                         rows, [False, False, True, True, True, False])]
    if d["languages"]:
        blocks.append(Fold("Per language", [Table(
            ["language", "code", "action", "documents", "tokens"],
            [[names.get(r["lang"], r["lang"]), r["lang"], r["action"], r["docs"], r["tokens"]]
             for r in d["languages"][:MAX_ROWS]], [False, False, False, True, True])]))
    if d["index"]:
        blocks.append(Fold("Evaluation index", [Table(["figure", "value"], list(d["index"].items()))]))
    return [Section("decontamination", "Decontamination", "Decontamination", blocks)]


def rendered_groups(report: dict[str, Any]) -> set[str]:
    """Stage groups with a section of their own (their raw figures are folded away, HTML only)."""
    return ({"dedup", "pii", "mixture"}
            | {g for g in ("decontamination", "parallel", "control_tokens", "canaries") if report.get(g)})


def _stage_figures(report: dict[str, Any]) -> list[Section]:
    special = rendered_groups(report)
    blocks: list[Block] = []
    for stage, figures in report.get("stages", {}).items():
        items = list(figures.items())
        label = "all figures" if stage in special else f"{len(items)} figures"
        blocks.append(Fold(f"{stage} — {label}", [Table(["figure", "value"], items[:MAX_ROWS],
                                                        note=_cut(items, "figures", "report.json"))],
                           open=stage not in special, only="html" if stage in special else None))
    return [Section("stages", "Stage figures", "Stage figures", blocks)] if blocks else []


def _shards(shards: dict[str, Any]) -> list[Section]:
    if not shards:
        return []
    blocks: list[Block] = [Paragraph(f"{shards.get('count', 0):,} files ({shards.get('format', '?')}), "
                                     f"{shards.get('documents', 0):,} documents, {shards.get('tokens', 0):,} tokens.")]
    files = shards.get("files", [])
    if files:
        blocks.append(Fold("Files", [Table(
            ["file", "documents", "tokens", "bytes", "sha256"],
            [[f["file"], f["documents"], f["tokens"], f["bytes"], f["sha256"]] for f in files[:MAX_ROWS]],
            [False, True, True, True, False])]))
    return [Section("shards", "Shards", "Shards", blocks)]


def report_sections(report: dict[str, Any]) -> list[Section]:
    """Every section of the report, in order (the model both templates render)."""
    names = report.get("language_names", {})
    return [
        _accounting(report["accounting"]),
        _languages(report),
        _sources(report),
        _funnel(report),
        *_decontamination(report),
        _dedup(report.get("dedup")),
        _pii(report.get("pii"), names),
        *_optional(report),
        *_canaries(report),
        _mixture(report["mixture"]),
        *_stage_figures(report),
        *_shards(report.get("shards", {})),
    ]
