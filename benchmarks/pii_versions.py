"""PII stage across code versions: speed on real documentation, false positives on Debian changelogs.

Run:  python benchmarks/pii_versions.py [--revs REV,REV] [--docs-mb 6] [--repeats 3]

Each version of the stage — older git revisions (``git archive REV pipeline``, unpacked into a
temporary folder) and the working tree — runs in its own process on the same inputs, one after
the other (repeated, the best CPU time kept):

* **Speed**: real technical documentation pages of ``benchmarks/realdata.py`` (test split,
  the first pages in id order up to ``--docs-mb`` MB, every language the cache has), scrubbed
  with the default ``PiiConfig`` and each page's language. Reported: docs/s and MB/s in CPU
  time of the worker, CPU seconds, engine build seconds, and the worker's peak RSS.
* **Changelogs**: ``changelog.Debian.gz``, ``changelog.gz`` and ``NEWS*`` of the packages in
  ``CHANGELOG_PACKAGES`` (fetched with ``apt-get download`` at run time, cached under
  ``benchmarks/.cache/pii_changelogs``). None of these packages is in the lists of
  ``pii_realdata.py``, and none was looked at while the rules were written: this set was
  scrubbed for these figures only. Every detection other than an e-mail address, of any version, is
  labelled by hand in ``benchmarks/pii_changelog_labels.tsv`` (true or false positive and a
  class); false positives per MB are counted from those labels. E-mail addresses are
  counted, not judged here (``pii_realdata.py`` checks them against a truth).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "benchmarks" / "pii_changelog_labels.tsv"
DEFAULT_CACHE = ROOT / "benchmarks" / ".cache" / "pii_changelogs"
# before the real-text work on the stage (line breaks, adjacent numbers, tables), and after it
DEFAULT_REVS = ("7188da1^1", "f6500f6")

# network, mail and server software: changelogs full of versions, addresses and dates
CHANGELOG_PACKAGES = [
    "chrony", "samba-common", "nginx-common", "apache2-data", "postfix", "exim4-base", "iputils-ping",
    "traceroute", "whois", "bind9-dnsutils", "netcat-openbsd", "socat", "ethtool", "bridge-utils", "ifupdown",
    "ppp", "wpasupplicant", "avahi-daemon", "cups-common", "lighttpd", "haproxy", "keepalived",
    "isc-dhcp-client", "iperf3", "mtr-tiny", "nmap-common", "radvd", "tor", "unbound", "ldnsutils", "openssl",
    "ntpsec", "conntrack", "arping", "ipset",
]
CHANGELOG_FILES = ("changelog.Debian.gz", "changelog.gz", "NEWS.Debian.gz", "NEWS.gz", "changelog", "NEWS")
MAX_PAGE_CHARS = 150_000  # a file is cut at a line boundary after this many characters
CONTEXT = 40


# ----------------------------------------------------------------------------- worker

def worker(code: str, inputs: str, output: str) -> None:
    """Scrub the inputs with the ``pipeline`` package found in ``code``; write figures and spans."""
    sys.path.insert(0, code)
    started = time.process_time()
    from pipeline.config.pii import PiiConfig
    from pipeline.stages.pii_core import PiiScrubber

    scrubber = PiiScrubber(PiiConfig())
    build = time.process_time() - started
    with open(inputs, encoding="utf-8") as fh:
        sets = json.load(fh)
    out = {"build_s": build, "sets": {}}
    for name, docs in sets.items():
        started = time.process_time()
        results = [scrubber.scrub(doc["text"], doc["lang"]) for doc in docs]
        seconds = time.process_time() - started
        spans = [[(s.entity, s.start, s.end) for s in r.spans] for r in results]
        out["sets"][name] = {"cpu_s": seconds, "spans": spans}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["module"] = sys.modules["pipeline"].__file__
    with open(output, "w", encoding="utf-8") as fh:
        json.dump(out, fh)


# ----------------------------------------------------------------------------- inputs

def fetch_changelogs(cache: Path) -> list[dict]:
    # imported here, in the parent only: pii_realdata imports the working tree's pipeline,
    # which a worker must not see before the code under test
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from pii_realdata import fetch  # same cache layout: debs/ and tree/<package>

    pages = []
    for package in CHANGELOG_PACKAGES:
        tree = fetch(package, cache)
        folder = tree / "usr" / "share" / "doc" / package
        for name in CHANGELOG_FILES:
            path = folder / name
            if not path.is_file() or path.is_symlink():
                continue
            data = path.read_bytes()
            text = (gzip.decompress(data) if name.endswith(".gz") else data).decode("utf-8", errors="replace")
            if len(text) > MAX_PAGE_CHARS:
                cut = text.rfind("\n", 0, MAX_PAGE_CHARS)
                text = text[: cut if cut > 0 else MAX_PAGE_CHARS]
            if text.strip():
                pages.append({"id": f"{package}:{name}", "lang": "en", "text": text})
    return pages


def speed_docs(limit_mb: float) -> list[dict]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import realdata

    docs, total = [], 0
    for doc in sorted(realdata.docs("test"), key=lambda d: d["id"]):
        if total >= limit_mb * 1e6:
            break
        docs.append({"id": doc["id"], "lang": doc["lang"], "text": doc["text"]})
        total += len(doc["text"].encode("utf-8"))
    return docs


def export(rev: str, folder: Path) -> Path:
    """The ``pipeline`` package of ``rev`` unpacked under ``folder``."""
    target = folder / rev.replace("^", "_parent").replace("/", "_")
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "pipeline"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def describe(rev: str) -> str:
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    return f"`{rev}` ({sha})" if sha != rev else f"`{sha}`"


# ----------------------------------------------------------------------------- labels

def detection_key(page_id: str, value: str, before: str, after: str) -> str:
    return hashlib.sha1(f"{page_id}\x00{value}\x00{before}\x00{after}".encode()).hexdigest()[:16]


def load_labels() -> dict[str, tuple[str, str, str]]:
    labels = {}
    if LABELS.exists():
        for line in LABELS.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                key, entity, label, klass, *_ = line.split("\t")
                labels[key] = (entity, label, klass)
    return labels


# ----------------------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--revs", default=",".join(DEFAULT_REVS), help="comma-separated git revisions to compare")
    parser.add_argument("--docs-mb", type=float, default=6.0, help="MB of documentation pages for the speed test")
    parser.add_argument("--repeats", type=int, default=3, help="runs per version (the best CPU time is kept)")
    parser.add_argument("--cache", default=os.environ.get("MIXTURE_BENCH_CACHE_PII_CHANGELOGS", str(DEFAULT_CACHE)))
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/pii_versions.md"))
    parser.add_argument("--unlabelled", action="store_true", help="print unlabelled detections as TSV rows and stop")
    parser.add_argument("--worker", nargs=3, metavar=("CODE", "INPUTS", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0

    wall = time.perf_counter()
    changelogs = fetch_changelogs(Path(args.cache))
    docs = speed_docs(args.docs_mb)
    revs = [r for r in args.revs.split(",") if r]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = folder / "inputs.json"
        inputs.write_text(json.dumps({"docs": docs, "changelogs": changelogs}), encoding="utf-8")
        versions = [(describe(rev), export(rev, folder)) for rev in revs]
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()
        versions.append((f"working tree (on {head})", ROOT))
        runs: dict[str, list[dict]] = {name: [] for name, _ in versions}
        for repeat in range(args.repeats):
            for name, code in versions:
                output = folder / "out.json"
                env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
                subprocess.run([sys.executable, __file__, "--worker", str(code), str(inputs), str(output)],
                               check=True, env=env, cwd=tmp)
                result = json.loads(output.read_text(encoding="utf-8"))
                if not Path(result["module"]).resolve().is_relative_to(Path(code).resolve()):
                    raise SystemExit(f"{name}: imported {result['module']}, not the code under test")
                runs[name].append(result)

    labels = load_labels()
    detections: dict[str, list[tuple]] = {}
    unlabelled: dict[str, tuple] = {}
    for name, _ in versions:
        found = []
        for page, spans in zip(changelogs, runs[name][0]["sets"]["changelogs"]["spans"]):
            text = page["text"]
            for entity, start, end in spans:
                if entity == "EMAIL_ADDRESS":
                    continue
                value = text[start:end]
                before, after = text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]
                key = detection_key(page["id"], value, before, after)
                label = labels.get(key)
                found.append((page["id"], entity, value, before, after, key, label))
                if label is None:
                    unlabelled[key] = (entity, page["id"], before, value, after)
        detections[name] = found
    if args.unlabelled:
        for key, (entity, page_id, before, value, after) in sorted(unlabelled.items()):
            context = f"{before}[[{value}]]{after}".replace("\n", "⏎").replace("\t", " ")
            print(f"{key}\t{entity}\t?\t?\t{page_id}\t{context}")
        return 0

    doc_bytes = sum(len(d["text"].encode("utf-8")) for d in docs)
    log_bytes = sum(len(p["text"].encode("utf-8")) for p in changelogs)
    langs = sorted({d["lang"] for d in docs})
    out = [
        "# PII stage across code versions (`benchmarks/pii_versions.py`)",
        "",
        f"Command: `python benchmarks/pii_versions.py --revs {args.revs} --docs-mb {args.docs_mb:g} "
        f"--repeats {args.repeats}`",
        "",
        f"- machine: {os.cpu_count()} CPUs (`nproc`), Python {platform.python_version()}; each version runs in its "
        f"own process, one after the other, {args.repeats} times (best CPU time kept)",
        f"- speed input: {len(docs)} documentation pages of `benchmarks/realdata.py`, test split, first in id order "
        f"({doc_bytes / 1e6:.2f} MB; {len(langs)} languages: {', '.join(langs)})",
        f"- changelog input: {len(changelogs)} changelog / NEWS files of {len(CHANGELOG_PACKAGES)} Debian packages "
        f"({log_bytes / 1e6:.2f} MB): {', '.join(CHANGELOG_PACKAGES)}; scrubbed for these figures only, never used to "
        "write the rules",
        "",
        "## Speed on real documentation (default configuration)",
        "",
        "| code | docs/s | MB/s | CPU seconds | engine build (CPU s) | peak RSS (MB) | vs. first row |",
        "|---|---|---|---|---|---|---|",
    ]
    first = None
    for name, _ in versions:
        cpu = min(r["sets"]["docs"]["cpu_s"] for r in runs[name])
        build = min(r["build_s"] for r in runs[name])
        rss = max(r["peak_rss_mb"] for r in runs[name])
        first = cpu if first is None else first
        out.append(f"| {name} | {len(docs) / cpu:.0f} | {doc_bytes / 1e6 / cpu:.2f} | {cpu:.1f} | {build:.1f} | "
                   f"{rss:.0f} | {(first / cpu - 1) * 100:+.0f}% speed |")
    out += [
        "",
        "## Detections in Debian changelogs (e-mail addresses aside), labelled by hand",
        "",
        "| code | MB | e-mail spans | other detections | true positives | false positives | unlabelled | "
        "false positives / MB | by entity (false positives) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, _ in versions:
        found = detections[name]
        emails = sum(1 for spans in runs[name][0]["sets"]["changelogs"]["spans"] for s in spans
                     if s[0] == "EMAIL_ADDRESS")
        tp = sum(1 for d in found if d[6] and d[6][1] == "tp")
        fp = [d for d in found if d[6] and d[6][1] == "fp"]
        missing = sum(1 for d in found if d[6] is None)
        per_entity: dict[str, int] = {}
        for d in fp:
            per_entity[d[1]] = per_entity.get(d[1], 0) + 1
        entities = ", ".join(f"{k} {v}" for k, v in sorted(per_entity.items())) or "none"
        out.append(f"| {name} | {log_bytes / 1e6:.2f} | {emails} | {len(found)} | {tp} | {len(fp)} | {missing} | "
                   f"{len(fp) / (log_bytes / 1e6):.2f} | {entities} |")
    out += ["", "False positives by class (the values are not personal data, so they are shown):", ""]
    out += ["| code | entity | class | count | example |", "|---|---|---|---|---|"]
    for name, _ in versions:
        classes: dict[tuple[str, str], list] = {}
        for d in detections[name]:
            if d[6] and d[6][1] == "fp":
                classes.setdefault((d[1], d[6][2]), []).append(d)
        for (entity, klass), rows in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            page_id, _, value, before, after = rows[0][:5]
            example = f"{before[-20:]}[[{value}]]{after[:20]}".replace("\n", "⏎").replace("\t", " ").replace("|", "\\|")
            out.append(f"| {name} | {entity} | {klass} | {len(rows)} | `{page_id}`: `{example}` |")
    out += ["", f"Whole run: {time.perf_counter() - wall:.0f} s wall time (including fetching on the first run)."]
    Path(args.out).write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
