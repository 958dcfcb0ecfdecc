#!/usr/bin/env python
"""Decontamination on real documentation with planted evaluation passages.

Data: real documentation pages (benchmarks/realdata.py, split "test"). Pages are split in
two by a stable hash of their `page` name (so translations of one page stay together):
*host* pages become the documents of a `mixture run`, paragraphs of the other pages
become the evaluation items (10,000 by default, in every language of the split). A
candidate paragraph is not used when it shares 13 words in a row (30 characters of text
without spaces; lower-cased, alphanumeric only, this script's own test) with a host page,
so a clean page shares no text with an item by construction. Into host pages
of LANGS (one paragraph boundary, chosen by the seed) this script plants an item of the
page's own language:

* whole — the item's text verbatim;
* half  — a contiguous 50% of the item's words (characters for text without spaces);
* swap  — the whole item "paraphrased" by swapping SWAP_EVERY-th words with their neighbour.

The remaining host pages stay clean. The stage runs inside a full `mixture run` (every
default stage on, action: drop) and the script reads its output: a planted page is caught
when `decontamination/matches.jsonl` names it and it is absent from the shards; a clean page
is a false flag when it is named there. The truth is what this script planted. The stage's
settings are its defaults (n 13, min_ngrams 1, min_fraction 0, max_items_per_ngram 10), fixed
before this data was looked at; nothing was tuned on it.

CPU: the same run without the stage gives the stage's share (CPU seconds of the `mixture run`
processes; the machine is shared, so the in-process timing of the stage's core over the same
documents is given too).

    nice -n 10 python benchmarks/decontam_eval.py            # writes benchmarks/results/decontamination.md
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

import regex as re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

LANGS = ["de", "fr", "en", "ru", "es", "cs", "nl", "ko", "el", "uk", "pl", "hu", "it", "ja", "zh-Hans", "vi", "fi", "ta"]
KINDS = ("whole", "half", "swap", "clean")
SWAP_EVERY = 8
SHARED_WORDS = 13  # an item sharing this many words in a row with a host page is not used
SHARED_CHARS = 30


def _h(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")


_SPACELESS = re.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")


def _spaceless(text: str) -> bool:
    """Text in a script written without spaces: a tenth or more of its characters."""
    return len(_SPACELESS.findall(text)) * 10 >= len(text)


def _pieces(text: str) -> tuple[list[str], str]:
    """Words (or characters of text without spaces) and the joiner to put them back."""
    return (list(text.replace("\n", "")), "") if _spaceless(text) else (text.split(), " ")


def _length(text: str) -> int:
    return len(_pieces(text)[0])


def _truncate(text: str, max_chars: int) -> str:
    """The page's first paragraphs, up to max_chars (at least one paragraph)."""
    out, size = [], 0
    for para in text.split("\n\n"):
        if out and size + len(para) > max_chars:
            break
        out.append(para)
        size += len(para) + 2
    return "\n\n".join(out)


def _windows(text: str) -> set[int]:
    """Shared-text test of this script (not the stage's code): windows of SHARED_WORDS
    lower-cased alphanumeric words, or SHARED_CHARS alphanumeric characters of text without spaces."""
    if _spaceless(text):
        chars = [c for c in text.lower() if c.isalnum()]
        return {hash("".join(chars[i:i + SHARED_CHARS])) for i in range(len(chars) - SHARED_CHARS + 1)}
    words = [w for w in ("".join(c for c in t if c.isalnum()) for t in text.lower().split()) if w]
    return {hash("\x1f".join(words[i:i + SHARED_WORDS])) for i in range(len(words) - SHARED_WORDS + 1)}


