"""The demo run's figures: what `mixture run mixtures/demo.yaml` reads, drops, marks and writes.

    python benchmarks/demo_run.py [--out DIR]

Runs the demo exactly as README.md says (one `mixture run` process, Beam's in-process
runner), then reads its report.json, shards and canary manifest and writes
benchmarks/results/demo.md (for BENCHMARKS.md). The figures the documentation quotes about
the demo (corpus size, control-token levels, canaries, parallel pairs, mixture accuracy,
wall time) come from this file.
"""

from __future__ import annotations

import argparse
import functools
import glob
import json
import os
import platform
import sys
import tempfile
import xml.etree.ElementTree as ET

from machine import cpu_model, measured_run  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

from pipeline.report.figures import accounting_line  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results", "demo.md")
SAMPLE = os.path.join(ROOT, "pipeline", "data", "sample")
COMMAND = "python benchmarks/demo_run.py"


def run_demo(out: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, os.wait4 of the run process) of the demo run."""
    return measured_run([sys.executable, "-m", "pipeline", "run", "mixtures/demo.yaml", "--output", out, "--quiet"],
                        cwd=ROOT)


def shard_rows(out: str) -> list[dict]:
    import pyarrow.parquet as pq

    rows = []
    for path in sorted(glob.glob(os.path.join(out, "shards", "*.parquet"))):
        rows += pq.read_table(path, columns=["id", "text", "source", "lang"]).to_pylist()
    return rows


@functools.lru_cache(maxsize=1)
def _model():
    from pipeline.stages.langid_core import load_model

    return load_model("bundled")


def lid_top(text: str) -> tuple[str, float]:
    """The bundled lid.176's top label and score for one text (as the sample's README measures it)."""
    labels, probs = _model().predict(text.replace("\n", " "))
    return labels[0].removeprefix("__label__"), float(probs[0])


def swahili_scores() -> list[float]:
    """lid.176 scores of the Swahili sides of the demo's TMX file (short sentences it is unsure about)."""
    scores = []
    for tuv in ET.parse(os.path.join(SAMPLE, "parallel", "en-sw.tmx")).iter("tuv"):
        if tuv.get("{http://www.w3.org/XML/1998/namespace}lang") == "sw":
            label, score = lid_top(tuv.findtext("seg"))
            scores.append(score if label == "sw" else 0.0)
    return scores


