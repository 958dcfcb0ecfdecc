#!/usr/bin/env python
"""Quality and scale of near-dedup, judged on the stage's *output* against an independent truth.

    python benchmarks/dedup_quality.py                        # quick: 10k documents
    nice python benchmarks/dedup_quality.py --docs 10000 50000   # the committed results

Writes ``benchmarks/results/dedup_quality.md`` (``--out`` to change).

Corpus (deterministic, seed ``--seed``): originals in nine languages and six scripts
-- en, es (Latin), ru (Cyrillic), ar (Arabic), hi (Devanagari) shingled by words; zh
(Han), ja (kana + kanji), th (Thai) shingled by characters -- generated from word
inventories written below (real function words plus content words built from
per-language syllables, Zipf-distributed), so different documents are genuinely
different. Unrelated documents of one "site" share its boilerplate header/footer (a
realistic false-positive trap). A quarter of the originals get 1-3 planted copies at
known edit levels: case/whitespace (exact), word/character insertions, deletions and
substitutions at 1/2/5/10% of the units, an added boilerplate header+footer of
5/15/30% of the length, line swaps (1 or 3) and a full line shuffle, and mixes.

Truth, independent of the code under test: this script's own tokenisation of the texts
it generated (``truth_shingles``: case-folded whitespace-separated words for the spaced
languages, non-space characters for the unspaced ones, the sentence-end marks it
inserted removed; 5-grams; sets hashed with BLAKE2b) and its own set Jaccard -- no
``pipeline`` code. *Every* pair with Jaccard >= 0.6 in the corpus is found by an exact
prefix-filtered all-pairs join (Bayardo et al. 2007: two sets with Jaccard >= t share a
token among their first |x| - ceil(t|x|) + 1 rarest tokens); a random sample of other
pairs (uniform, and within one language) checks by brute force that nothing was missed.

The stage is run twice on the same corpus (``Deduplicate`` Beam transform, FnApiRunner):
**before** = ``minhash.witness: false`` (every member of a connected component removed for
its minimum -- the stage's behaviour before the witness check existed), **after** = the
defaults (witness check on). Output-level figures, from the documents each run keeps and
removes:

* removal precision -- removed documents for which some *kept* document is truly a
  near-duplicate (J >= 0.8); witness precision -- removed documents whose named kept
  document (the witness in the audit, or the end of the ``dedup_duplicate_of`` chain)
  truly has J >= 0.8 with it;
* duplicate pairs left -- pairs with true J >= 0.8 (>= 0.85) of which the output keeps
  both documents; recall = 1 - left / all such pairs;
* cluster precision -- pairs of documents of one output cluster (a kept document and the
  documents removed for it) with true J >= 0.8, and the number below 0.8 / 0.7;
* the audit (after): one record per removed document, its witness kept, its recorded
  Jaccard >= 0.8, and the truth's Jaccard of the same pair.

Secondary: pairwise decisions (the stage's rule on all pairs of each LSH bucket, the
same candidates verified by the signature estimate, datasketch's ``MinHashLSH`` query
and its union-find clusters), against the same truth.

Speed/memory: signature docs/s (shingles + MinHash + band keys, one core), the total
time of the Beam transform and of the peer, and peak RSS (VmHWM) -- every
method and scale point in its own subprocess, started from a small parent.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import combinations
from machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

RESULTS = os.path.join(ROOT, "benchmarks", "results", "dedup_quality.md")
THRESHOLD = 0.8
RECALL_J = 0.85
ALLPAIRS_T = 0.6

# ---------------------------------------------------------------------------- inventories

# lang: (script, spaced, function words, syllables for content words, sentence end)
INVENTORY = {
    "en": ("Latn", True,
           "the of and to in a is that for it as was with be by on not he i this are or his from at which "
           "but have an they you were her she there been one all we their has would when if so no will more "
           "can out up what about who them into some could time only new other than then also after first",
           "ba be con de dis ex for gra im in ly ment mo na ni or per pro re sa sta tion ter tra un ver wa "
           "ry cal ful less ness port form light stone mark land water", "."),
    "es": ("Latn", True,
           "el la de que y en los se del las un por con no una su para es al lo como más pero sus le ya o "
           "este sí porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos "
           "durante todos uno les ni contra otros ese eso ante ellos esto antes algunos unos otro otras",
           "ca ción de dor en es gra la lle ma mien na ño pa que ra re sa ta te to tra va ve za ri lo mu "
           "ble cia dad gen mor pue sol tier", "."),
    "ru": ("Cyrl", True,
           "и в не на я что он с как а то все она так его но да ты к у же вы за бы по только ее мне было "
           "вот от меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был него до вас "
           "опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем",
           "ра по ко ли ст ни то ва ме де ка ро го на се же ми сть ло ны ть ве ба за ду ки ше лю ча ще "
           "мо ру пе ха зо вь ской ение ость", "."),
    "ar": ("Arab", True,
           "في من على إلى عن مع هذا هذه التي الذي كان كانت أن إن لا ما هو هي قد كل بين بعد قبل حتى أو ثم "
           "لم لن ذلك تلك هناك عند وقد كما أيضا حيث منذ خلال ضد لدى غير",
           "ك ت ب م د ر س ع ل ق ف ح ج ن ه و ي ش ص ط ز خ غ ض ظ ا ة ال", "."),
    "hi": ("Deva", True,
           "के है में की और से को का एक पर यह भी था कि हैं नहीं लिए तो ही या गया हो कर किया जो रहा इस "
           "अपने कुछ जब तक वह थे उस उन्होंने अब साथ बाद होता सकता",
           "क ख ग च ज ट ड त द न प ब म य र ल व श स ह का की कु के को ना नि ने रा री रु रे ता ति ते "
           "मा मी ला ली सा सी हा", "।"),
    "zh": ("Hani", False,
           "的 了 是 在 和 有 也 就 都 而 及 与 这 那 个 上 中 不 很 把 被 让 给 对 从 向 我们 中国 发展 经济 社会 "
           "政府 问题 工作 国家 人民 企业 市场 技术 文化 教育 学生 老师 城市 历史 时间 世界 生活 公司 服务 "
           "管理 研究 项目 数据 信息 网络 系统 科学 环境 健康 已经 可以 没有 因为 所以 但是 如果 虽然 还是",
           "安 北 长 春 东 发 方 风 光 海 和 红 华 黄 江 金 京 景 空 蓝 乐 力 林 龙 美 明 南 平 气 青 清 秋 山 上 "
           "石 水 顺 天 通 文 西 新 星 兴 雪 阳 业 云 正 志 中 州 竹 德 福 国 花 火 家 建 林 路 梦 民 宁 强 荣 "
           "生 声 胜 书 树 思 泰 田 万 卫 武 喜 夏 祥 心 信 秀 学 雅 英 永 玉 园 远 月 泽 珍 智", "。"),
    "ja": ("Jpan", False,
           "は が を に で と の も へ から まで より や か ね よ 日本 東京 大学 学生 会社 仕事 時間 今日 "
           "明日 問題 世界 経済 政治 社会 技術 情報 研究 先生 友達 家族 電車 映画 音楽 天気 料理 旅行 "
           "します した です ました ません あります いる ある なる する 思う 言う 見る 行く 来る",
           "ア イ ウ エ オ カ キ ク ケ コ サ シ ス セ ソ タ チ ツ テ ト ナ ニ ヌ ネ ノ ハ ヒ フ ヘ ホ マ ミ ム メ モ "
           "ラ リ ル レ ロ ン ー 山 川 田 木 森 村 町 市 県 国 本 語 文 書 新 古 高 安", "。"),
    "th": ("Thai", False,
           "ที่ และ ใน การ ของ เป็น มี ได้ ไม่ จะ ให้ ว่า กับ คน นี้ แล้ว ก็ ไป มา อยู่ เรา เขา ความ จาก โดย "
           "ซึ่ง หรือ ต้อง ทำ เมื่อ",
           "กา กิ กุ เก โก ขา คำ งา จา จิ ชา ซี ดา ดี ตา ตู ถึ ทา ทุ นา นิ บา บุ ปา ผล พา พี มา มิ ยา รา "
           "รี ลา ลู วา วิ สา สุ หา หู อา อี แก แม โร เส ไท ใจ ดง ทอง", " "),
}
SPACED_LANGS = [lang for lang, inv in INVENTORY.items() if inv[1]]
N_CONTENT = 6000  # content words per language (synthetic, from syllables)

EDIT_KINDS = [
    ("exact", 0), ("insert", 1), ("insert", 2), ("insert", 5), ("insert", 10),
    ("delete", 1), ("delete", 2), ("delete", 5), ("delete", 10),
    ("substitute", 1), ("substitute", 2), ("substitute", 5), ("substitute", 10),
    ("boilerplate", 5), ("boilerplate", 15), ("boilerplate", 30),
    ("swap", 1), ("swap", 3), ("shuffle", 100),
    ("insert+boilerplate", 2), ("delete+swap", 2), ("substitute+insert", 1),
]


class Language:
    def __init__(self, lang: str, rng: random.Random):
        script, spaced, function, syllables, end = INVENTORY[lang]
        self.lang, self.script, self.spaced, self.end = lang, script, spaced, end
        function, syllables = function.split(), syllables.split()
        content = []
        seen = set(function)
        lo, hi = (2, 3) if spaced else (1, 3)
        while len(content) < N_CONTENT:
            w = "".join(rng.choice(syllables) for _ in range(rng.randint(lo, hi)))
            if w not in seen:
                seen.add(w)
                content.append(w)
        rng.shuffle(content)
        self.vocab = function + content
        self.cum = []
        total = 0.0
        for r in range(len(self.vocab)):
            total += 1.0 / (r + 1) ** 1.0
            self.cum.append(total)

    def words(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.vocab, cum_weights=self.cum, k=k)

    def sentence(self, rng: random.Random) -> list[str]:
        ws = self.words(rng, rng.randint(6, 16) if self.spaced else rng.randint(5, 12))
        ws[-1] = ws[-1] + self.end
        return ws

    def line(self, rng: random.Random) -> list[str]:
        """A line as a list of pieces: words (spaced scripts) or characters (unspaced)."""
        ws = [w for _ in range(rng.randint(1, 3)) for w in self.sentence(rng)]
        return ws if self.spaced else list("".join(ws))

    def piece(self, rng: random.Random) -> str:
        w = self.words(rng, 1)[0]
        return w if self.spaced else rng.choice(w)

    def render(self, lines: list[list[str]]) -> str:
        sep = " " if self.spaced else ""
        return "\n".join(sep.join(line) for line in lines)


def _n_units(lines):
    return sum(len(line) for line in lines)


def apply_edit(lines, kind: str, level: int, lg: Language, rng: random.Random, boiler_pool):
    lines = [list(line) for line in lines]
    for part in kind.split("+"):
        total = _n_units(lines)
        k = max(1, round(total * level / 100))
        if part in ("insert", "delete", "substitute"):
            for _ in range(k):
                line = lines[rng.randrange(len(lines))]
                pos = rng.randrange(len(line) + (part == "insert"))
                if part == "insert":
                    line.insert(pos, lg.piece(rng))
                elif part == "delete" and len(line) > 1:
                    del line[pos]
                elif part == "substitute":
                    line[pos] = lg.piece(rng)
        elif part == "boilerplate":
            head_lines, foot_lines = boiler_pool[rng.randrange(len(boiler_pool))]
            head = [p for line in head_lines for p in line][: max(1, k // 2)]
            foot = [p for line in foot_lines for p in line][: max(1, k - k // 2)]
            while _n_units([head, foot]) < k:  # extend with fresh text if the template is short
                foot += lg.line(rng)
            lines = [head] + lines + [foot]
        elif part == "swap":
            for _ in range(level if kind == "swap" else 1):
                if len(lines) > 1:
                    i, j = rng.sample(range(len(lines)), 2)
                    lines[i], lines[j] = lines[j], lines[i]
        elif part == "shuffle":
            rng.shuffle(lines)
    return lines


def make_corpus(n_docs: int, seed: int = 5):
    """(docs, planted): planted = [(original id, copy id, kind, level)]."""
    from pipeline.records import Doc

    rng = random.Random(seed)
    langs = {lang: Language(lang, random.Random(f"{seed}/{lang}")) for lang in INVENTORY}
    sites = {  # per language: 40 sites, each with a header and a footer shared by its pages
        lang: [([lg.line(rng)[:12]], [lg.line(rng)[:20]]) for _ in range(40)] for lang, lg in langs.items()
    }
    order = list(INVENTORY)
    docs, planted, ids = [], [], set()

    def new_id(lang):
        while True:
            i = f"{lang}-{rng.getrandbits(48):012x}"
            if i not in ids:
                ids.add(i)
                return i

    i = 0
    while len(docs) < n_docs:
        lang = order[i % len(order)]
        i += 1
        lg = langs[lang]
        size = rng.random()
        n_lines = rng.randint(2, 4) if size < 0.1 else rng.randint(5, 12) if size < 0.7 else rng.randint(12, 30)
        body = [lg.line(rng) for _ in range(n_lines)]
        lines = body
        if rng.random() < 0.4:  # page of a site: the site's boilerplate around the body
            head, foot = sites[lang][rng.randrange(40)]
            lines = head + body + foot
        oid = new_id(lang)
        text = lg.render(lines)
        docs.append(Doc(oid, text, "bench", lang, 1.0, lg.script))
        if rng.random() < 0.25:
            for kind, level in rng.sample(EDIT_KINDS, rng.choice((1, 1, 2, 3))):
                if kind == "exact":
                    ctext = ("  " + text.upper() + " ") if lg.spaced else (" " + text.replace("\n", "\n ") + "\n")
                else:
                    ctext = lg.render(apply_edit(lines, kind, level, lg, rng, sites[lang]))
                cid = new_id(lang)
                docs.append(Doc(cid, ctext, "bench", lang, 1.0, lg.script))
                planted.append((oid, cid, kind, level))
    docs = docs[:n_docs]
    present = {d.id for d in docs}
    planted = [p for p in planted if p[1] in present]
    rng.shuffle(docs)  # arrival order unrelated to families
    return docs, planted


# ---------------------------------------------------------------------------- settings / utils


def settings():
    from pipeline.config import DedupConfig
    from pipeline.stages import dedup_core as core

    return core.resolve_settings(DedupConfig(), 1234)


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads): robust to other jobs on a shared machine."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_mb() -> float:
    """Peak RSS of this process image: VmHWM from /proc (reset by exec; ``ru_maxrss`` is not, so a
    child of a grown parent would inherit its figure), ``ru_maxrss`` where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024