def build_data(n_items: int, hosts_per_lang: int, seed: int, max_clean: int, max_chars: int, split: str = "test"):
    import realdata

    pages = realdata.docs(split=split)
    host_pages = [p for p in pages if _h(p["page"]) % 2 == 0]
    item_pages = [p for p in pages if _h(p["page"]) % 2 == 1]
    hosts, per_lang, clean = [], collections.Counter(), 0
    for p in sorted(host_pages, key=lambda p: (_h(p["id"]), p["id"])):
        text = _truncate(p["text"], max_chars)
        if p["lang"] in LANGS and per_lang[p["lang"]] < hosts_per_lang:
            hosts.append((p, text, KINDS[per_lang[p["lang"]] % 3]))
            per_lang[p["lang"]] += 1
        elif clean < max_clean:
            hosts.append((p, text, "clean"))
            clean += 1
    shared = set().union(*(_windows(para) for _, text, _ in hosts for para in text.split("\n\n")))
    seen, candidates = set(), []
    for p in item_pages:
        for para in p["text"].split("\n\n"):
            para = para.strip()
            low, high = (60, 400) if _spaceless(para) else (30, 150)
            if not low <= _length(para) <= high or para in seen:
                continue
            if _windows(para) & shared:
                continue
            seen.add(para)
            candidates.append({"lang": p["lang"], "text": para, "page": p["page"]})
    rng = random.Random(seed)
    rng.shuffle(candidates)
    # every planted language gets items first, then the rest up to n_items
    by_lang = collections.defaultdict(list)
    for c in candidates:
        by_lang[c["lang"]].append(c)
    chosen = []
    for lang in LANGS:
        chosen += by_lang[lang][:hosts_per_lang]
    ids = {id(c) for c in chosen}
    chosen += [c for c in candidates if id(c) not in ids][: max(0, n_items - len(chosen))]
    items = [{"id": f"item{i:05d}", **c} for i, c in enumerate(chosen[:n_items])]
    items_by_lang = collections.defaultdict(list)
    for item in items:
        items_by_lang[item["lang"]].append(item)

    docs, truth = [], {}
    rng = random.Random(seed + 1)
    for p, text, kind in hosts:
        if kind != "clean":
            item = rng.choice(items_by_lang[p["lang"]])
            planted = plant_text(item["text"], kind, rng)
            paras = text.split("\n\n")
            at = rng.randrange(len(paras) + 1)
            text = "\n\n".join(paras[:at] + [planted] + paras[at:])
            truth[p["id"]] = {"kind": kind, "lang": p["lang"], "item": item["id"]}
        else:
            truth[p["id"]] = {"kind": "clean", "lang": p["lang"], "item": None}
        docs.append({"id": p["id"], "text": text})
    return items, docs, truth


