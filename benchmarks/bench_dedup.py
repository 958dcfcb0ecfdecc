#!/usr/bin/env python
"""Speed, memory and quality of the dedup stage against datasketch's plain MinHashLSH.

    python benchmarks/bench_dedup.py                 # writes benchmarks/results/dedup.md
    python benchmarks/bench_dedup.py --docs 1000 10000   # other corpus sizes (default 1000 5000)

Corpus: synthetic originals in six languages (en, ru, ar: word shingles; zh, ja, th:
character shingles) drawn from Zipf-distributed per-language vocabularies, and
planted copies of a fraction of them at known edit levels: exact (case/whitespace),
insertions, deletions, boilerplate header+footer, line shuffles, and a heavy edit that
should *not* count as a near-duplicate at threshold 0.8 (about 0.5-0.7 Jaccard).

Methods, each in its own process so that peak RSS (``ru_maxrss``) is its own:

* ``stage``: the ``Deduplicate`` Beam transform on the FnApiRunner (in_memory, one
  worker): exact dedup, MinHash LSH with star edges, verification, large-star/small-star
  connected components;
* ``datasketch``: the same shingles and MinHash settings inserted into one in-memory
  ``datasketch.MinHashLSH`` (threshold 0.8), every document queried, clusters by
  union-find: what one would write without a distributed engine;
* ``datasketch_bands``: the same, with the stage's bands x rows instead of datasketch's own
  choice (no verification);
* ``signatures``: the stage core only (shingles + MinHash), documents/s on one core.

Quality: found pairs = pairs of documents put into one cluster. Precision and recall
against the planted families, recall on planted pairs whose true shingle Jaccard is
>= 0.85 (the issue's target) per script class, and the share of found pairs whose true
Jaccard (computed by brute force on the shingle sets) is >= 0.8.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from itertools import combinations

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from pipeline.records import Doc  # noqa: E402
from pipeline.stages import dedup_core as core  # noqa: E402
from machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

RESULTS = os.path.join(ROOT, "benchmarks", "results", "dedup.md")

LANGS = {
    "en": ("Latn", "abcdefghijklmnopqrstuvwxyz", True),
    "ru": ("Cyrl", "абвгдежзиклмнопрстуфхцчшщыэюя", True),
    "ar": ("Arab", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", True),
    "zh": ("Hani", "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长", False),
    "ja": ("Jpan", "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコサシスセソ日本語東京大学生年月", False),
    "th": ("Thai", "กขคฆงจฉชซญดตถทธนบปผฝพฟภมยรลวสหอฮะาำิีึืุู", False),
}
EDITS = ["exact", "insert", "delete", "boilerplate", "shuffle", "heavy"]


# ---------------------------------------------------------------------------- corpus


def make_corpus(n_docs: int, seed: int = 7):
    """(docs, families): families map a family id to its member ids and edit kinds."""
    rng = random.Random(seed)
    vocab = {}
    for lang, (_, alphabet, spaced) in LANGS.items():
        lo, hi = (2, 9) if spaced else (1, 3)
        vocab[lang] = ["".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi))) for _ in range(4000)]
    weights = [1.0 / (i + 1) ** 1.05 for i in range(4000)]
    docs, families = [], {}

    def render(lines, spaced):
        sep = " " if spaced else ""
        end = "." if spaced else "。"
        return "\n".join(sep.join(line) + end for line in lines)

    def new_words(lang, k):
        return rng.choices(vocab[lang], weights=weights, k=k)

    def edit(lines, kind, lang):
        lines = [list(line) for line in lines]
        total = sum(len(line) for line in lines)
        if kind == "insert" or kind == "delete":
            for _ in range(max(1, total // 50)):  # ~2% of the units
                line = lines[rng.randrange(len(lines))]
                pos = rng.randrange(len(line))
                if kind == "insert":
                    line.insert(pos, new_words(lang, 1)[0])
                elif len(line) > 1:
                    del line[pos]
        elif kind == "boilerplate":
            lines = [new_words(lang, 6)] + lines + [new_words(lang, 6)]
        elif kind == "shuffle":
            i, j = rng.sample(range(len(lines)), 2)
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "heavy":
            for line in lines[: len(lines) // 3]:
                line[:] = new_words(lang, len(line))
        return lines

    i = 0
    while len(docs) < n_docs:
        lang = list(LANGS)[i % len(LANGS)]
        script, _, spaced = LANGS[lang]
        n_lines = rng.randint(8, 20)
        per_line = rng.randint(8, 16) if spaced else rng.randint(15, 30)
        lines = [new_words(lang, per_line) for _ in range(n_lines)]
        oid = f"{lang}-{rng.randrange(16**10):010x}"
        text = render(lines, spaced)
        docs.append(Doc(oid, text, "bench", lang, 1.0, script))
        if rng.random() < 0.3:
            members = [(oid, "original")]
            for kind in rng.sample(EDITS, rng.randint(1, 2)):
                cid = f"{lang}-{rng.randrange(16**10):010x}"
                ctext = (text.upper() if spaced else text + " ") if kind == "exact" else render(edit(lines, kind, lang), spaced)
                docs.append(Doc(cid, ctext, "bench", lang, 1.0, script))
                members.append((cid, kind))
            families[oid] = members
        i += 1
    return docs[:n_docs], families


# ---------------------------------------------------------------------------- methods


def settings():
    from pipeline.config import DedupConfig

    return core.resolve_settings(DedupConfig(), 1234)


def run_stage(docs):
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from pipeline.config import Config
    from pipeline.stages.dedup import DUPLICATE_OF_KEY, Deduplicate

    config = Config.model_validate({"name": "bench", "sources": [{"name": "bench", "paths": ["x"]}]})
    out_dir = tempfile.mkdtemp(prefix="bench_dedup_")
    start = time.perf_counter()
    with beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions([])) as p:
        out = p | beam.Create(docs, reshuffle=False) | Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)
        _ = (
            out["dropped"]
            | beam.Map(lambda d: json.dumps([d.doc.id, d.doc.metadata[DUPLICATE_OF_KEY], d.reason]))
            | beam.io.WriteToText(os.path.join(out_dir, "dropped"))
        )
    seconds = time.perf_counter() - start
    links = []
    for name in sorted(os.listdir(out_dir)):
        with open(os.path.join(out_dir, name), encoding="utf-8") as fh:
            links.extend(tuple(json.loads(line)[:2]) for line in fh)
    return seconds, links


def run_datasketch(docs, same_params: bool = False):
    from datasketch import MinHash, MinHashLSH

    s = settings().near
    start = time.perf_counter()
    params = (s.bands, s.rows) if same_params else None
    lsh = MinHashLSH(threshold=s.threshold, num_perm=s.num_perm, params=params)
    sigs = {}
    perms = MinHash(num_perm=s.num_perm, seed=s.seed, scheme=core.SCHEME).permutations
    for d in docs:
        spec = core.shingle_spec(d.lang, d.script, s)
        values = core.shingles(d.text, spec, s.short_docs).values
        if not values:
            continue
        m = MinHash(num_perm=s.num_perm, seed=s.seed, hashfunc=core._xxh64, permutations=perms, scheme=core.SCHEME)
        m.update_batch(values)
        lsh.insert(d.id, m)
        sigs[d.id] = m
    links = []
    for doc_id, m in sigs.items():
        for other in lsh.query(m):
            if other != doc_id:
                links.append((doc_id, other))
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    seconds = time.perf_counter() - start
    return seconds, [(x, find(x)) for x in parent if find(x) != x]


def run_signatures(docs):
    featurizer = core.NearFeaturizer(settings().near)
    start = time.perf_counter()
    for d in docs:
        featurizer.features(d.id, d.text, d.lang, d.script)
    return time.perf_counter() - start, []


METHODS = {
    "stage": run_stage,
    "datasketch": run_datasketch,
    "datasketch_bands": lambda docs: run_datasketch(docs, same_params=True),
    "signatures": run_signatures,
}


def vm_hwm_kb() -> int | None:
    """Peak RSS of this process image (Linux /proc, reset by exec unlike ru_maxrss)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def worker(method: str, n_docs: int) -> None:
    docs, _ = make_corpus(n_docs)
    base_rss = vm_hwm_kb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds, links = METHODS[method](docs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "links": links, "peak_rss_kb": peak, "vm_hwm_kb": vm_hwm_kb(),
                      "corpus_rss_kb": base_rss}))