def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


# ---------------------------------------------------------------------------- workers


def corpus_file(n_docs: int, seed: int) -> str:
    return os.path.join(tempfile.gettempdir(), f"dedup_quality_corpus_{n_docs}_{seed}.jsonl")


def worker_stage(n_docs: int, seed: int, out: str, witness: bool = True) -> dict:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from pipeline.config import Config
    from pipeline.records import Doc
    from pipeline.stages.dedup import DUPLICATE_OF_KEY, Deduplicate

    # the corpus file was written by the signatures worker, so this process never holds the corpus
    # (a big beam.Create would also pickle it into the pipeline proto, which a real run does not do)
    corpus_path = corpus_file(n_docs, seed)
    out_dir = tempfile.mkdtemp(prefix="dedup_quality_")
    corpus_rss = peak_rss_mb()
    config = Config.model_validate({"name": "bench", "seed": 1234, "output": out_dir,
                                    "sources": [{"name": "bench", "paths": ["x"]}],
                                    "dedup": {"minhash": {"witness": witness}}})
    start, cpu0 = time.perf_counter(), cpu_seconds()
    with beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions([])) as p:
        res = (
            p
            | "Read" >> beam.io.ReadFromText(corpus_path)
            | "Parse" >> beam.Map(lambda line: Doc(*(lambda r: (r[0], r[1], "bench", r[2], 1.0, r[3]))(json.loads(line))))
            | "Dedup" >> Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)
        )
        _ = (
            res["dropped"]
            | "DroppedJson" >> beam.Map(lambda d: json.dumps([d.doc.id, d.doc.metadata[DUPLICATE_OF_KEY], d.reason]))
            | "WriteDropped" >> beam.io.WriteToText(os.path.join(out_dir, "dropped"))
        )
        _ = (
            res["stats"] | "SumStats" >> beam.CombinePerKey(sum) | "StatsJson" >> beam.Map(json.dumps)
            | "WriteStats" >> beam.io.WriteToText(os.path.join(out_dir, "stats"))
        )
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    links, stats, audit = [], {}, []
    for name in sorted(os.listdir(out_dir)):
        if not os.path.isfile(os.path.join(out_dir, name)):
            continue
        with open(os.path.join(out_dir, name), encoding="utf-8") as fh:
            for line in fh:
                if name.startswith("dropped"):
                    links.append(json.loads(line))
                else:
                    k, v = json.loads(line)
                    stats[k] = v
    audit_dir = os.path.join(out_dir, "dedup")
    for name in sorted(os.listdir(audit_dir)):
        with open(os.path.join(audit_dir, name), encoding="utf-8") as fh:
            audit += [json.loads(line) for line in fh]
    shutil.rmtree(out_dir, ignore_errors=True)
    keep = {k: v for k, v in stats.items() if k.startswith(("dedup/near/", "dedup/cc/rounds", "dedup/exact/clusters",
                                                            "dedup/near/clusters")) and "/removed/" not in k}
    return {"seconds": seconds, "cpu": cpu, "peak_rss_mb": peak_rss_mb(), "corpus_rss_mb": corpus_rss,
            "links": links, "stats": keep,
            "audit": [[r["removed_id"], r["witness_id"], r["jaccard"], r["reason"]] for r in audit]}