def plant_text(text: str, kind: str, rng: random.Random) -> str:
    pieces, joiner = _pieces(text)
    if kind == "whole":
        return text
    if kind == "half":
        size = (len(pieces) + 1) // 2
        start = rng.randrange(len(pieces) - size + 1)
        return joiner.join(pieces[start:start + size])
    for i in range(SWAP_EVERY // 2, len(pieces) - 1, SWAP_EVERY):
        pieces[i], pieces[i + 1] = pieces[i + 1], pieces[i]
    return joiner.join(pieces)


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def mixture_run(workdir: str, docs_path: str, items_path: str | None, name: str) -> tuple[str, float, float]:
    out = os.path.join(workdir, f"out-{name}")
    config = {"name": f"decontam-{name}", "seed": 1, "output": out,
              "sources": [{"name": "docs", "paths": [docs_path]}],
              "mixture": {"shards": {"count": 1, "format": "jsonl.gz"}}}
    if items_path:
        config["decontamination"] = {"enabled": True, "sources": [{"path": items_path, "id_field": "id",
                                                                   "name": "planted"}]}
    path = os.path.join(workdir, f"{name}.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(config, fh)
    cpu0, wall0 = _cpu_children(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", "run", path, "--overwrite"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return out, _cpu_children() - cpu0, time.perf_counter() - wall0


def core_cpu(items_path: str, docs: list[dict]) -> tuple[float, float, dict]:
    """Index build and matching by the stage's core, in this process (CPU seconds)."""
    from pipeline.config.decontamination import DecontaminationConfig, EvalSourceConfig
    from pipeline.records import Doc
    from pipeline.stages.decontamination import read_eval_file
    from pipeline.stages.decontamination_core import Matcher, build_index
    from pipeline.text.normalize import normalize_text

    t0 = time.process_time()
    s = DecontaminationConfig()
    index = build_index(read_eval_file(EvalSourceConfig(path=items_path, id_field="id")), s.n, s.max_items_per_ngram,
                        n_chars=s.n_chars)
    t1 = time.process_time()
    match = Matcher(index)
    texts = [Doc(id=d["id"], text=normalize_text(d["text"]), source="docs") for d in docs]
    t2 = time.process_time()
    for d in texts:
        match(d)
    return t1 - t0, time.process_time() - t2, {**index.stats, "index_bytes": index.nbytes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--hosts-per-lang", type=int, default=36, help="planted pages per language (whole/half/swap)")
    parser.add_argument("--max-clean", type=int, default=1500, help="clean host pages")
    parser.add_argument("--max-chars", type=int, default=5000, help="host pages cut to their first paragraphs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "decontamination.md"))
    args = parser.parse_args()
    from machine import cpu_model

    items, docs, truth = build_data(args.items, args.hosts_per_lang, args.seed, args.max_clean,
                                     args.max_chars)
    with tempfile.TemporaryDirectory(prefix="decontam-eval-") as tmp:
        items_path = os.path.join(tmp, "items.jsonl")
        docs_path = os.path.join(tmp, "docs.jsonl")
        with open(items_path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps({"id": i["id"], "text": i["text"]}, ensure_ascii=False) + "\n" for i in items)
        with open(docs_path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
        build_cpu, match_cpu, index_stats = core_cpu(items_path, docs)
        out_on, cpu_on, wall_on = mixture_run(tmp, docs_path, items_path, "with")
        out_off, cpu_off, wall_off = mixture_run(tmp, docs_path, None, "without")
        with open(os.path.join(out_on, "decontamination", "matches.jsonl"), encoding="utf-8") as fh:
            matches = [json.loads(line) for line in fh]
        with gzip.open(os.path.join(out_on, "shards", "part-00000-of-00001.jsonl.gz"), "rt", encoding="utf-8") as fh:
            written = {json.loads(line).get("id") for line in fh}
        with open(os.path.join(out_on, "_run", "stats.json"), encoding="utf-8") as fh:
            stats = json.load(fh)
        with open(os.path.join(out_on, "report", "report.json"), encoding="utf-8") as fh:
            checked = json.load(fh)["accounting"]
    flagged = collections.defaultdict(set)
    for m in matches:
        flagged[m["doc_id"]].add(m["item"])
    reached = sum(v for k, v in stats.items() if k.startswith("point/input/") and k.endswith("/docs"))

    def caught(doc_id: str) -> bool:
        t = truth[doc_id]
        return t["item"] in flagged.get(doc_id, ()) and doc_id not in written

    rows = collections.defaultdict(lambda: [0, 0])
    langs = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    for doc_id, t in truth.items():
        hit = caught(doc_id) if t["kind"] != "clean" else doc_id in flagged
        rows[t["kind"]][0] += hit
        rows[t["kind"]][1] += 1
        if t["kind"] != "clean":
            langs[t["lang"]][t["kind"]][0] += hit
            langs[t["lang"]][t["kind"]][1] += 1
    planted_langs = sorted(langs)

    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:.1f}% ({a}/{b})" if b else "–"

    stage_cpu = cpu_on - cpu_off
    lines = [
        "# Decontamination: planted evaluation passages in real documentation", "",
        f"`nice -n 10 python benchmarks/decontam_eval.py --items {args.items} --hosts-per-lang {args.hosts_per_lang} "
        f"--max-clean {args.max_clean} --max-chars {args.max_chars} --seed {args.seed}`; machine: {cpu_model()}, {os.cpu_count()} CPUs (shared).", "",
        f"Data: benchmarks/realdata.py split \"test\" only. {len(docs):,} host pages (of half of the page names, each cut "
        f"to its first paragraphs up to {args.max_chars:,} characters) are the documents ({sum(len(d['text']) for d in docs) / 1e6:.1f} M characters); {len(items):,} evaluation items are paragraphs of the other pages ({len({i['lang'] for i in items})} "
        f"languages), none sharing {SHARED_WORDS} words in a row (or {SHARED_CHARS} characters of text without spaces, "
        f"lower-cased, alphanumeric only) with a host page, so clean pages are clean by construction. Planted: one item of the page's language per "
        f"page, {args.hosts_per_lang} pages per language in {len(planted_langs)} languages, cycling whole / half "
        f"(a contiguous 50% of the item's words, characters for text without spaces) / swap (every {SWAP_EVERY}th "
        f"word swapped with the next). The truth is what was planted; the stage's settings are its defaults "
        "(n 13, min_ngrams 1, min_fraction 0, max_items_per_ngram 10, action drop), not tuned on this data.", "",
        f"A planted page counts as caught when `decontamination/matches.jsonl` names it with its planted item and it "
        f"is not in the shards; a clean page counts as flagged when matches.jsonl names it. The run read "
        f"{checked['read']:,} documents; {reached:,} reached the stage (the others were dropped before it by "
        f"normalisation).", "",
        "| planted | caught / flagged |", "|---|---:|",
        *[f"| {k} | {pct(*rows[k])} |" for k in KINDS], "",
        "Per language (caught):", "",
        "| language | whole | half | swap |", "|---|---:|---:|---:|",
        *[f"| {lang} | {pct(*langs[lang]['whole'])} | {pct(*langs[lang]['half'])} | {pct(*langs[lang]['swap'])} |"
          for lang in planted_langs], "",
        f"Index: {index_stats['items']:,} items, {index_stats['items_too_short']:,} shorter than 13 units, "
        f"{index_stats['distinct_ngrams']:,} distinct 13-grams ({index_stats['pairs']:,} n-gram/item pairs, "
        f"{index_stats['common_ngrams_removed']:,} common n-grams left out), {index_stats['index_bytes'] / 1e6:.2f} MB "
        "in memory.", "",
        "| CPU seconds | value |", "|---|---:|",
        f"| `mixture run` with the stage (all default stages) | {cpu_on:.1f} (wall {wall_on:.1f} s) |",
        f"| `mixture run` without the stage | {cpu_off:.1f} (wall {wall_off:.1f} s) |",
        f"| difference: the stage's share of the full run | {stage_cpu:.1f} ({100 * stage_cpu / cpu_on:.1f}%) |",
        f"| stage core in-process: index build ({index_stats['items']:,} items) | {build_cpu:.2f} |",
        f"| stage core in-process: matching {len(docs):,} documents | {match_cpu:.2f} "
        f"({100 * (build_cpu + match_cpu) / cpu_on:.1f}% of the full run with build) |", "",
    ]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
