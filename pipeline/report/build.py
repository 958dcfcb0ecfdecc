"""Writes OUTPUT/report/: report.json (every figure), languages.csv, report.md and report.html.

``report.json`` is the single source of the human-readable files: :func:`rerender`
(``mixture report OUTPUT_DIR``) rebuilds csv/md/html from it alone, byte for byte.
It holds no wall-clock figures, so two runs of the same config, seed and input give
identical files; the run time goes to ``report/runtime.json`` (see
:func:`write_runtime`), which is not rendered. The structure is documented in
docs/report.md.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pipeline import files as fs
from pipeline.report.figures import (POINTS, StatTable, accounting, funnel, funnel_by_language, funnel_steps,
                                     language_table, point_sources, source_table)
from pipeline.report.groups import (canary_figures, control_token_figures, decontamination_figures, dedup_figures,
                                    mixture_figures, parallel_figures, pii_figures, stage_figures)
from pipeline.report.render import report_html, report_markdown
from pipeline.report.tables import TOP_LANGUAGES, language_name, top_languages

REPORT_VERSION = 2
REPORT_DIR = "report"
RENDERED = ("languages.csv", "report.md", "report.html")
RUNTIME_FILE = "runtime.json"


def _sources_of(config: Any, stats: dict[str, Any]) -> list[dict[str, str]]:
    if config is not None:
        return [{"name": s.name, "kind": s.kind} for s in config.sources]
    return [{"name": name, "kind": "documents"} for name in point_sources(stats)]


def build_report(config: Any, stats: dict[str, Any], run_accounting: dict[str, Any] | None = None,
                 manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every figure of a run as one JSON-ready dict (pure: no I/O, no clock).

    ``config`` may be None (sources are then taken from the stats, all as documents);
    ``run_accounting`` is the launcher's own balance check, kept for comparison.
    """
    manifest = manifest or {}
    table = StatTable(stats)  # decoded once; an unknown key raises pipeline.stats.UnknownStat
    stats = table.raw
    sources = _sources_of(config, table)
    document_sources = {s["name"] for s in sources if s["kind"] == "documents"}
    languages = {point: language_table(table, point) for point in POINTS}
    document_languages = {point: language_table(table, point, document_sources) for point in POINTS}
    by_source = {point: {name: language_table(table, point, {name}) for name in point_sources(table, point)}
                 for point in POINTS}
    reasons = funnel(table)
    decontamination = decontamination_figures(table)
    codes = {r["lang"] for rows in languages.values() for r in rows}
    for reason in reasons:
        codes.update(reason["by_lang"])
    codes.update(r["lang"] for r in (decontamination or {}).get("languages", []))
    names = {code: language_name(code) for code in sorted(codes)}
    acct = accounting(table)
    if run_accounting is not None:
        acct["launcher"] = {k: run_accounting[k] for k in ("read", "written", "dropped", "rejected")
                            if k in run_accounting}
    shards = manifest.get("shards", {})
    return {
        "report_version": REPORT_VERSION,
        "name": config.name if config is not None else manifest.get("name", ""),
        "seed": config.seed if config is not None else manifest.get("seed"),
        "config_sha256": manifest.get("config_sha256", config.sha256() if config is not None else ""),
        "versions": manifest.get("versions", {}),
        "sources_config": sources,
        "accounting": acct,
        "language_names": names,
        "languages": languages,
        "document_languages": document_languages,
        "languages_by_source": by_source,
        "sources": {point: source_table(table, point) for point in POINTS},
        "top_languages": {
            "documents_filtered": top_languages(document_languages["filtered"], TOP_LANGUAGES, names),
            "final": top_languages(languages["final"], TOP_LANGUAGES, names),
        },
        "funnel": {"steps": funnel_steps(table), "reasons": reasons, "by_language": funnel_by_language(table)},
        "decontamination": decontamination,
        "dedup": dedup_figures(table),
        "pii": pii_figures(table),
        "parallel": parallel_figures(table),
        "control_tokens": control_token_figures(table),
        "mixture": mixture_figures(table),
        "canaries": canary_figures(table),
        "stages": stage_figures(table),
        "shards": {k: shards[k] for k in ("format", "count", "documents", "tokens", "files") if k in shards},
        "stats": stats,
    }