def worker_stage_before(n_docs: int, seed: int, out: str) -> dict:
    return worker_stage(n_docs, seed, out, witness=False)


def worker_peer(n_docs: int, seed: int, out: str) -> dict:
    from datasketch import MinHash, MinHashLSH

    from pipeline.stages import dedup_core as core

    docs, _ = make_corpus(n_docs, seed)
    corpus_rss = peak_rss_mb()
    s = settings().near
    start, cpu0 = time.perf_counter(), cpu_seconds()
    lsh = MinHashLSH(threshold=s.threshold, num_perm=s.num_perm)
    perms = MinHash(num_perm=s.num_perm, seed=s.seed, scheme=core.SCHEME).permutations
    sigs = {}
    for d in docs:
        values = core.shingles(d.text, core.shingle_spec(d.lang, d.script, s), s.short_docs).values
        if not values:
            continue
        m = MinHash(num_perm=s.num_perm, seed=s.seed, hashfunc=core._xxh64, permutations=perms, scheme=core.SCHEME)
        m.update_batch(values)
        lsh.insert(d.id, m)
        sigs[d.id] = m
    pairs = set()
    for doc_id, m in sigs.items():
        for other in lsh.query(m):
            if other != doc_id:
                pairs.add(pair(doc_id, other))
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    return {"seconds": seconds, "cpu": cpu, "peak_rss_mb": peak_rss_mb(), "corpus_rss_mb": corpus_rss,
            "pairs": sorted(pairs), "bands_rows": list(lsh.b_and_r) if hasattr(lsh, "b_and_r") else [lsh.b, lsh.r]}


