"""Benchmark of the quality stage: throughput, memory and per-language drop rates.

Run from the repository root:  python benchmarks/bench_quality.py [--docs N]
Writes benchmarks/results/quality.md.

* Throughput: the pure core (QualityChecker, one process) and the Beam transform
  (QualityFilter on the in-process FnApiRunner) on a multilingual corpus of well-formed
  prose (the hand-written paragraphs of tests/test_quality.py in en zh ja th ar hi ru ko)
  mixed with typical bad pages (navigation menus, repeated boilerplate, short stubs,
  number tables); also normalize_text on the same texts.
* Fairness: the same well-formed text in every language, cut into every window of
  consecutive sentences, is judged with the default settings; good prose must not be
  dropped much more often in one language than another. Windows are grouped by the
  share of the full text they hold (the same share is the same content in every
  language). When the demo corpus (pipeline/data/sample/web/*.jsonl) exists, the drop
  rate per language of its documents is reported too.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import platform
import resource
import sys
import time
from collections import Counter, defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import regex  # noqa: E402

from pipeline.config import parse_config  # noqa: E402
from pipeline.records import Doc  # noqa: E402
from pipeline.stages.quality import QualityChecker, QualityFilter  # noqa: E402
from pipeline.text.normalize import normalize_text  # noqa: E402
from pipeline.text.script import dominant_script  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "results", "quality.md")


def load_texts() -> list[dict[str, str]]:
    """The hand-translated texts of tests/test_quality.py: [{lang: text}, ...]."""
    path = os.path.join(ROOT, "tests", "test_quality.py")
    spec = importlib.util.spec_from_file_location("_quality_test_prose", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [module.PROSE, module.PROSE_2]


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version()}


def bad_pages(i: int) -> list[str]:
    menu = "\n".join(["Home", "About us", "Products", "Contact", "Login", "Cart", f"Page {i}"])
    boiler = "\n".join([f"Great deals on item {i} today only."] + ["Subscribe to our newsletter now!"] * 8)
    stub = f"Post {i}: nothing here yet."
    table = " ".join(str(1000 + i * 7 + k) for k in range(120))
    return [menu, boiler, stub, table]


def corpus(n_docs: int, prose: dict[str, str]) -> list[Doc]:
    langs = sorted(prose)
    docs = []
    for i in range(n_docs):
        if i % 10 < 7:
            lang = langs[i % len(langs)]
            text = prose[lang] if i % 3 else prose[lang] + "\n\n" + prose[langs[(i + 1) % len(langs)]]
            docs.append(Doc(id=f"good-{i}", text=text, source="web", lang=lang, script=dominant_script(text)))
        else:
            text = bad_pages(i)[i % 4]
            docs.append(Doc(id=f"bad-{i}", text=text, source="web", lang="en", script="Latn"))
    return docs


_SENTENCE = regex.compile(r"(?<=[.!?。！？।؟])\s*")


def sentences(text: str, lang: str) -> list[list[str]]:
    """Sentences per paragraph (Thai has no sentence punctuation: spaces separate them)."""
    out = []
    for paragraph in text.split("\n\n"):
        if lang == "th":
            parts = paragraph.split(" ")
        else:
            parts = _SENTENCE.split(paragraph)
        out.append([p.strip() for p in parts if p.strip()])
    return out


def windows(text: str, lang: str) -> list[tuple[str, float]]:
    """Every run of consecutive sentences, with the share of the full text's characters it holds."""
    flat = [(pi, s) for pi, para in enumerate(sentences(text, lang)) for s in para]
    total = sum(len(s) for _, s in flat)
    joiner = "" if lang in ("zh", "ja") else " "
    out = []
    for a in range(len(flat)):
        for b in range(a + 1, len(flat) + 1):
            chunk = flat[a:b]
            paras: list[list[str]] = []
            last = None
            for pi, s in chunk:
                if pi != last:
                    paras.append([])
                    last = pi
                paras[-1].append(s)
            doc = "\n\n".join(joiner.join(p) for p in paras)
            out.append((doc, sum(len(s) for _, s in chunk) / total))
    return out


SHARE_BUCKETS = ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01))


