#!/usr/bin/env python
"""Assemble BENCHMARKS.md from a short header and every benchmarks/results/*.md file.

    python benchmarks/build_benchmarks_md.py            # writes BENCHMARKS.md at the repository root
    python benchmarks/build_benchmarks_md.py --check    # exit 1 if BENCHMARKS.md is not up to date

Results come in a fixed order (peers first, then the stages in data-flow order); a
missing file is skipped, and a results file not in the list is appended after the
listed ones, alphabetically, so nothing a benchmark wrote is left out. Each file's own
top-level heading is demoted one level so that the document has a single title.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "benchmarks", "results")
TARGET = os.path.join(ROOT, "BENCHMARKS.md")

ORDER = ["peers", "web", "langid", "quality", "dedup", "dedup_quality", "mixed_script", "pii", "pii_eval", "pii_realdata", "pii_versions",
         "parallel", "parallel_calibration", "decontamination", "mixture", "runners", "demo"]

# result name -> command that regenerates it
COMMANDS = {
    "peers": "python benchmarks/bench_peers.py",
    "web": "python benchmarks/bench_web.py  # peer venv also needs: pip install faust-cchardet python-magic lxml_html_clean",
    "langid": "python benchmarks/bench_langid.py",
    "quality": "python benchmarks/bench_quality.py",
    "dedup": "python benchmarks/bench_dedup.py --docs 1000 10000",
    "dedup_quality": "python benchmarks/dedup_quality.py --docs 10000 50000",
    "mixed_script": "python benchmarks/mixed_script_eval.py --before <checkout of the previous version>",
    "pii": "python benchmarks/bench_pii.py",
    "pii_eval": "python benchmarks/pii_eval.py --no-peer",
    "parallel": "python benchmarks/parallel_eval.py --out benchmarks/results/parallel.md",
    "parallel_calibration": "python benchmarks/parallel_eval.py --calibrate --per-lang 3000 "
                            "--out benchmarks/results/parallel_calibration.md",
    "pii_realdata": "python benchmarks/pii_realdata.py",
    "pii_versions": "python benchmarks/pii_versions.py",
    "decontamination": "nice -n 10 python benchmarks/decontam_eval.py",
    "mixture": "python benchmarks/bench_mixture.py --docs 20000 --beam-docs 10000",
    "runners": "python benchmarks/bench_runners.py --docs 5000 --workers 2",
    "demo": "python benchmarks/demo_run.py",
}

HEADER = """# Benchmarks

Speed, memory and outcome of the pipeline's stages, measured by the scripts in
`benchmarks/` (never by timed tests), and compared with a peer tool,
[datatrove](https://github.com/huggingface/datatrove) (and, for quality rules,
[Dolma](https://github.com/allenai/dolma)), doing the same work on the same machine in
the same run. Each section names its machine, its input and the command that wrote it.
Speed is given in docs/s, and in MB/s of input where a table has that column; memory as
the peak RSS of the measured process; accuracy and outcome figures say which data they
come from. The machine is a shared 2-CPU box, so CPU seconds are steadier than wall
seconds.

This file is generated: do not edit it by hand. To reproduce, from the repository root
with the project installed (`pip install -e '.[test]'`):

    # the peer, in its own virtualenv so that ours is not disturbed (nothing is downloaded at run time)
    python3.11 -m venv /work/peer-venv
    /work/peer-venv/bin/pip install 'datatrove[processing,multilingual]' spacy orjson
    # real evaluation data (Debian documentation and .mo catalogues, via apt-get download;
    # cached in benchmarks/.cache/, gitignored): bench_peers.py builds it on first use
    python benchmarks/realdata.py --summary
    # optional second peer (quality taggers only); bench_peers.py skips it when absent
    python3.11 -m venv /work/peer-venv-dolma
    /work/peer-venv-dolma/bin/pip install dolma boto3==1.26.161

{commands}

    python benchmarks/build_benchmarks_md.py       # rebuilds this file from benchmarks/results/*.md

Run heavy benchmarks with `nice` on a shared machine. Contents:{contents}
"""

_HEADING = re.compile(r"^#{1,5}\s")


def result_files() -> list[tuple[str, str]]:
    """(name, path) of every results file, listed ones first in ORDER."""
    present = {}
    if os.path.isdir(RESULTS_DIR):
        for entry in sorted(os.listdir(RESULTS_DIR)):
            if entry.endswith(".md"):
                present[entry[:-3]] = os.path.join(RESULTS_DIR, entry)
    names = [n for n in ORDER if n in present] + sorted(n for n in present if n not in ORDER)
    return [(n, present[n]) for n in names]


def title_of(text: str, name: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return name


def anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return slug.replace(" ", "-")


def section(name: str, text: str) -> str:
    text = text.strip()
    if not any(line.startswith("# ") for line in text.splitlines()):
        text = f"# {name}\n\n{text}"
    out, fenced = [], False
    for line in text.splitlines():  # demote every heading one level, leaving fenced code alone
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            line = "#" + line
        out.append(line)
    text = "\n".join(out)
    return text + f"\n\n<sub>Source: `benchmarks/results/{name}.md`.</sub>\n"


def build() -> str:
    files = result_files()
    texts = []
    for name, path in files:
        with open(path, encoding="utf-8") as fh:
            texts.append((name, fh.read()))
    commands = "\n".join(f"    {COMMANDS.get(name, f'# {name}: see its script in benchmarks/')}" for name, _ in texts)
    contents = "".join(f"\n- [{title_of(t, n)}](#{anchor(title_of(t, n))})" for n, t in texts) or " (no results yet)"
    parts = [HEADER.format(commands=commands, contents=contents).rstrip() + "\n"]
    parts += [section(name, text) for name, text in texts]
    return "\n".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that BENCHMARKS.md is up to date")
    parser.add_argument("--out", default=TARGET)
    args = parser.parse_args(argv)
    content = build()
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as fh:
                current = fh.read()
        except FileNotFoundError:
            current = ""
        if current != content:
            print(f"{args.out} is out of date: run python benchmarks/build_benchmarks_md.py", file=sys.stderr)
            return 1
        return 0
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(content)
    print(f"wrote {args.out} from {len(result_files())} results file(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