def worker_signatures(n_docs: int, seed: int, out: str) -> dict:
    """Signature throughput on one core, and the stage's pairwise decisions (all bucket pairs)."""
    from pipeline.stages import dedup_core as core

    docs, _ = make_corpus(n_docs, seed)
    with open(corpus_file(n_docs, seed), "w", encoding="utf-8") as fh:  # input of the stage worker
        for d in docs:
            fh.write(json.dumps([d.id, d.text, d.lang, d.script], ensure_ascii=False) + "\n")
    s = settings().near
    feat = core.NearFeaturizer(s)
    start, cpu0 = time.perf_counter(), cpu_seconds()
    feats = [feat.features(d.id, d.text, d.lang, d.script) for d in docs]
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    buckets = defaultdict(list)
    for d, f in zip(docs, feats):
        for key in f.bands:
            buckets[key].append(d.id)
    sig = {d.id: f.signature for d, f in zip(docs, feats) if f.signature is not None}
    payload = {d.id: f.verify_payload for d, f in zip(docs, feats) if f.signature is not None}
    candidates, largest = set(), 0
    for members in buckets.values():
        largest = max(largest, len(members))
        if 1 < len(members) <= 2000:
            candidates.update(pair(a, b) for a, b in combinations(members, 2))
    decided = []
    for a, b in sorted(candidates):  # [a, b, similarity the stage's verification uses, signature estimate]
        est = core.estimated_jaccard(sig[a], sig[b])
        sim = core.verification_similarity(s.verify_method, payload[a], payload[b]) if s.verify else 1.0
        decided.append([a, b, sim, est])
    return {"seconds": seconds, "cpu": cpu, "candidates": decided, "largest_bucket": largest,
            "mb": sum(d.n_bytes for d in docs) / 1e6}


WORKERS = {"stage": worker_stage, "stage_before": worker_stage_before, "peer": worker_peer,
           "signatures": worker_signatures}  # + "eval", below


# ---------------------------------------------------------------------------- truth


SENTENCE_ENDS = "".join(sorted({inv[4] for inv in INVENTORY.values()} - {" "}))
TRUTH_N = 5


def truth_units(text: str, spaced: bool) -> list[str]:
    """This benchmark's own tokenisation of the texts it generates: case-folded, the sentence-end
    marks it inserted removed; whitespace-separated words (spaced) or non-space characters."""
    folded = text.casefold()
    for mark in SENTENCE_ENDS:
        folded = folded.replace(mark, " ")
    if spaced:
        return folded.split()
    return [ch for ch in folded if not ch.isspace()]


def truth_shingles(text: str, spaced: bool, n: int = TRUTH_N) -> set[str]:
    """Distinct n-grams of truth_units (all units as one gram when there are fewer than n)."""
    units = truth_units(text, spaced)
    sep = " " if spaced else ""
    if len(units) < n:
        return {sep.join(units)} if units else set()
    return {sep.join(units[i : i + n]) for i in range(len(units) - n + 1)}


class Truth:
    """Shingle sets of the benchmark's own tokenisation (no pipeline code), hashed to 64 bits
    with BLAKE2b; exact Jaccard; an exact all-pairs join at ALLPAIRS_T."""

    def __init__(self, docs):
        import hashlib

        import numpy as np

        self.np = np
        self.index = {d.id: i for i, d in enumerate(docs)}
        self.sets = []
        for d in docs:
            grams = truth_shingles(d.text, d.lang in SPACED_LANGS)
            hashed = (int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "little")
                      for g in grams)
            self.sets.append(np.unique(np.fromiter(hashed, dtype=np.uint64, count=len(grams))))
        self.cache: dict[tuple[str, str], float] = {}

    def _jaccard(self, i: int, j: int) -> float:
        x, y = self.sets[i], self.sets[j]
        if not len(x) and not len(y):
            return 1.0
        inter = len(self.np.intersect1d(x, y, assume_unique=True))
        return inter / (len(x) + len(y) - inter)

    def jaccard(self, a: str, b: str) -> float:
        p = pair(a, b)
        j = self.cache.get(p)
        if j is None:
            j = self.cache[p] = self._jaccard(self.index[a], self.index[b])
        return j

    def all_pairs(self, t: float, ids: list[str]) -> dict[tuple[str, str], float]:
        """Every pair with Jaccard >= t (exact: prefix filtering, then exact Jaccard)."""
        np = self.np
        allv = np.concatenate([x for x in self.sets if len(x)])
        uniq, counts = np.unique(allv, return_counts=True)
        rank_of = np.empty(len(uniq), dtype=np.int64)
        rank_of[np.lexsort((uniq, counts))] = np.arange(len(uniq))  # rarest first
        tok, own = [], []
        for i, x in enumerate(self.sets):
            if not len(x):
                continue
            ranks = np.sort(rank_of[np.searchsorted(uniq, x)])
            plen = len(ranks) - math.ceil(t * len(ranks)) + 1
            tok.append(ranks[:plen])
            own.append(np.full(plen, i, dtype=np.int64))
        tok, own = np.concatenate(tok), np.concatenate(own)
        order = np.argsort(tok, kind="stable")
        tok, own = tok[order], own[order]
        bounds = np.flatnonzero(np.diff(tok)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(tok)]))
        big = np.flatnonzero(ends - starts > 1)
        cands = set()
        for g in big:
            members = np.unique(own[starts[g]:ends[g]]).tolist()
            for a, b in combinations(members, 2):
                cands.add((a, b))
        out = {}
        sizes = [len(x) for x in self.sets]
        for a, b in cands:
            la, lb = sizes[a], sizes[b]
            if min(la, lb) < t * max(la, lb):  # length filter
                continue
            j = self._jaccard(a, b)  # not cached: most join candidates are far below t (memory)
            if j >= t:
                out[pair(ids[a], ids[b])] = self.cache[pair(ids[a], ids[b])] = j
        return out


class StageOutput:
    """What one stage run returned: dropped id -> the id in its ``dedup_duplicate_of``; the kept document a
    removed one ends at (following that chain); same-cluster pairs and (removed, kept) pairs."""

    def __init__(self, links):
        self.dup_of = {a: b for a, b, _ in links}
        groups = defaultdict(list)
        for x in self.dup_of:
            groups[self.kept_for(x)].append(x)
        self.groups = {r: sorted({r, *members}) for r, members in groups.items()}
        self.cluster_pairs = {p for members in self.groups.values() for p in combinations(members, 2)}
        self.rep_pairs = {pair(x, self.kept_for(x)) for x in self.dup_of}

    def kept_for(self, x: str) -> str:
        seen = 0
        while x in self.dup_of and seen < 1000:
            x, seen = self.dup_of[x], seen + 1
        return x