def fairness(texts: list[dict[str, str]], checker: QualityChecker) -> tuple[list[str], dict]:
    rows = []
    summary = {}
    header = "| lang | windows | " + " | ".join(f"share {lo:.2f}–{min(hi, 1):.2f}" for lo, hi in SHARE_BUCKETS) + \
        " | full text | top reasons (all windows) |"
    rows.append(header)
    rows.append("|" + "---|" * (len(SHARE_BUCKETS) + 4))
    for lang in sorted(texts[0]):
        items = [w for prose in texts for w in windows(prose[lang], lang)]
        per_bucket = defaultdict(lambda: [0, 0])
        reasons: Counter = Counter()
        for text, share in items:
            result = checker.check(text, lang, dominant_script(text))
            for lo, hi in SHARE_BUCKETS:
                if lo <= share < hi:
                    per_bucket[(lo, hi)][0] += 1
                    per_bucket[(lo, hi)][1] += 0 if result.kept else 1
            if not result.kept:
                reasons[result.rule] += 1
        full = [checker.check(prose[lang], lang, dominant_script(prose[lang])) for prose in texts]
        cells = []
        for bucket in SHARE_BUCKETS:
            n, dropped = per_bucket[bucket]
            cells.append(f"{100 * dropped / n:.0f}% ({dropped}/{n})" if n else "–")
        top = ", ".join(f"{r} {c}" for r, c in reasons.most_common(3)) or "–"
        rows.append(f"| {lang} | {len(items)} | " + " | ".join(cells) +
                    f" | {sum(r.kept for r in full)}/{len(full)} kept | {top} |")
        half = [(t, s) for t, s in items if s >= 0.5]
        summary[lang] = sum(0 if checker.check(t, lang, dominant_script(t)).kept else 1 for t, _ in half) / max(len(half), 1)
    return rows, summary


def word_counts(texts: list[dict[str, str]], checker: QualityChecker) -> list[str]:
    """Words (units for spaceless scripts) of the same texts in every language, as the
    Gopher rules count them, next to the min_words the shipped settings apply."""
    from pipeline.stages.quality_core import TextView

    def words(text: str) -> int:
        return len(TextView(text, dominant_script(text)).words)

    english = sum(words(prose["en"]) for prose in texts)
    rows = ["| lang | script | words, text 1 | words, text 2 | per English word | shipped `gopher.min_words` |",
            "|---|---|---:|---:|---:|---:|"]
    for lang in sorted(texts[0]):
        counts = [words(prose[lang]) for prose in texts]
        script = dominant_script(texts[0][lang])
        rows.append(f"| {lang} | {script} | {counts[0]} | {counts[1]} | {sum(counts) / english:.2f} | "
                    f"{checker.rules(lang, script).gopher.min_words} |")
    return rows


def _demo_records(path: str):
    if path.endswith(".gz"):
        import gzip

        with gzip.open(path, "rb") as f:
            data = f.read()
    elif path.endswith(".zst"):
        import zstandard

        with open(path, "rb") as f:
            data = zstandard.ZstdDecompressor().stream_reader(f).read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("text"), str):
            yield rec


def demo_corpus_rates(checker: QualityChecker) -> list[str]:
    files = sorted(glob.glob(os.path.join(ROOT, "pipeline", "data", "sample", "web", "*.jsonl*")))
    if not files:
        return ["(the demo corpus pipeline/data/sample/web/ was not present when this ran)"]
    planted: dict[str, str] = {}
    planted_path = os.path.join(ROOT, "pipeline", "data", "sample", "planted.json")
    if os.path.exists(planted_path):
        with open(planted_path, encoding="utf-8") as f:
            planted = {e["id"]: e.get("expected", "") for e in json.load(f).get("low_quality", [])}
    # lang -> [other docs, dropped, planted low-quality, dropped]
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    reasons: list[str] = []
    for path in files:
        if "malformed" in os.path.basename(path):
            continue  # the reader rejects these before any stage sees them
        for rec in _demo_records(path):
            text = normalize_text(rec["text"])
            doc_id = str(rec.get("id", ""))
            lang = rec.get("lang_hint") or rec.get("lang") or "und"
            result = checker.check(text, lang, dominant_script(text))
            row = per_lang[lang]
            if doc_id in planted:
                row[2] += 1
                row[3] += 0 if result.kept else 1
                reasons.append(f"| {doc_id} | {planted[doc_id]} | {result.reason or 'kept'} |")
            else:
                row[0] += 1
                row[1] += 0 if result.kept else 1
    out = ["Language from each record's `lang_hint` (what language ID should find), text normalised first.",
           "",
           "| lang | other docs | dropped | planted low-quality | dropped |", "|---|---|---|---|---|"]
    for lang in sorted(per_lang):
        g, gd, p, pd = per_lang[lang]
        out.append(f"| {lang} | {g} | {100 * gd / max(g, 1):.0f}% | {p} | {100 * pd / max(p, 1):.0f}% |")
    out += ["", "'other docs' are the documents not listed under `low_quality` in planted.json (planted "
            "duplicates and PII cases of other stages are among them).", "",
            "| planted page | planted as | dropped by |", "|---|---|---|", *sorted(reasons)]
    return out