# ---------------------------------------------------------------------------- quality


def cluster_pairs(links):
    clusters = {}
    for member, rep in links:
        clusters.setdefault(rep, {rep}).add(member)
    return {tuple(sorted(p)) for members in clusters.values() for p in combinations(sorted(members), 2)}


def quality(docs, families, links, shingle_sets):
    truth, kinds = set(), {}
    for members in families.values():
        for (a, ka), (b, kb) in combinations(members, 2):
            pair = tuple(sorted((a, b)))
            truth.add(pair)
            kinds[pair] = kb if ka == "original" else f"{ka}+{kb}"
    found = cluster_pairs(links)
    hit = found & truth
    by_id = {d.id: d for d in docs}

    def jac(pair):
        return core.shingle_jaccard(shingle_sets[pair[0]], shingle_sets[pair[1]])

    result = {
        "found_pairs": len(found), "planted_pairs": len(truth),
        "precision": len(hit) / len(found) if found else 1.0,
        "recall": len(hit) / len(truth) if truth else 1.0,
        "found_true_jaccard_ge_0.8": sum(jac(p) >= 0.8 for p in found) / len(found) if found else 1.0,
    }
    for cls, spaced in (("spaced", True), ("unspaced", False)):
        target = [p for p in truth if LANGS[by_id[p[0]].lang][2] == spaced and jac(p) >= 0.85]
        result[f"recall_j>=0.85_{cls}"] = sum(p in found for p in target) / len(target) if target else 1.0
        result[f"pairs_j>=0.85_{cls}"] = len(target)
    per_kind = {}
    for pair, kind in kinds.items():
        k = per_kind.setdefault(kind, [0, 0])
        k[0] += 1
        k[1] += pair in found
    result["recall_by_edit"] = {k: f"{v[1]}/{v[0]}" for k, v in sorted(per_kind.items())}
    return result


