"""Writes OUTPUT/report/: report.json (every figure), languages.csv and report.md."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pipeline.config import Config
from pipeline.io import files as fs
from pipeline.report.figures import POINTS, funnel, language_table, source_table, stage_figures

REPORT_VERSION = 1


def build_report(config: Config, stats: dict[str, int], accounting: dict[str, Any],
                 manifest: dict[str, Any]) -> dict[str, Any]:
    document_sources = {s.name for s in config.sources if s.kind == "documents"}
    return {
        "report_version": REPORT_VERSION,
        "name": config.name,
        "seed": config.seed,
        "config_sha256": manifest["config_sha256"],
        "versions": manifest["versions"],
        "accounting": accounting,
        "languages": {point: language_table(stats, point) for point in POINTS},
        "web_languages": {point: language_table(stats, point, document_sources) for point in POINTS},
        "sources": {point: source_table(stats, point) for point in POINTS},
        "funnel": funnel(stats),
        "stages": stage_figures(stats),
        "shards": manifest["shards"],
        "stats": stats,
    }


def languages_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["point", "lang", "docs", "docs_pct", "tokens", "tokens_pct", "chars", "chars_pct",
                     "bytes", "bytes_pct"])
    for point in POINTS:
        for row in report["languages"][point]:
            writer.writerow([point, row["lang"], row["docs"], f"{row['docs_pct']:.4f}", row["tokens"],
                             f"{row['tokens_pct']:.4f}", row["chars"], f"{row['chars_pct']:.4f}",
                             row["bytes"], f"{row['bytes_pct']:.4f}"])
    return out.getvalue()


def _language_name(code: str) -> str:
    try:
        from pipeline.text.langcodes import language_name

        return language_name(code)
    except ImportError:
        return code


def _table_md(rows: list[dict[str, Any]], top: int = 50) -> list[str]:
    lines = ["| # | language | code | documents | tokens | % tokens | % documents |",
             "|---:|---|---|---:|---:|---:|---:|"]
    for i, row in enumerate(rows[:top], 1):
        lines.append(f"| {i} | {_language_name(row['lang'])} | {row['lang']} | {row['docs']:,} | "
                     f"{row['tokens']:,} | {row['tokens_pct']:.2f} | {row['docs_pct']:.2f} |")
    rest = rows[top:]
    if rest:
        lines.append(f"| | others ({len(rest)}) | | {sum(r['docs'] for r in rest):,} | "
                     f"{sum(r['tokens'] for r in rest):,} | {sum(r['tokens_pct'] for r in rest):.2f} | "
                     f"{sum(r['docs_pct'] for r in rest):.2f} |")
    return lines


def report_markdown(report: dict[str, Any]) -> str:
    acct = report["accounting"]
    lines = [f"# Mixture report: {report['name']}", "",
             f"Seed {report['seed']}, config sha256 `{report['config_sha256'][:16]}…`.", "",
             "## Accounting", "",
             f"read {acct['read']:,} = written {acct['written']:,} + dropped {acct['dropped']:,} "
             f"+ rejected {acct['rejected']:,} — {'balanced' if acct['balanced'] else 'NOT BALANCED'}", ""]
    lines += ["## Top languages of the document sources (after filtering)", ""]
    lines += _table_md(report["web_languages"]["filtered"]) + [""]
    lines += ["## Languages of the final mixture", ""]
    lines += _table_md(report["languages"]["final"]) + [""]
    lines += ["## Filtering funnel", "", "| stage | reason | documents |", "|---|---|---:|"]
    for row in report["funnel"]:
        lines.append(f"| {row['stage']} | {row['reason']} | {row['docs']:,} |")
    lines += ["", "## Rejected input records", "", "| reason | records |", "|---|---:|"]
    for reason, n in acct["rejected_by_reason"].items():
        lines.append(f"| {reason} | {n:,} |")
    lines += ["", "## Shards", "", f"{report['shards']['count']} files, {report['shards']['documents']:,} documents, "
              f"{report['shards']['tokens']:,} tokens ({report['shards']['format']}).", ""]
    return "\n".join(lines)


def write_report(root: str, config: Config, stats: dict[str, int], accounting: dict[str, Any],
                 manifest: dict[str, Any]) -> dict[str, Any]:
    report = build_report(config, stats, accounting, manifest)
    render_report(root, report)
    return report


def render_report(root: str, report: dict[str, Any]) -> None:
    """(Re)writes every file of OUTPUT/report/ from a report dict."""
    directory = fs.join(root, "report")
    fs.make_dirs(directory)
    fs.write_bytes(fs.join(directory, "report.json"),
                   json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    fs.write_bytes(fs.join(directory, "languages.csv"), languages_csv(report).encode("utf-8"))
    fs.write_bytes(fs.join(directory, "report.md"), report_markdown(report).encode("utf-8"))


def rerender(root: str) -> list[str]:
    """Re-renders report/*.md|csv from report/report.json of a finished run."""
    path = fs.join(root, "report", "report.json")
    if not fs.exists(path):
        raise FileNotFoundError(f"{path}: not found (is '{root}' the output of a finished run?)")
    report = json.loads(fs.read_bytes(path))
    render_report(root, report)
    return [fs.join(root, "report", name) for name in ("report.json", "languages.csv", "report.md")]