def timed(fn):
    """(result, wall seconds, CPU seconds of this process) — the machine may be shared."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bench_core(docs: list[Doc], checker: QualityChecker) -> Counter:
    reasons: Counter = Counter()
    for doc in docs:
        outcome, _ = checker.decide(doc)
        reasons[getattr(outcome, "reason", "kept")] += 1
    return reasons


def bench_beam(docs: list[Doc], config) -> None:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    with beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions([])) as p:
        out = p | beam.Create(docs, reshuffle=False) | QualityFilter(config.quality, seed=config.seed, tokenizer=config.mixture.tokenizer)
        _ = out["kept"] | "CountKept" >> beam.combiners.Count.Globally()
        _ = out["stats"] | "SumStats" >> beam.CombinePerKey(sum)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=4000, help="documents in the throughput corpus")
    args = parser.parse_args(argv)

    texts = load_texts()
    prose = texts[0]
    config = parse_config({"name": "bench", "sources": [{"name": "web", "paths": ["x.jsonl"]}]}, check_paths=False)
    checker = QualityChecker(config.quality)
    docs = corpus(args.docs, prose)
    n_bytes = sum(d.n_bytes for d in docs)

    checker.decide(docs[0])  # warm caches (stop-word lists) outside the timing
    reasons, core_s, core_cpu = timed(lambda: bench_core(docs, checker))
    _, norm_s, norm_cpu = timed(lambda: [normalize_text(d.text) for d in docs])
    _, beam_s, beam_cpu = timed(lambda: bench_beam(docs, config))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    fair_rows, summary = fairness(texts, checker)
    demo_rows = demo_corpus_rates(checker)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    m = machine()
    mb = n_bytes / 1e6
    lines = [
        "# Quality stage benchmark",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}. "
        f"Produced by `python benchmarks/bench_quality.py --docs {args.docs}`.",
        "",
        f"Input: {len(docs)} documents, {mb:.2f} MB of UTF-8 (70% well-formed prose in en zh ja th ar hi ru ko, "
        "30% bad pages: menus, boilerplate, stubs, number tables).",
        "",
        "| what | wall s | docs/s (wall) | MB/s (wall) | CPU s | docs/s per CPU-second | MB/s per CPU-second |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {w:.2f} | {len(docs) / w:,.0f} | {mb / w:.2f} | {c:.2f} | {len(docs) / c:,.0f} | {mb / c:.2f} |"
            for name, w, c in (
                ("QualityChecker.decide (pure core, 1 thread)", core_s, core_cpu),
                ("QualityFilter on FnApiRunner (in-process, incl. pipeline start-up)", beam_s, beam_cpu),
                ("normalize_text (same texts)", norm_s, norm_cpu),
            )
        ),
        "",
        f"Load average (1 min) at the end: {load:.2f} on {m['nproc']} CPUs — other jobs shared the machine, "
        "so the per-CPU-second figures are the stable ones.",
        "",
        f"Peak RSS of the benchmark process: {peak_mb:.0f} MB.",
        "",
        "Outcome on the throughput corpus: " + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())) + ".",
        "",
        "## Fairness: drop rate of well-formed prose per language (default settings)",
        "",
        "Two texts of two paragraphs each (a news item and a science explanation, ~120 English words each), "
        "hand-translated into each language, cut into every window of consecutive sentences (Thai: "
        "space-separated phrases). 'share' is the fraction of the full text's characters a window holds, so "
        "a column compares the same content across languages; short windows are expected to fail "
        "`gopher_word_count` (Gopher's minimum is 50 English words, scaled per language).",
        "",
        *fair_rows,
        "",
        "Drop rate of windows holding at least half of the text: "
        + ", ".join(f"{lang} {100 * rate:.0f}%" for lang, rate in sorted(summary.items())) + ".",
        "",
        "Words of the two full texts as the Gopher rules count them (characters of spaceless scripts are "
        "units), and the minimum the shipped per-script and per-language settings apply:",
        "",
        *word_counts(texts, checker),
        "",
        "## Demo corpus",
        "",
        *demo_rows,
        "",
    ]
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