# ---------------------------------------------------------------------------- renderings


def report_json(report: dict[str, Any]) -> str:
    """report.json text. Keys keep their (deterministic) build order: tables are ordered by share."""
    return json.dumps(report, indent=1, ensure_ascii=False) + "\n"


CSV_COLUMNS = ("point", "rank", "lang", "name", "docs", "docs_pct", "tokens", "tokens_pct", "chars", "chars_pct",
               "bytes", "bytes_pct")


def languages_csv(report: dict[str, Any]) -> str:
    """Every language at every point (all sources), ranked by share; percentages with 4 decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    names = report.get("language_names", {})
    for point in POINTS:
        for rank, row in enumerate(report["languages"].get(point, []), 1):
            writer.writerow([point, rank, row["lang"], names.get(row["lang"], row["lang"]),
                             row["docs"], f"{row['docs_pct']:.4f}", row["tokens"], f"{row['tokens_pct']:.4f}",
                             row["chars"], f"{row['chars_pct']:.4f}", row["bytes"], f"{row['bytes_pct']:.4f}"])
    return out.getvalue()


def render_files(report: dict[str, Any]) -> dict[str, bytes]:
    """File name -> bytes of every rendering of ``report`` (deterministic)."""
    return {
        "languages.csv": languages_csv(report).encode("utf-8"),
        "report.md": report_markdown(report).encode("utf-8"),
        "report.html": report_html(report).encode("utf-8"),
    }


def render_report(root: str, report: dict[str, Any], *, write_json: bool = True) -> list[str]:
    """(Re)writes OUTPUT/report/ from a report dict; returns the paths written."""
    directory = fs.join(root, REPORT_DIR)
    fs.make_dirs(directory)
    text = report_json(report)
    # render what report.json holds, so that `mixture report` gives the very same bytes
    report = json.loads(text)
    written = []
    if write_json:
        path = fs.join(directory, "report.json")
        fs.write_bytes(path, text.encode("utf-8"))
        written.append(path)
    for name, data in render_files(report).items():
        path = fs.join(directory, name)
        fs.write_bytes(path, data)
        written.append(path)
    return written


def write_report(root: str, config: Any, stats: dict[str, Any], accounting: dict[str, Any],
                 manifest: dict[str, Any]) -> dict[str, Any]:
    """Builds the report of a finished run and writes every file of OUTPUT/report/."""
    report = build_report(config, stats, accounting, manifest)
    render_report(root, report)
    return report


def load_report(root: str) -> dict[str, Any]:
    path = fs.join(root, REPORT_DIR, "report.json")
    if not fs.exists(path):
        raise FileNotFoundError(f"{path}: not found (is '{root}' the output of a finished run?)")
    try:
        report = json.loads(fs.read_bytes(path))
    except ValueError as exc:
        raise FileNotFoundError(f"{path}: not a valid report ({exc})") from None
    if not isinstance(report, dict) or report.get("report_version") != REPORT_VERSION:
        found = report.get("report_version") if isinstance(report, dict) else None
        raise FileNotFoundError(f"{path}: report version {found!r}, this build renders version {REPORT_VERSION}")
    return report


def rerender(root: str) -> list[str]:
    """Re-renders report/languages.csv, report.md and report.html from report/report.json."""
    report = load_report(root)
    return render_report(root, report, write_json=False)


def write_runtime(root: str, seconds: float, counters: dict[str, int] | None = None) -> str:
    """report/runtime.json: wall-clock time and Beam counters of the run (differs between runs)."""
    path = fs.join(root, REPORT_DIR, RUNTIME_FILE)
    body = {"note": "wall-clock figures: not reproducible, not part of report.json",
            "seconds": round(float(seconds), 3), "counters": dict(sorted((counters or {}).items()))}
    fs.make_dirs(fs.join(root, REPORT_DIR))
    fs.write_bytes(path, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return path


def summary_lines(report: dict[str, Any], top: int = 5) -> list[str]:
    """The final console summary: the largest languages of the mixture and the accounting line."""
    from pipeline.report.console import summary_lines as lines

    return lines(report, top)