CLASSES = ("spaced", "unspaced", "all")


def _in_class(cls: str, spaced: bool) -> bool:
    return cls == "all" or spaced == (cls == "spaced")


def output_metrics(out: StageOutput, ids: list[str], high: dict, truth: "Truth", spaced: dict) -> dict:
    """Output-level figures of one stage run, per script class (see the module docstring)."""
    removed = set(out.dup_of)
    neighbours = defaultdict(list)  # true near-duplicates (J >= THRESHOLD) of every document
    for (a, b), j in high.items():
        if j >= THRESHOLD:
            neighbours[a].append(b)
            neighbours[b].append(a)
    res = {}
    for cls in CLASSES:
        rem = [x for x in removed if _in_class(cls, spaced[x])]
        pairs = {t: [p for p, j in high.items() if j >= t and _in_class(cls, spaced[p[0]])]
                 for t in (THRESHOLD, RECALL_J)}
        left = {t: sum(a not in removed and b not in removed for a, b in ps) for t, ps in pairs.items()}
        same = [p for r, members in out.groups.items() if _in_class(cls, spaced[r]) for p in combinations(members, 2)]
        same_j = [truth.jaccard(*p) for p in same]
        res[cls] = {
            "docs": sum(_in_class(cls, spaced[i]) for i in ids),
            "removed": len(rem),
            "removed_with_kept_duplicate": sum(any(y not in removed for y in neighbours[x]) for x in rem),
            "removed_named_ok": sum(truth.jaccard(x, out.kept_for(x)) >= THRESHOLD for x in rem),
            "dup_pairs": len(pairs[THRESHOLD]), "dup_pairs_left": left[THRESHOLD],
            "dup_pairs_085": len(pairs[RECALL_J]), "dup_pairs_085_left": left[RECALL_J],
            "cluster_pairs": len(same), "cluster_pairs_ok": sum(j >= THRESHOLD for j in same_j),
            "cluster_pairs_lt_0.7": sum(j < 0.7 for j in same_j),
        }
    return res


def audit_metrics(audit: list, out: StageOutput, ids: list[str], truth: "Truth", spaced: dict) -> dict:
    """The witness audit of the 'after' run checked against its output and the independent truth."""
    removed = set(out.dup_of)
    ids_in_audit = [r[0] for r in audit]
    diffs = [abs(truth.jaccard(r[0], r[1]) - r[2]) for r in audit]
    return {
        "records": len(audit),
        "removed": len(removed),
        "one_per_removed": len(set(ids_in_audit)) == len(ids_in_audit) and set(ids_in_audit) == removed,
        "witness_kept": sum(r[1] not in removed for r in audit),
        "witness_is_output_link": sum(out.kept_for(r[0]) == r[1] for r in audit),
        "recorded_ge_t": sum(r[2] >= THRESHOLD for r in audit),
        "truth_ge_t": sum(truth.jaccard(r[0], r[1]) >= THRESHOLD for r in audit),
        "min_recorded": min((r[2] for r in audit), default=None),
        "min_truth": min((truth.jaccard(r[0], r[1]) for r in audit), default=None),
        "max_abs_diff": max(diffs, default=0.0),
        "diff_gt_0.01": sum(d > 0.01 for d in diffs),
    }


def evaluate(n_docs: int, seed: int, results: dict, sample: int = 100_000) -> dict:
    docs, planted = make_corpus(n_docs, seed)
    ids = [d.id for d in docs]
    lang_of = {d.id: d.lang for d in docs}
    spaced = {d.id: d.lang in SPACED_LANGS for d in docs}
    t0 = time.perf_counter()
    truth = Truth(docs)
    high = truth.all_pairs(ALLPAIRS_T, ids)  # every pair with J >= 0.6
    rng = random.Random(99)

    # stage pairwise decision
    cand = {pair(a, b): sim for a, b, sim, _ in results["signatures"]["candidates"]}
    stage_pairs = {p for p, sim in cand.items() if sim >= settings().near.verify_threshold}
    # the same candidates verified by the signatures' estimate instead (the other verify_method)
    sig_pairs = {pair(a, b) for a, b, _, est in results["signatures"]["candidates"]
                 if est >= settings().near.verify_threshold}
    # stage clusters from the Beam output, before (witness: false) and after (defaults)
    before, after = StageOutput(results["stage_before"]["links"]), StageOutput(results["stage"]["links"])
    # peer
    peer_pairs = {tuple(p) for p in results["peer"]["pairs"]}
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in sorted(peer_pairs):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    peer_groups = defaultdict(set)
    for x in list(parent):
        peer_groups[find(x)].add(x)
    peer_clusters = set()
    for r, members in peer_groups.items():
        peer_clusters.update(combinations(sorted(members | {r}), 2))

    family = {}
    for oid, cid, _, _ in planted:
        family[oid] = oid
        family[cid] = oid

    # sample of non-candidate pairs (uniform, and within one language), brute force
    by_lang = defaultdict(list)
    for i in ids:
        by_lang[lang_of[i]].append(i)
    sample_pairs = set()
    while len(sample_pairs) < sample // 2:
        a, b = rng.sample(ids, 2)
        sample_pairs.add(pair(a, b))
    langs = sorted(by_lang)
    while len(sample_pairs) < sample:
        pool = by_lang[rng.choice(langs)]
        a, b = rng.sample(pool, 2)
        sample_pairs.add(pair(a, b))
    sample_pairs -= set(cand)
    sample_j = {p: truth.jaccard(*p) for p in sample_pairs}
    missed_by_join = [p for p, j in sample_j.items() if j >= ALLPAIRS_T and p not in high]

    decisions = {"stage pairs": stage_pairs, "signature-verified pairs": sig_pairs,
                 "clusters before": before.cluster_pairs, "clusters after": after.cluster_pairs,
                 "dropped->kept before": before.rep_pairs, "dropped->kept after": after.rep_pairs,
                 "peer pairs": peer_pairs, "peer clusters": peer_clusters}
    output = {name: output_metrics(out, ids, high, truth, spaced)
              for name, out in (("before", before), ("after", after))}
    audit = audit_metrics(results["stage"]["audit"], after, ids, truth, spaced)
    metrics = {}
    for name, decided in decisions.items():
        for cls in ("spaced", "unspaced", "all"):
            def in_cls(p):
                return cls == "all" or spaced[p[0]] == (cls == "spaced")

            dec = [p for p in decided if in_cls(p)]
            pos = [p for p, j in high.items() if j >= RECALL_J and in_cls(p)]
            tp_prec = sum(truth.jaccard(*p) >= THRESHOLD for p in dec)
            band = [p for p, j in high.items() if THRESHOLD <= j < RECALL_J and in_cls(p)]
            base = stage_pairs if name.startswith(("clusters ", "dropped->kept ")) else (
                peer_pairs if name == "peer clusters" else None)
            metrics[f"{name}|{cls}"] = {
                "transitive_fp": (sum(truth.jaccard(*p) < THRESHOLD and p not in base for p in dec)
                                  if base is not None else None),
                "decided": len(dec),
                "precision": tp_prec / len(dec) if dec else 1.0,
                "family_precision": (sum(family.get(p[0], p[0]) == family.get(p[1], p[1]) for p in dec) / len(dec)
                                     if dec else 1.0),
                "decided_j_lt_0.7": sum(truth.jaccard(*p) < 0.7 for p in dec),
                "positives": len(pos),
                "recall": (sum(p in decided for p in pos) / len(pos) if pos else 1.0)
                if not name.startswith("dropped->kept") else None,
                "recall_0.8_0.85": sum(p in decided for p in band) / len(band) if band else 1.0,
                "n_0.8_0.85": len(band),
            }
    # planted pairs by edit kind: true Jaccard and recall of each decision
    by_edit = defaultdict(lambda: {"n": 0, "j": [], **{k: 0 for k in decisions}})
    for oid, cid, kind, level in planted:
        e = by_edit["|".join(("unspaced" if not spaced[oid] else "spaced",
                              f"{kind} {level}%" if kind != "exact" else "exact"))]
        p = pair(oid, cid)
        e["n"] += 1
        e["j"].append(truth.jaccard(oid, cid))
        for k, dec in decisions.items():
            e[k] += p in dec
    # J histogram of decided pairs (stage pairs and peer pairs)
    bins = [0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0001]
    hist = {}
    for name in ("stage pairs", "peer pairs"):
        h = Counter()
        for p in decisions[name]:
            j = truth.jaccard(*p)
            for lo, hi in zip(bins, bins[1:]):
                if lo <= j < hi:
                    h[f"{lo:.2f}-{min(hi, 1):.2f}"] += 1
        hist[name] = dict(sorted(h.items()))
    all_h = Counter()
    for j in high.values():
        for lo, hi in zip(bins, bins[1:]):
            if lo <= j < hi:
                all_h[f"{lo:.2f}-{min(hi, 1):.2f}"] += 1
    hist["all pairs (truth)"] = dict(sorted(all_h.items()))
    return {
        "output": output, "audit": audit, "metrics": metrics, "by_edit": by_edit, "hist": hist, "planted": len(planted),
        "pairs_ge_0.6": len(high), "candidates": len(cand), "sample": len(sample_j),
        "sample_max_j": max(sample_j.values()) if sample_j else 0.0,
        "sample_ge_0.8": sum(j >= THRESHOLD for j in sample_j.values()),
        "sample_missed_by_join": len(missed_by_join),
        "eval_seconds": time.perf_counter() - t0,
        "langs": Counter(lang_of.values()),
        "mean_chars": sum(len(d.text) for d in docs) / len(docs),
    }


