"""Benchmark of the mixture stage: token counting, allocation and sampling throughput.

Run: ``python benchmarks/bench_mixture.py [--docs N]``; writes benchmarks/results/mixture.md.

Input is a synthetic multilingual corpus generated here with keyed hashes (no
downloads): documents of 20–2,000 units in Latin, Cyrillic, Arabic, Han, Japanese and
Thai text, spread over 3 sources × 6 languages. Measured:

* token counting (default counter), pure Python, one core: docs/s and MB/s;
* allocation (UniMax, 3 sources × 200 languages): plans/s;
* sampling core (``copies_for`` + ``make_copies``), one core: docs/s;
* the ``CountTokens`` + ``MixtureSample`` transforms on Beam's in-process FnApiRunner
  (one process), end to end: docs/s and MB/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from pipeline.config.mixture import MixtureConfig  # noqa: E402
from pipeline.hashing import keyed_choice_index  # noqa: E402
from pipeline.mixture.allocation import allocate  # noqa: E402
from pipeline.mixture.budget import plan_budget  # noqa: E402
from pipeline.mixture.sampling import copies_for, make_copies  # noqa: E402
from pipeline.mixture.tokens import DefaultTokenCounter  # noqa: E402
from pipeline.records import Doc  # noqa: E402
from machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

WORDS = {
    "en": "the quick brown fox jumps over a lazy dog while data pipelines count tokens".split(),
    "ru": "быстрая коричневая лиса прыгает через ленивую собаку и считает слова".split(),
    "ar": "الثعلب البني السريع يقفز فوق الكلب الكسول ويعد الكلمات".split(),
    "zh": list("我们的数据管道统计每个文档中的字符和词语数量"),
    "ja": list("東京は日本の首都です。データを数えます"),
    "th": ["สวัสดี", "ครับ", "ภาษา", "ไทย", "ข้อมูล", "นับ", "คำ"],
}
SPACELESS = {"zh", "ja", "th"}
SOURCES = ("web", "books", "code")


def make_corpus(n: int, start: int = 0) -> list[Doc]:
    docs = []
    langs = sorted(WORDS)
    for i in range(start, start + n):
        key = f"doc{i}"
        lang = langs[keyed_choice_index(0, "lang", key, len(langs))]
        source = SOURCES[keyed_choice_index(0, "source", key, len(SOURCES))]
        length = 20 + keyed_choice_index(0, "len", key, 1980)
        vocab = WORDS[lang]
        sep = "" if lang in SPACELESS else " "
        text = sep.join(vocab[(i + j) % len(vocab)] for j in range(length))
        docs.append(Doc(id=key, text=text, source=source, lang=lang))
    return docs



def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_counting(docs: list[Doc]) -> tuple[list[Doc], dict]:
    counter = DefaultTokenCounter()
    mb = sum(d.n_bytes for d in docs) / 1e6
    start = time.perf_counter()
    counted = [d.with_(tokens=counter.count(d.text)) for d in docs]
    seconds = time.perf_counter() - start
    return counted, {"docs/s": len(docs) / seconds, "MB/s": mb / seconds, "seconds": seconds}


def bench_allocation(repeats: int = 50) -> dict:
    available = {(s, f"l{i:03d}"): 1000 + (i * 7919) % 10**7 for s in SOURCES for i in range(200)}
    cfg = MixtureConfig.model_validate({"budget": {"tokens": 1e9}, "weights": {"web": 5, "books": 3, "code": 2},
                                        "languages": {"sampling": "unimax", "max_epochs": 4}})
    budget = plan_budget(tokens=1e9)
    start = time.perf_counter()
    for _ in range(repeats):
        allocate(available, cfg, budget)
    seconds = time.perf_counter() - start
    return {"plans/s": repeats / seconds, "buckets": len(available), "ms/plan": 1000 * seconds / repeats}


def bench_sampling(docs: list[Doc]) -> dict:
    rates = {lang: 0.3 + 0.5 * k for k, lang in enumerate(sorted(WORDS))}  # 0.3 .. 2.8
    start = time.perf_counter()
    emitted = 0
    for d in docs:
        emitted += len(make_copies(d, copies_for(1234, d.id, rates[d.lang])))
    seconds = time.perf_counter() - start
    return {"docs/s": len(docs) / seconds, "emitted": emitted, "seconds": seconds}


def _make_one(i: int) -> Doc:
    return make_corpus(1, start=i)[0]


def bench_beam(n: int, budget_tokens: float) -> dict:
    """Documents are generated inside the pipeline: a large ``beam.Create`` would be
    pickled into the pipeline proto and measure that instead."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from pipeline.stages.mixture import CountTokens, MixtureSample

    cfg = MixtureConfig.model_validate({"budget": {"tokens": budget_tokens},
                                        "weights": {"web": 5, "books": 3, "code": 2},
                                        "languages": {"sampling": "temperature", "alpha": 0.3}})
    start = time.perf_counter()
    p = beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions([]))
    docs = p | beam.Create(list(range(n))) | "Generate" >> beam.Map(_make_one)
    counted = (docs | CountTokens(cfg.tokenizer))["kept"]
    out = counted | MixtureSample(cfg, seed=1234)
    _ = out["kept"] | "CountKept" >> beam.combiners.Count.Globally()
    p.run().wait_until_finish()
    seconds = time.perf_counter() - start
    return {"docs/s": n / seconds, "seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000, help="synthetic documents (default 20,000)")
    parser.add_argument("--beam-docs", type=int, default=10_000, help="documents for the Beam run")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "mixture.md"))
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]
    docs = make_corpus(args.docs)
    mb = sum(d.n_bytes for d in docs) / 1e6
    counted, counting = bench_counting(docs)
    tokens = sum(d.tokens for d in counted)
    allocation = bench_allocation()
    sampling = bench_sampling(counted)
    beam_docs = counted[: args.beam_docs]
    beam_mb = sum(d.n_bytes for d in beam_docs) / 1e6
    beam_result = bench_beam(len(beam_docs), 0.7 * sum(d.tokens for d in beam_docs))
    beam_result["MB/s"] = beam_mb / beam_result["seconds"]

    lines = [
        "# Mixture stage benchmark",
        "",
        f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}; Python {platform.python_version()}",
        f"- input: {len(docs):,} synthetic documents, {mb:.1f} MB UTF-8, {tokens:,} tokens (default counter), "
        f"3 sources × 6 languages (en, ru, ar, zh, ja, th)",
        "",
        "| step | throughput | notes |",
        "|---|---|---|",
        f"| token counting (default counter, 1 core) | {counting['docs/s']:,.0f} docs/s, {counting['MB/s']:.1f} MB/s "
        f"| {counting['seconds']:.2f} s |",
        f"| allocation (UniMax, {allocation['buckets']} buckets) | {allocation['plans/s']:,.0f} plans/s "
        f"| {allocation['ms/plan']:.1f} ms per plan |",
        f"| sampling core (keyed draw + copies, 1 core) | {sampling['docs/s']:,.0f} docs/s "
        f"| {sampling['emitted']:,} emitted |",
        f"| CountTokens + MixtureSample on FnApiRunner (1 process) | {beam_result['docs/s']:,.0f} docs/s, "
        f"{beam_result['MB/s']:.1f} MB/s | {args.beam_docs:,} docs, {beam_mb:.1f} MB, "
        f"{beam_result['seconds']:.1f} s incl. start-up and generating the docs |",
        "",
        f"- peak RSS of the benchmark process: {peak_rss_mb():.0f} MB (resource.getrusage; it holds the "
        f"whole synthetic corpus twice in memory)",
        f"- 1-minute load average when the benchmark started: {load:.1f} (other jobs on the machine slow "
        f"every figure down)",
        "",
        f"Command: `python benchmarks/bench_mixture.py --docs {args.docs} --beam-docs {args.beam_docs}`",
        "",
    ]
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