# ---------------------------------------------------------------------------- main



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--worker", choices=sorted(METHODS))
    parser.add_argument("--out", default=RESULTS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.docs[0])
        return
    rows, qualities = [], []
    # every worker starts from this small parent: ru_maxrss survives exec, so a parent that
    # had grown (corpus, shingle sets) would inflate the children's figures
    results = {}
    for n_docs in args.docs:
        for method in ("signatures", "stage", "datasketch", "datasketch_bands"):
            proc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--worker", method, "--docs", str(n_docs)],
                check=True, capture_output=True, text=True,
            )
            results[n_docs, method] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(n_docs, method, f"{results[n_docs, method]['seconds']:.1f}s", file=sys.stderr)
    for n_docs in args.docs:
        docs, families = make_corpus(n_docs)
        mb = sum(d.n_bytes for d in docs) / 1e6
        s = settings().near
        shingle_sets = {d.id: set(core.shingles(d.text, core.shingle_spec(d.lang, d.script, s), s.short_docs).values) for d in docs}
        for method in ("signatures", "stage", "datasketch", "datasketch_bands"):
            res = results[n_docs, method]
            rows.append((n_docs, method, mb, res))
            if method != "signatures":
                qualities.append((n_docs, method, quality(docs, families, [tuple(x) for x in res["links"]], shingle_sets)))
    s = settings().near
    lines = [
        "# Dedup benchmark",
        "",
        f"Command: `python benchmarks/bench_dedup.py --docs {' '.join(map(str, args.docs))}`",
        "",
        f"Machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.",
        "",
        f"Settings: num_perm={s.num_perm}, word 5-grams / character 5-grams, threshold {s.threshold} "
        f"(bands x rows = {s.bands} x {s.rows}), verification on ({s.verify_method}), max_rounds 12. Stage on the FnApiRunner, "
        "in_memory, one worker. Corpus: synthetic, six languages (en, ru, ar word shingles; zh, ja, th "
        "character shingles), ~30% of originals with 1-2 planted copies (exact, insert ~2%, delete ~2%, "
        "boilerplate header+footer, line swap, heavy rewrite of a third of the lines).",
        "",
        "Peak RSS is `resource.getrusage(RUSAGE_SELF).ru_maxrss` of the method's own process (VmHWM from "
        "/proc in brackets) and includes the corpus held in memory (column 'corpus RSS' is the process "
        "before the method ran). The stage runs on one in-process worker; on a distributed runner its "
        "memory per worker does not grow with the corpus, the in-memory index does.",
        "",
        "| docs | MB | method | seconds | docs/s | MB/s | peak RSS MB | corpus RSS MB |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for n_docs, method, mb, res in rows:
        sec = res["seconds"]
        lines.append(
            f"| {n_docs} | {mb:.1f} | {method} | {sec:.2f} | {n_docs / sec:.0f} | {mb / sec:.2f} | "
            f"{res['peak_rss_kb'] / 1024:.0f} ({(res['vm_hwm_kb'] or 0) / 1024:.0f}) | {res['corpus_rss_kb'] / 1024:.0f} |"
        )
    lines += ["", "Quality (pairs of documents in one cluster vs planted families):", "",
              "| docs | method | found pairs | planted pairs | precision | recall | recall J>=0.85 spaced | "
              "recall J>=0.85 unspaced | found pairs with true J>=0.8 |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n_docs, method, q in qualities:
        lines.append(
            f"| {n_docs} | {method} | {q['found_pairs']} | {q['planted_pairs']} | {q['precision']:.3f} | "
            f"{q['recall']:.3f} | {q['recall_j>=0.85_spaced']:.3f} ({q['pairs_j>=0.85_spaced']}) | "
            f"{q['recall_j>=0.85_unspaced']:.3f} ({q['pairs_j>=0.85_unspaced']}) | {q['found_true_jaccard_ge_0.8']:.3f} |"
        )
    lines += ["", "Recall by planted edit (found/planted pairs), largest corpus:", ""]
    last = [q for q in qualities if q[0] == max(args.docs)]
    for _, method, q in last:
        lines.append(f"- {method}: " + ", ".join(f"{k} {v}" for k, v in q["recall_by_edit"].items()))
    lines += ["", "On one in-process FnApiRunner worker the stage pays Beam's per-element costs (pickling "
              "through every shuffle, ~40 fused stages) and holds every shuffle in memory, so it is slower "
              "and larger than an in-memory index; what it buys is that no worker ever holds the corpus, "
              "an index, a bucket or a component on a distributed runner.", ""]
    lines += ["", "'heavy' copies (a third of the lines rewritten) are below the 0.8 threshold by design: "
              "finding few of them is correct behaviour, and they count against recall here.", ""]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