# ---------------------------------------------------------------------------- main


def worker_eval(n_docs: int, seed: int, out: str) -> dict:
    """The quality evaluation in its own process (it grows large; the parent must stay small)."""
    with open(out, encoding="utf-8") as fh:
        results = json.load(fh)
    start = time.perf_counter()
    res = evaluate(n_docs, seed, results)
    res["seconds"], res["cpu"] = time.perf_counter() - start, cpu_seconds()
    return res


def run_worker(method: str, n_docs: int, seed: int, inputs: dict | None = None) -> dict:
    with tempfile.NamedTemporaryFile(prefix=f"dq_{method}_{n_docs}_", suffix=".json", delete=False) as fh:
        path = fh.name
    if inputs is not None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(inputs, fh)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", method, "--docs", str(n_docs),
           "--seed", str(seed), "--out", path]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    with open(path, encoding="utf-8") as fh:
        res = json.load(fh)
    os.unlink(path)
    print(f"[{time.strftime('%H:%M:%S')}] {n_docs} {method}: {res['seconds']:.1f}s wall, {res['cpu']:.1f}s CPU "
          f"(process {time.perf_counter() - start:.0f}s)", file=sys.stderr, flush=True)
    return res


WORKERS["eval"] = worker_eval


def fmt(x, nd=3):
    return f"{x:.{nd}f}"


