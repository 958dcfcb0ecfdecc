"""report.html: one self-contained page (inline CSS, charts as base64 PNG data URIs, no
JavaScript, no external reference), rendered from a report dict (report.json)."""

from __future__ import annotations

from html import escape
from typing import Any, Iterable, Sequence

from pipeline.report import charts
from pipeline.report.figures import POINTS, accounting_line, stage_rank
from pipeline.report.markdown import (MAX_ROWS, accounting_rows, optional_sections, rendered_groups, fmt, fmt_pct, funnel_reason_rows,
                                      funnel_step_rows,
                                      mixture_rows)
from pipeline.report.tables import table_rows_with_others

CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:1.7em;margin:.2em 0}h2{border-bottom:2px solid #3b6ea8;padding-bottom:4px;margin-top:2em}
h3{margin-top:1.4em;color:#333}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
th,td{padding:3px 9px;border-bottom:1px solid #e3e5e8;text-align:left;vertical-align:top}
th{background:#eef2f7;position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;border-top:2px solid #999}tr.others td{font-style:italic}
.meta{color:#555;font-size:.9em}.ok{color:#2a7d3a;font-weight:bold}.bad{color:#b3261e;font-weight:bold}
.acct{font-size:1.05em;background:#f0f6ee;padding:10px 14px;border-left:4px solid #4c9a5b}
.acct.badbox{background:#fbeeee;border-left-color:#b3261e}
.cols{display:flex;gap:28px;flex-wrap:wrap}.cols>div{flex:1 1 440px}
img.chart{max-width:100%;height:auto;display:block;margin:.6em 0;border:1px solid #e3e5e8}
details{margin:.6em 0 1em}summary{cursor:pointer;color:#3b6ea8}
nav a{margin-right:12px;color:#3b6ea8;text-decoration:none}code{font-size:.92em}
""".strip()


def _cell(value: Any, numeric: bool | None = None) -> str:
    if numeric is None:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    cls = ' class="n"' if numeric else ""
    return f"<td{cls}>{escape(fmt(value))}</td>"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[bool] | None = None,
          row_classes: Sequence[str] | None = None) -> str:
    """An HTML table; ``numeric`` marks right-aligned columns (default: every column but the first)."""
    numeric = list(numeric) if numeric is not None else [False] + [True] * (len(header) - 1)
    head = "".join(("<th class=\"n\">" if numeric[i] else "<th>") + f"{escape(h)}</th>" for i, h in enumerate(header))
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(_cell(v, numeric[j]) for j, v in enumerate(row)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    return f'<img class="chart" alt="{escape(alt)}" src="{charts.data_uri(png)}">'


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _top_table(t: dict[str, Any]) -> str:
    if not t or not t.get("rows"):
        return _p("No documents at this point.")
    rows, classes = [], []
    for r in table_rows_with_others(t):
        rows.append([r["rank"] or "", r["name"], r["lang"] or "", fmt_pct(r["share_pct"]), r["docs"], r["tokens"],
                     fmt_pct(r["docs_pct"])])
        classes.append("" if r["rank"] else "others")
    rows.append(["", "total", "", "100.00", t["total"]["docs"], t["total"]["tokens"], "100.00"])
    classes.append("total")
    return table(["#", "language", "code", f"% of {t['measure']}", "documents", "tokens", "% documents"], rows,
                 [True, False, False, True, True, True, True], classes)


def _section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>' + "".join(p for p in parts if p) + "</section>"


def _accounting(acct: dict[str, Any]) -> str:
    ok = acct.get("balanced")
    rows = accounting_rows(acct)
    rejected = ""
    if acct.get("rejected_by_reason"):
        rejected = ("<h3>Rejected input records</h3>"
                    + table(["reason", "records"], list(acct["rejected_by_reason"].items()))
                    + _p("Every rejected record is listed in rejected/ with its file, line and reason."))
    return _section("accounting", "Accounting",
                    f'<p class="acct{"" if ok else " badbox"}">{escape(accounting_line(acct))}</p>',
                    table(["", "records"], rows), rejected)


def _languages(report: dict[str, Any]) -> str:
    tops = report["top_languages"]
    doc_t, final_t = tops["documents_filtered"], tops["final"]
    chart = charts.language_shares_png([("document sources, after filtering", doc_t["rows"]),
                                        ("final mixture", final_t["rows"])], top=doc_t.get("top", 50))
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
    full = ""
    if rows:
        full = (f"<details><summary>All {len(order)} languages at input, after filtering and in the final mixture"
                "</summary>" + table(header, rows, [False, False] + [True] * (len(header) - 2)) + "</details>")
    return _section(
        "languages", "Languages",
        _p(f"Like the PaLM 2 appendix table: the {doc_t['top']} largest languages by share of {doc_t['measure']}, "
           "the rest summed as \"others\"."),
        '<div class="cols"><div><h3>Document sources, after filtering and deduplication</h3>'
        + _top_table(doc_t) + "</div><div><h3>Final mixture</h3>" + _top_table(final_t) + "</div></div>",
        _img(chart, "language shares, log scale"), full)


def _sources(report: dict[str, Any]) -> str:
    by = {p: {r["source"]: r for r in report["sources"].get(p, [])} for p in POINTS}
    names = sorted({n for p in POINTS for n in by[p]})
    if not names:
        return ""
    rows = [[n, *[by[p].get(n, {}).get("docs", 0) for p in POINTS], *[by[p].get(n, {}).get("tokens", 0) for p in POINTS],
             fmt_pct(by["final"].get(n, {}).get("tokens_pct", 0.0))] for n in names]
    header = ["source"] + [f"{p} docs" for p in POINTS] + [f"{p} tokens" for p in POINTS] + ["final % tokens"]
    return _section("sources", "Sources", table(header, rows))


def _funnel(report: dict[str, Any]) -> str:
    f = report["funnel"]
    steps = table(["step", "change", "documents remaining"], funnel_step_rows(f))
    reasons = ""
    if f["reasons"]:
        rows = funnel_reason_rows(f)
        reasons = "<h3>Dropped documents per reason</h3>" + table(
            ["stage", "reason", "documents", "tokens", "largest languages"], rows, [False, False, True, True, False])
    per_lang = ""
    stages = sorted({s for r in f["by_language"] for s in r["dropped"]}, key=stage_rank)
    if stages:
        header = ["code", "input"] + [f"− {s}" for s in stages] + ["filtered", "final"]
        rows = [[r["lang"], r["input"], *[r["dropped"].get(s, 0) for s in stages], r["filtered"], r["final"]]
                for r in f["by_language"][:MAX_ROWS]]
        per_lang = "<details><summary>Per language</summary>" + table(header, rows) + "</details>"
    return _section("funnel", "Filtering funnel", _img(charts.funnel_png(f["steps"]), "filtering funnel"),
                    steps, reasons, per_lang)


def _dedup(d: dict[str, Any] | None) -> str:
    if not d:
        return _section("dedup", "Deduplication", _p("The dedup stage did not run."))
    kinds = sorted(d["by_kind"])
    per_kind = {k: dict((s, n) for s, n in d["by_kind"][k]["histogram"]) for k in kinds}
    hist = ""
    if d["histogram"]:
        rows = [[size, n, *[per_kind[k].get(size, 0) for k in kinds]] for size, n in d["histogram"][:MAX_ROWS]]
        hist = "<details><summary>Cluster sizes</summary>" + table(
            ["cluster size", "clusters", *kinds], rows, [True] * (2 + len(kinds))) + "</details>"
    removed = table(["reason", "documents removed"], list(d["removed_by_dropped"].items())) \
        if d["removed_by_dropped"] else ""
    return _section("dedup", "Deduplication",
                    _p(f"{d['clusters']:,} duplicate clusters holding {d['documents_in_clusters']:,} documents."),
                    _img(charts.cluster_histogram_png(d["histogram"]), "duplicate cluster sizes"), hist, removed)


def _pii(p: dict[str, Any] | None, names: dict[str, str]) -> str:
    if not p:
        return _section("pii", "PII", _p("The PII stage did not run."))
    parts = [_p(f"{p['total_entities']:,} entities replaced; {p['docs_with_pii']:,} of {p['docs']:,} documents "
                "contained PII.")]
    if p["entities"]:
        langs = sorted({lang for e in p["entities"] for lang in e["by_lang"]})
        parts.append("<h3>Entities per language</h3>" + table(
            ["entity", "total", *langs], [[e["entity"], e["total"], *[e["by_lang"].get(l, 0) for l in langs]]
                                         for e in p["entities"]]))
    if p["languages"]:
        parts.append("<h3>Documents with PII</h3>" + table(
            ["language", "code", "documents", "with PII", "% with PII", "spans"],
            [[names.get(r["lang"], r["lang"]), r["lang"], r["docs"], r["docs_with_pii"], fmt_pct(r["docs_with_pii_pct"]),
              r["spans"]] for r in p["languages"][:MAX_ROWS]], [False, False, True, True, True, True]))
    return _section("pii", "PII", *parts)


def _mixture(m: dict[str, Any]) -> str:
    if not m["buckets"]:
        return _section("mixture", "Target vs achieved mixture", _p("No documents reached the mixture."))
    if m["planned"]:
        budget = f"Budget {m['budget_tokens']:,} tokens; " if m.get("budget_tokens") is not None else ""
        intro = _p(f"{budget}target {m['target_tokens']:,} tokens, achieved {m['achieved_tokens']:,} tokens.")
    else:
        intro = _p("No mixture plan (no budget, or the sampling stage did not run): the target shown is what was "
                   "available after filtering.")
    sources = table(*mixture_rows(m, "sources"))
    header, rows = mixture_rows(m, "buckets")
    buckets = table(header, rows, [False, False] + [True] * (len(header) - 2))
    return _section("mixture", "Target vs achieved mixture", intro,
                    _img(charts.mixture_png(m["buckets"], m["planned"]), "target vs achieved mixture"),
                    "<h3>Per source</h3>" + sources,
                    "<details><summary>Per source and language</summary>" + buckets + "</details>")


def _other_stages(stages: dict[str, dict[str, Any]], special: set[str]) -> str:
    parts = []
    for stage, figures in stages.items():
        items = list(figures.items())
        label = "all figures" if stage in special else f"{len(items)} figures"
        more = _p(f"{len(items) - MAX_ROWS} more figures in report.json.") if len(items) > MAX_ROWS else ""
        parts.append(f"<details{'' if stage in special else ' open'}><summary>{escape(stage)} — {label}"
                     f"</summary>{table(['figure', 'value'], items[:MAX_ROWS])}{more}</details>")
    if not parts:
        return ""
    return _section("stages", "Stage figures", *parts)


def _shards(shards: dict[str, Any]) -> str:
    if not shards:
        return ""
    files = shards.get("files", [])
    listing = ""
    if files:
        listing = "<details><summary>Files</summary>" + table(
            ["file", "documents", "tokens", "bytes", "sha256"],
            [[f["file"], f["documents"], f["tokens"], f["bytes"], f["sha256"]] for f in files[:MAX_ROWS]],
            [False, True, True, True, False]) + "</details>"
    return _section("shards", "Shards",
                    _p(f"{shards.get('count', 0):,} files ({shards.get('format', '?')}), "
                       f"{shards.get('documents', 0):,} documents, {shards.get('tokens', 0):,} tokens."), listing)


OPTIONAL_ANCHORS = ("parallel", "control_tokens", "canaries")  # sections only for stages that ran
NAV = (("accounting", "Accounting"), ("languages", "Languages"), ("sources", "Sources"), ("funnel", "Funnel"),
       ("dedup", "Dedup"), ("pii", "PII"), ("parallel", "Parallel"), ("control_tokens", "Control tokens"),
       ("mixture", "Mixture"), ("canaries", "Canaries"), ("stages", "Stage figures"), ("shards", "Shards"))


def report_html(report: dict[str, Any]) -> str:
    names = report.get("language_names", {})
    versions = ", ".join(f"{k} {v}" for k, v in sorted(report.get("versions", {}).items()))
    title = f"Mixture report: {report['name']}"
    optional = optional_sections(report)
    present = {anchor for anchor, *_ in optional}
    header = (f"<h1>{escape(title)}</h1><p class=\"meta\">Seed {escape(str(report['seed']))} · config sha256 "
              f"<code>{escape(str(report['config_sha256']))}</code>"
              + (f"<br>{escape(versions)}" if versions else "") + "</p>"
              + "<nav>" + "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in NAV
                                  if a not in OPTIONAL_ANCHORS or a in present) + "</nav>")
    body = "".join([
        header,
        _accounting(report["accounting"]),
        _languages(report),
        _sources(report),
        _funnel(report),
        _dedup(report.get("dedup")),
        _pii(report.get("pii"), names),
        *[_section(anchor, section_title, _p(summary), table(columns, rows))
          for anchor, section_title, summary, columns, rows in optional],
        _mixture(report["mixture"]),
        _other_stages(report.get("stages", {}), rendered_groups(report)),
        _shards(report.get("shards", {})),
    ])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body><main>{body}</main></body></html>\n")