def figures(report: dict, rows: list[dict], manifest: list[dict]) -> list[str]:
    stats, acct = report["stats"], report["accounting"]
    documents = sum(v for k, v in stats.items() if k.startswith("read/") and k != "read/bitext")
    doc_rejected = sum(v for k, v in stats.items() if k.startswith("rejected/") and not k.startswith("rejected/bitext/"))
    input_langs = {k.split("/")[3] for k in stats if k.startswith("point/input/") and k.endswith("/docs")}
    pairs = report["parallel"]["pairs"]
    pair_langs = {p["pair"] for p in pairs}
    lines = [
        "## Input",
        "",
        f"- documents: {documents - doc_rejected:,} readable records of the document sources ({documents:,} read, "
        f"{doc_rejected} malformed records rejected); language ID gives them {len(input_langs)} labels "
        f"({', '.join(sorted(input_langs))}: `und` and the labels of planted junk pages included), and "
        f"{report['top_languages']['final']['languages']} languages reach the final mixture",
        f"- parallel data: {stats['read/bitext']:,} English-paired sentence pairs in {len(pair_langs)} language pairs",
        "",
        "## Accounting",
        "",
        "    " + accounting_line(acct),
        "",
        "Dropped per stage: " + ", ".join(f"{k} {v}" for k, v in acct["dropped_by_stage"].items()) + ".",
        "",
        "## Parallel data",
        "",
        f"{sum(p['kept'] for p in pairs)} pairs kept, {sum(p['dropped'] for p in pairs)} dropped "
        f"(planted bad pairs: {len(json.load(open(os.path.join(SAMPLE, 'planted.json')))['bitext_bad'])}); "
        "per reason: " + ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in acct["dropped_by_reason"].items()
                                   if k.startswith("parallel:")) + ".",
    ]
    sw = swahili_scores()
    label, score = lid_top("你好，早上好！")
    lines += [f"lid.176 score of the {len(sw)} Swahili sides of `en-sw.tmx`: {min(sw):.2f}–{max(sw):.2f}. "
              f"The planted Chinese side `你好，早上好！` declared as Japanese (en-ja.tsv) is predicted `{label}` "
              f"{score:.2f}.", ""]

    ct = report["control_tokens"]["languages"]
    reached = sum(r["docs"] for r in ct)
    marked = sum(r["marked"] for r in ct)
    levels: dict[str, int] = {}
    for r in ct:
        for level, n in r["levels"].items():
            levels[level] = levels.get(level, 0) + n
    unscored: dict[str, int] = {}
    for key, n in stats.items():
        if key.startswith("control_tokens/unscored/"):
            why = key.split("/")[2]
            unscored[why] = unscored.get(why, 0) + n
    by_id = {r["id"]: r for r in rows}
    planted = json.load(open(os.path.join(SAMPLE, "planted.json")))["toxicity"]
    lines += [
        "## Control tokens",
        "",
        f"{marked} of the {reached} documents reaching the stage (pairs rendered as documents included) are "
        f"selected ({100 * marked / reached:.1f} %, `fraction: 0.2`). Toxicity levels given: "
        + ", ".join(f"{k} {levels.get(k, 0)}" for k in ("low", "medium", "high"))
        + "; selected but not scored (no toxicity token): "
        + (", ".join(f"{why} {n}" for why, n in sorted(unscored.items())) or "none") + ".",
        "",
        "| planted page | lang | level (planted.json) | start of its text in the shards |",
        "|---|---|---|---|",
    ]
    for page in planted:
        text = by_id[page["id"]]["text"] if page["id"] in by_id else None
        start = "(not in the shards)" if text is None else "`" + text[:34].replace("|", "\\|").replace("\n", " ") + "…`"
        lines.append(f"| {page['id']} | {page['lang']} | {page['level']} | {start} |")

    can = report["canaries"]
    bins = sorted({(e["lang"], e["bin"]) for e in manifest})
    lines += [
        "",
        "## Canaries",
        "",
        f"{can['canaries']} canaries ({', '.join(f'{lang} {b}' for lang, b in bins)}; "
        f"{len(can['types'])} types × {can['canaries'] // max(1, len(can['types']) * len(bins))} per language), "
        f"{can['injected_docs']} documents injected into the shards (repetitions).",
        "",
    ]

    mix = report["mixture"]
    buckets = mix["buckets"]
    per_source: dict[str, list[float]] = {}
    for b in buckets:
        s = per_source.setdefault(b["source"], [0.0, 0.0])
        s[0] += b["target_pct"]
        s[1] += b["achieved_pct"]
    available = sum(b["available_tokens"] for b in buckets)
    lines += [
        "## Mixture",
        "",
        f"{available:,} tokens after filtering, budget {mix['budget_tokens']:,}, {mix['achieved_tokens']:,} "
        f"written by the sampler (canaries come on top) in {len(buckets)} (source, language) buckets. Largest "
        f"distance between a bucket's achieved and target share: "
        f"{max(abs(b['achieved_pct'] - b['target_pct']) for b in buckets):.2f} percentage points; "
        f"of a source: {max(abs(a - t) for t, a in per_source.values()):.2f}.",
        "",
    ]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="output directory of the demo run (default: a temporary one)")
    args = parser.parse_args(argv)
    out = args.out or os.path.join(tempfile.mkdtemp(prefix="demo-run-"), "out")
    load = os.getloadavg()[0]
    seconds, rss = run_demo(out)
    report = json.load(open(os.path.join(out, "report", "report.json"), encoding="utf-8"))
    with open(os.path.join(out, "canaries", "manifest.jsonl"), encoding="utf-8") as f:
        manifest = [json.loads(line) for line in f]
    lines = [
        "# Demo run",
        "",
        f"Command: `{COMMAND}`: one `mixture run mixtures/demo.yaml` (Beam's in-process runner), then its "
        "report.json, shards and canary manifest are read.",
        "",
        f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}, Python {platform.python_version()}; "
        f"1-minute load average {load:.1f} at the start (the machine is shared)",
        f"- wall time of the run process: {seconds:.0f} s (start-up, the whole job, report); "
        f"peak RSS {rss:,.0f} MB (`os.wait4` of the run process)",
        "",
        *figures(report, shard_rows(out), manifest),
    ]
    text = "\n".join(lines).rstrip() + "\n"
    with open(RESULTS, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