def write_report(args, points, skipped, s, peer_br):
    lines = [
        "# Dedup quality and scale",
        "",
        f"Command: `{' '.join(['python benchmarks/dedup_quality.py'] + sys.argv[1:])}`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; shared with other jobs, benchmarks run under `nice`, "
        "so times are indicative (±20%).",
        "",
        f"Settings (defaults): num_perm={s.num_perm}, word 5-grams (spaced) / character 5-grams (unspaced), "
        f"threshold {s.threshold}, bands x rows = {s.bands} x {s.rows}, verification `{s.verify_method}` "
        f"(Jaccard >= {s.verify_threshold}), witness check on ({s.witness_rounds} rounds). "
        f"Peer: datasketch `MinHashLSH(threshold={s.threshold}, num_perm={s.num_perm})` "
        f"(its own bands x rows = {peer_br[0]} x {peer_br[1]}, no verification), same shingles and permutations.",
        "",
        "Corpus: synthetic and deterministic (`make_corpus`, seed "
        f"{args.seed}): nine languages in six scripts, spaced (en, es: Latin; ru: Cyrillic; ar: Arabic; hi: "
        "Devanagari) and unspaced (zh: Han; ja: kana+kanji; th: Thai), generated from per-language word "
        "inventories (real function words + syllable-built content words, Zipf); 10% short pages (2-4 "
        "lines), 40% of pages carry the shared header/footer of one of 40 sites per language. A quarter of "
        "originals get 1-3 planted copies: exact (case/whitespace), insert / delete / substitute 1, 2, 5, 10% "
        "of the units (words, or characters for unspaced scripts), boilerplate header+footer of 5/15/30% of "
        "the length, 1 or 3 line swaps, full line shuffle, and three mixes. The same corpus is used for "
        "every figure; nothing is tuned on it in this script.",
        "",
        "Truth, computed without the code under test: the benchmark's own tokenisation of the texts it "
        "generated (case-folded whitespace-separated words for spaced languages, non-space characters for "
        "unspaced ones, its inserted sentence-end marks removed; 5-grams) and its own set Jaccard. Every pair "
        "with true J >= 0.6 is found by an exact prefix-filtered all-pairs join; a random sample of other "
        "pairs (half uniform, half within one language) is computed by brute force.",
        "",
        "The stage (`Deduplicate` Beam transform, FnApiRunner) runs twice on the corpus: **before** = "
        "`minhash.witness: false` (every member of a connected component of verified pairs is removed for "
        "the component's minimum: the stage's behaviour before the witness check), **after** = the defaults "
        "(a document is removed only with a kept witness at exact shingle Jaccard >= 0.8).",
        "",
    ]
    for n_docs, pt in points.items():
        ev = pt.get("eval")
        if not ev:
            continue
        lines += [f"## What the output gets right, {n_docs:,} documents", "",
                  "Per stage run and script class: **removed**; **removal precision** = removed documents for "
                  "which some kept document has true J >= 0.8 with them; **named kept doc** = share whose named "
                  "kept document (the end of the `dedup_duplicate_of` chain: the witness after, the component "
                  "minimum before) has true J >= 0.8; **duplicate pairs left** = pairs with true J >= 0.8 "
                  "(>= 0.85) whose two documents are both kept, recall = 1 - left / all such pairs; **cluster "
                  "precision** = pairs of one output cluster (a kept document and those removed for it) with "
                  "true J >= 0.8, and how many are below 0.8 / 0.7.", "",
                  "| run | scripts | docs | removed | removal precision | named kept doc J>=0.8 | pairs J>=0.8: "
                  "left / all | recall (J>=0.8) | pairs J>=0.85: left / all | recall (J>=0.85) | same-cluster "
                  "pairs | cluster precision | same-cluster J<0.8 | same-cluster J<0.7 |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for run in ("before", "after"):
            for cls in CLASSES:
                o = ev["output"][run][cls]
                rem = o["removed"] or 1
                cp = o["cluster_pairs"] or 1
                lines.append(
                    f"| {run} | {cls} | {o['docs']} | {o['removed']} | {fmt(o['removed_with_kept_duplicate'] / rem)} | "
                    f"{fmt(o['removed_named_ok'] / rem)} | {o['dup_pairs_left']} / {o['dup_pairs']} | "
                    f"{fmt(1 - o['dup_pairs_left'] / (o['dup_pairs'] or 1))} | "
                    f"{o['dup_pairs_085_left']} / {o['dup_pairs_085']} | "
                    f"{fmt(1 - o['dup_pairs_085_left'] / (o['dup_pairs_085'] or 1))} | {o['cluster_pairs']} | "
                    f"{fmt(o['cluster_pairs_ok'] / cp)} | {o['cluster_pairs'] - o['cluster_pairs_ok']} | "
                    f"{o['cluster_pairs_lt_0.7']} |")
        au = ev["audit"]
        lines += ["", f"Witness audit of the 'after' run (`OUTPUT/dedup/witnesses-*.jsonl`): {au['records']} records "
                  f"for {au['removed']} removed documents (one per removed document: "
                  f"{'yes' if au['one_per_removed'] else '**no**'}); witness kept by the stage: "
                  f"{au['witness_kept']}; witness = the document named in `dedup_duplicate_of` (or its chain): "
                  f"{au['witness_is_output_link']}; recorded Jaccard >= 0.8: {au['recorded_ge_t']} (lowest "
                  f"{fmt(au['min_recorded'] or 0)}); true Jaccard (benchmark tokenisation) >= 0.8: {au['truth_ge_t']} "
                  f"(lowest {fmt(au['min_truth'] or 0)}); largest |recorded - true| {au['max_abs_diff']:.4f}, "
                  f"{au['diff_gt_0.01']} records differ by more than 0.01.", ""]
        lines += [f"## Pairwise decisions, {n_docs:,} documents", "",
                  "Decisions: **stage pairs** = the stage's pairwise rule (share a band of the "
                  f"{s.bands}x{s.rows} LSH, all pairs of each bucket, and pass the verification: exact Jaccard "
                  "of the shingle fingerprints >= 0.8); **signature-verified pairs** = the same candidates "
                  "verified by the signatures' estimated Jaccard >= 0.8 instead (`verify_method: signature`); "
                  "**clusters before / after** = same output cluster; **dropped->kept before / after** = each "
                  "removed document and the kept document it ends at; **peer pairs** = datasketch `query` "
                  "returns the other document; **peer clusters** = union-find of those. Precision = decided "
                  "pairs with true J >= 0.8 / decided pairs; recall = decided / all pairs with true J >= 0.85; "
                  "'target met' = precision >= 0.95 and recall >= 0.90.", "",
                  f"{ev['planted']} planted copies; {ev['pairs_ge_0.6']} pairs with J >= 0.6 in the whole corpus; "
                  f"{ev['candidates']} LSH candidate pairs (largest bucket {pt['signatures']['largest_bucket']}); "
                  f"{ev['sample']} sampled non-candidate pairs: max true J {ev['sample_max_j']:.3f}, "
                  f"{ev['sample_ge_0.8']} with J >= 0.8, {ev['sample_missed_by_join']} with J >= 0.6 missed by "
                  f"the all-pairs join. Mean document {ev['mean_chars']:.0f} characters.",
                  "",
                  "| decision | scripts | decided pairs | precision (J>=0.8) | decided with J<0.7 | J<0.8 only by "
                  "transitivity | same planted family | pairs J>=0.85 | recall (J>=0.85) | recall on J in [0.8,0.85) "
                  "| target met |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for key, m in ev["metrics"].items():
            name, cls = key.split("|")
            if m["recall"] is None:
                met, rec, band = "-", "-", "-"
            else:
                met = "yes" if m["precision"] >= 0.95 and m["recall"] >= 0.90 else "**no**"
                rec, band = fmt(m["recall"]), f"{fmt(m['recall_0.8_0.85'])} ({m['n_0.8_0.85']})"
            trans = "-" if m["transitive_fp"] is None else m["transitive_fp"]
            lines.append(f"| {name} | {cls} | {m['decided']} | {fmt(m['precision'])} | {m['decided_j_lt_0.7']} | "
                         f"{trans} | {fmt(m['family_precision'])} | {m['positives']} | {rec} | {band} | {met} |")
        lines += ["", "True Jaccard of decided pairs (count per bin) and of all pairs with J >= 0.6:", "",
                  "| bin | " + " | ".join(ev["hist"]) + " |", "|---|" + "---:|" * len(ev["hist"])]
        bins = sorted({b for h in ev["hist"].values() for b in h})
        for b in bins:
            lines.append(f"| {b} | " + " | ".join(str(h.get(b, 0)) for h in ev["hist"].values()) + " |")
        lines += ["", "Planted copies by edit (original vs copy): mean / min true Jaccard, and share found per "
                  "decision (same cluster, for the stage's output before / after):", "",
                  "| scripts | edit | n | mean J | min J | stage pairs | clusters before | clusters after | peer pairs |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for key, e in sorted(ev["by_edit"].items()):
            cls, edit = key.split("|")
            n = e["n"]
            lines.append(f"| {cls} | {edit} | {n} | {sum(e['j']) / n:.3f} | {min(e['j']):.3f} | "
                         f"{e['stage pairs'] / n:.2f} | {e['clusters before'] / n:.2f} | "
                         f"{e['clusters after'] / n:.2f} | {e['peer pairs'] / n:.2f} |")
        lines.append("")
    lines += ["## Speed and memory", "",
              "Peak RSS = VmHWM (`/proc/self/status`) of the method's own process. The peer holds the corpus in memory ('corpus "
              "RSS' = its process after building it); the stage process reads the corpus from a JSONL file inside "
              "the pipeline ('corpus RSS' = Python + Beam before the run). Stage = the whole `Deduplicate` transform (exact + near, "
              "verification, connected components, witness check and audit) on the local FnApiRunner (in_memory, one "
              "worker) plus writing its dropped list; 'before' = the same with `minhash.witness: false` (no witness "
              "check, audit without Jaccard). Peer = signatures + insert + query of datasketch's MinHashLSH.", "",
              "| docs | MB | signature docs/s (1 core, CPU time) | stage wall s | stage CPU s | stage docs/s (wall) | "
              "stage peak RSS MB | before: wall s / CPU s / peak RSS MB | peer wall s | peer CPU s | peer peak RSS MB "
              "| corpus RSS MB (stage / peer) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n_docs, pt in points.items():
        sg, st, sb, pe = pt["signatures"], pt["stage"], pt["stage_before"], pt["peer"]
        lines.append(f"| {n_docs:,} | {sg['mb']:.1f} | {n_docs / sg['cpu']:.0f} | {st['seconds']:.1f} | {st['cpu']:.1f} | "
                     f"{n_docs / st['seconds']:.0f} | {st['peak_rss_mb']:.0f} | "
                     f"{sb['seconds']:.1f} / {sb['cpu']:.1f} / {sb['peak_rss_mb']:.0f} | {pe['seconds']:.1f} | {pe['cpu']:.1f} | "
                     f"{pe['peak_rss_mb']:.0f} | {st['corpus_rss_mb']:.0f} / {pe['corpus_rss_mb']:.0f} |")
    lines += ["", "Load average when each point started (other jobs share the 2 cores): " + ", ".join(
        f"{n:,}: {pt['load']}" for n, pt in points.items()) + ". CPU seconds are this process only (all threads)."]
    for line in skipped:
        lines += ["", line]
    ns = list(points)
    if len(ns) >= 2:
        a, b = ns[-2], ns[-1]
        g_t = math.log(points[b]["stage"]["seconds"] / points[a]["stage"]["seconds"]) / math.log(b / a)
        g_c = math.log(points[b]["stage"]["cpu"] / points[a]["stage"]["cpu"]) / math.log(b / a)
        extra = points[b]["stage"]["peak_rss_mb"] - points[a]["stage"]["peak_rss_mb"]
        lines += ["", f"Growth {a:,} -> {b:,} documents: stage wall time ~ n^{g_t:.2f}, CPU time ~ n^{g_c:.2f}; "
                  f"stage peak RSS +{extra / (b - a) * 1000:.0f} MB per 1,000 documents."]
    lines += ["", "Stage statistics ('after', largest point): " + ", ".join(
        f"`{k}`={v}" for k, v in sorted(points[ns[-1]]["stage"]["stats"].items()))]
    lines.append("")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000], help="scale points (default: 10000)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", default=RESULTS)
    parser.add_argument("--eval-max", type=int, default=100_000,
                        help="compute the quality figures only for points up to this size")
    parser.add_argument("--max-stage-minutes", type=float, default=15.0,
                        help="skip a point whose stage time, extrapolated from the measured ones, exceeds this")
    parser.add_argument("--worker", choices=sorted(WORKERS))
    args = parser.parse_args()
    if args.worker:
        res = WORKERS[args.worker](args.docs[0], args.seed, args.out)
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(res, fh)
        return
    s = settings().near
    points, skipped, peer_br = {}, [], (0, 0)
    for n_docs in sorted(args.docs):
        done = list(points)
        if len(done) >= 1:
            a = done[-1]
            if len(done) >= 2:
                b0 = done[-2]
                g = math.log(points[a]["stage"]["seconds"] / points[b0]["stage"]["seconds"]) / math.log(a / b0)
            else:
                g = 1.1
            g = max(g, 1.0)
            predicted = points[a]["stage"]["seconds"] * (n_docs / a) ** g
            ratio = n_docs / a
            rss = points[a]["stage"]["peak_rss_mb"] * ratio if len(done) < 2 else (
                points[a]["stage"]["peak_rss_mb"] + (points[a]["stage"]["peak_rss_mb"] - points[done[-2]]["stage"]["peak_rss_mb"])
                / (a - done[-2]) * (n_docs - a))
            if predicted > args.max_stage_minutes * 60:
                skipped.append(
                    f"{n_docs:,} documents: skipped -- the stage would take about {predicted / 60:.0f} min "
                    f"(> {args.max_stage_minutes:.0f} min), extrapolated as time ~ n^{g:.2f} from the measured "
                    f"points; its peak RSS would be about {rss / 1024:.1f} GB (linear in n from the measured points).")
                print(skipped[-1], file=sys.stderr)
                continue
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        pt = {m: run_worker(m, n_docs, args.seed) for m in ("signatures", "stage", "stage_before", "peer")}
        pt["load"] = load
        peer_br = pt["peer"]["bands_rows"]
        if n_docs <= args.eval_max:
            pt["eval"] = run_worker("eval", n_docs, args.seed, inputs=pt)
        if os.path.exists(corpus_file(n_docs, args.seed)):
            os.unlink(corpus_file(n_docs, args.seed))
        for k in ("candidates",):
            pt["signatures"].pop(k)
        for run in ("stage", "stage_before"):
            pt[run].pop("links")
            pt[run].pop("audit")
        pt["peer"].pop("pairs")
        points[n_docs] = pt
        write_report(args, points, skipped, s, peer_br)  # after every point: partial results survive


if __name__ == "__main__":
    main()
