"""Tests of the Deduplicate Beam transform (TestPipeline on the FnApiRunner)."""

from __future__ import annotations

import json
import random
import string

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import Config
from pipeline.records import Doc, Dropped
from pipeline.stages.dedup import CLUSTER_SIZE_KEY, DUPLICATE_OF_KEY, Deduplicate
from pipeline.stages.dedup_core import deduplicate_in_memory, resolve_settings


def make_config(tmp_path=None, witness_rounds=None, **dedup) -> Config:
    """A config whose audit files go to ``tmp_path`` (none are written without it)."""
    if witness_rounds is not None:
        dedup["minhash"] = {**dedup.get("minhash", {}), "witness_rounds": witness_rounds}
    data = {"name": "t", "seed": 1234, "sources": [{"name": "web", "paths": ["x.jsonl"]}], "dedup": dedup}
    if tmp_path is not None:
        data["output"] = str(tmp_path)
    else:
        dedup.setdefault("write_witnesses", False)
    return Config.model_validate(data)


def read_witnesses(out_dir) -> list[dict]:
    """Every record of OUTPUT/dedup/witnesses-*.jsonl (checking that each shard is sorted)."""
    shards = sorted((out_dir / "dedup").glob("witnesses-*.jsonl"))
    assert [p.name for p in shards] == [f"witnesses-{i:05d}-of-00004.jsonl" for i in range(4)]
    records = []
    for path in shards:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines == sorted(lines)
        records += [json.loads(line) for line in lines]
    return sorted(records, key=lambda r: r["removed_id"])


def doc(id_: str, text: str, lang: str = "en", script: str = "Latn") -> Doc:
    return Doc(id=id_, text=text, source="web", lang=lang, lang_score=0.9, script=script)


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9))) for _ in range(n)]


def multilingual_docs() -> list[Doc]:
    rng = random.Random(5)
    en = " ".join(words(rng, 150))
    ru = " ".join("".join(rng.choice("абвгдежзиклмнопрстуфхцчшщыэюя") for _ in range(rng.randint(2, 8))) for _ in range(150))
    zh = "".join(rng.choice("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心") for _ in range(400))
    th = "".join(rng.choice("กขคฆงจฉชซญดตถทธนบปผฝพฟภมยรลวสหอฮะาำิีึืุู") for _ in range(400))
    return [
        doc("en-a", en), doc("en-b", "  " + en.title() + "  "), doc("en-c", "Breaking news. " + en + " Share this."),
        doc("ru-a", ru, "ru", "Cyrl"), doc("ru-b", ru + " конец", "ru", "Cyrl"),
        doc("zh-a", zh, "zh", "Hani"), doc("zh-b", "新闻" + zh[:380] + "版权所有", "zh", "Hani"),
        doc("th-a", th, "th", "Thai"), doc("th-b", th, "th", "Thai"),
        doc("solo", " ".join(words(rng, 60))), doc("tiny", "ok", "en"), doc("emoji", "🎉🎉", "und", "Zyyy"),
    ]


def summed_stats(stats):
    return stats | "SumStats" >> beam.CombinePerKey(sum)


def contains_stats(expected: dict):
    def check(actual):
        got = dict(actual)
        missing = {k: v for k, v in expected.items() if got.get(k) != v}
        assert not missing, f"stats differ: expected {missing}, got {[(k, got.get(k)) for k in missing]}"

    return check


def test_transform_on_test_pipeline(beam_pipeline, tmp_path):
    config = make_config(tmp_path, keep_cluster_size=True, write_clusters=True, max_rounds=3)
    with beam_pipeline as p:
        out = p | beam.Create(multilingual_docs()) | Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)
        assert_that(
            out["kept"] | beam.Map(lambda d: (d.id, d.metadata[CLUSTER_SIZE_KEY])),
            equal_to([("en-a", 3), ("ru-a", 2), ("zh-a", 2), ("th-a", 2), ("solo", 1), ("tiny", 1), ("emoji", 1)]),
            label="kept",
        )
        assert_that(
            out["dropped"] | beam.Map(lambda d: (d.doc.id, d.reason, d.doc.metadata[DUPLICATE_OF_KEY])),
            equal_to([
                ("en-b", "dedup:exact", "en-a"), ("th-b", "dedup:exact", "th-a"),
                ("en-c", "dedup:near", "en-a"), ("ru-b", "dedup:near", "ru-a"), ("zh-b", "dedup:near", "zh-a"),
            ]),
            label="dropped",
        )
        assert_that(
            summed_stats(out["stats"]),
            contains_stats({
                "dedup/clusters": 5, "dedup/exact/clusters": 2, "dedup/near/clusters": 3,
                "dedup/cluster_size/2": 5, "dedup/near/cluster_size/2": 3,
                "dedup/exact/removed/en": 1, "dedup/exact/removed/th": 1,
                "dedup/near/removed/en": 1, "dedup/near/removed/ru": 1, "dedup/near/removed/zh": 1,
                "dedup/near/shingle_unit/mixed": 9,
                "dedup/near/short_docs/en": 1, "dedup/near/no_shingles/und": 1,
                "dedup/near/signatures": 9, "dedup/near/candidate_pairs": 3, "dedup/near/verified_pairs": 3,
                "dedup/near/bands": 14, "dedup/near/rows": 9, "dedup/cc/rounds_used": 1,
                "dedup/largest/exact/en-a": 2, "dedup/largest/near/zh-a": 2,
            }),
            label="stats",
        )
    lines = (tmp_path / "dedup" / "clusters.jsonl").read_text(encoding="utf-8").splitlines()
    clusters = [json.loads(line) for line in lines]
    assert lines == sorted(lines)
    assert {"kind": "near", "representative": "en-a", "size": 2, "members": ["en-a", "en-c"]} in clusters
    assert {"kind": "exact", "representative": "th-a", "size": 2, "members": ["th-a", "th-b"]} in clusters
    assert len(clusters) == 5
    witnesses = read_witnesses(tmp_path)
    assert [(r["reason"], r["removed_id"], r["witness_id"]) for r in witnesses] == [
        ("dedup:exact", "en-b", "en-a"), ("dedup:near", "en-c", "en-a"), ("dedup:near", "ru-b", "ru-a"),
        ("dedup:exact", "th-b", "th-a"), ("dedup:near", "zh-b", "zh-a"),
    ]
    expected = deduplicate_in_memory(multilingual_docs(), resolve_settings(config.dedup, config.seed)).witnesses
    assert witnesses == [expected[r["removed_id"]] for r in witnesses]
    assert all(r["jaccard"] >= 0.8 for r in witnesses)


def planted_corpus(n_originals: int = 40, seed: int = 3) -> list[Doc]:
    """Originals in several scripts plus planted exact and near copies (edits, headers, shuffles)."""
    rng = random.Random(seed)
    alphabets = {
        ("en", "Latn"): None,
        ("ar", "Arab"): "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
        ("zh", "Hani"): "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会",
        ("ja", "Jpan"): "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろ",
    }
    docs = []
    for i in range(n_originals):
        (lang, script), alphabet = list(alphabets.items())[i % len(alphabets)]
        if alphabet is None or lang == "ar":
            ws = words(rng, 200) if alphabet is None else [
                "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 7))) for _ in range(200)
            ]
            text = " ".join(ws)
            near = " ".join(ws[:190] + words(rng, 5))
        else:
            text = "".join(rng.choice(alphabet) for _ in range(600))
            near = "ヘッダー" + text[:590] if lang == "ja" else text[:580] + "版权所有"
        oid = f"{lang}-{rng.randrange(10**6):06d}"
        docs.append(doc(oid, text, lang, script))
        kind = i % 3
        if kind == 0:
            docs.append(doc(oid + "-x", text.upper(), lang, script))
        elif kind == 1:
            docs.append(doc(oid + "-n", near, lang, script))
            if i % 2:
                docs.append(doc("a" + oid, near, lang, script))  # exact copy of a near copy, smaller id
    rng.shuffle(docs)
    return docs


def expected_outputs(docs: list[Doc], config: Config):
    result = deduplicate_in_memory(docs, resolve_settings(config.dedup, config.seed))
    by_id = {d.id: d for d in docs}
    kept = [by_id[i] for i in result.kept]
    dropped = [
        Dropped(by_id[i].with_metadata(**{DUPLICATE_OF_KEY: rep}), reason)
        for i, (reason, rep) in sorted(result.dropped.items())
    ]
    return kept, dropped, result


def run_and_check(pipeline, docs, config, kept, dropped):
    with pipeline as p:
        out = p | beam.Create(docs) | Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)
        assert_that(out["kept"], equal_to(kept), label="kept")
        assert_that(out["dropped"], equal_to(dropped), label="dropped")


def test_beam_equals_in_memory_reference_across_runs_and_runners(tmp_path):
    docs = planted_corpus()
    # planted clusters are small: rounds after convergence only cost time
    configs = [make_config(tmp_path / f"run{i}", max_rounds=4, witness_rounds=3) for i in range(3)]
    kept, dropped, result = expected_outputs(docs, configs[0])
    reasons = [d.reason for d in dropped]
    assert reasons.count("dedup:exact") >= 10 and reasons.count("dedup:near") >= 10  # the corpus plants both
    in_memory = lambda: BeamTestPipeline(runner=FnApiRunner(), options=PipelineOptions([]))  # noqa: E731
    run_and_check(in_memory(), docs, configs[0], kept, dropped)
    run_and_check(in_memory(), list(reversed(docs)), configs[1], kept, dropped)  # input order does not matter
    multi = BeamTestPipeline(
        runner=FnApiRunner(),
        options=PipelineOptions(["--direct_running_mode=multi_processing", "--direct_num_workers=2"]),
    )
    run_and_check(multi, docs, configs[2], kept, dropped)
    witnesses = read_witnesses(tmp_path / "run0")
    assert witnesses == [result.witnesses[d.doc.id] for d in dropped]  # one record per removed document
    shards = [sorted((tmp_path / f"run{i}" / "dedup").glob("witnesses-*")) for i in range(3)]
    assert [[p.read_bytes() for p in run] for run in shards[1:]] == [[p.read_bytes() for p in shards[0]]] * 2


def chain_docs() -> list[Doc]:
    """a~b~c~d: consecutive documents share half their words; a and d share nothing."""
    rng = random.Random(21)
    blocks = [words(rng, 60) for _ in range(5)]
    ids = ["n3", "n1", "n4", "n2"]  # the chain zig-zags through the id order
    return [doc(ids[i], " ".join(blocks[i] + blocks[i + 1])) for i in range(4)] + [doc("z", " ".join(words(rng, 100)))]


CHAIN_DEDUP = {"exact": False, "minhash": {"threshold": 0.3, "bands": 64, "rows": 2, "verify": False}}


def test_chain_of_candidates_ends_as_one_component_without_witness_check(beam_pipeline):
    docs = chain_docs()
    config = make_config(**{**CHAIN_DEDUP, "minhash": {**CHAIN_DEDUP["minhash"], "witness": False}}, max_rounds=6)
    kept, dropped, result = expected_outputs(docs, config)
    pairs = {tuple(sorted(p)) for p in result.candidate_pairs}
    assert ("n2", "n3") not in pairs  # a and d are not candidates
    assert [d.doc.id for d in dropped] == ["n2", "n3", "n4"] and [k.id for k in kept] == ["n1", "z"]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)
        assert_that(out["kept"], equal_to(kept), label="kept")
        assert_that(out["dropped"], equal_to(dropped), label="dropped")
        assert_that(
            summed_stats(out["stats"]),
            contains_stats({"dedup/cc/rounds_used": 2, "dedup/near/clusters": 1, "dedup/near/cluster_size/4": 1,
                            "dedup/cc/changes/2": 0, "dedup/cc/changes/6": 0}),
            label="stats",
        )


def test_chain_member_without_a_witness_is_not_removed(tmp_path):
    """n3~n1~n4~n2 is one component (minimum n1); n2 shares nothing with n1, so it is kept."""
    docs = chain_docs()
    config = make_config(tmp_path, **CHAIN_DEDUP, max_rounds=6)
    kept, dropped, result = expected_outputs(docs, config)
    assert [k.id for k in kept] == ["n1", "n2", "z"]
    assert [(d.doc.id, d.doc.metadata[DUPLICATE_OF_KEY]) for d in dropped] == [("n3", "n1"), ("n4", "n1")]
    pipeline = BeamTestPipeline(runner=FnApiRunner(), options=PipelineOptions([]))
    with pipeline as p:
        out = p | beam.Create(docs) | Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)
        assert_that(out["kept"], equal_to(kept), label="kept")
        assert_that(out["dropped"], equal_to(dropped), label="dropped")
        assert_that(
            summed_stats(out["stats"]),
            contains_stats({"dedup/near/clusters": 1, "dedup/near/cluster_size/3": 1,
                            "dedup/near/witness_verified": 2, "dedup/near/witness_failed": 1,
                            "dedup/near/witness_promoted": 1}),
            label="stats",
        )
    witnesses = read_witnesses(tmp_path)
    assert [(r["removed_id"], r["witness_id"], r["cluster"]) for r in witnesses] == [("n3", "n1", "n1"),
                                                                                     ("n4", "n1", "n1")]
    assert [r["jaccard"] for r in witnesses] == [pytest.approx(56 / 176), pytest.approx(56 / 176)]  # 5-grams
    assert witnesses == [result.witnesses["n3"], result.witnesses["n4"]]


def test_too_few_rounds_fail_with_a_clear_message(beam_pipeline):
    config = make_config(**CHAIN_DEDUP, max_rounds=1)
    with pytest.raises(Exception, match="did not converge in dedup.max_rounds=1"):
        with beam_pipeline as p:
            _ = p | beam.Create(chain_docs()) | Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)


def test_disabled_stage_passes_everything_through(beam_pipeline):
    docs = multilingual_docs()
    with beam_pipeline as p:
        out = p | beam.Create(docs) | Deduplicate(make_config(enabled=False).dedup, seed=1234, output_dir="unused")
        assert_that(out["kept"], equal_to(docs), label="kept")
        assert_that(out["dropped"], equal_to([]), label="dropped")


def test_keep_longest_policy_matches_reference(beam_pipeline):
    docs = planted_corpus(n_originals=15, seed=9)
    config = make_config(exact={"keep": "longest", "strip_punctuation": True}, minhash={"keep": "longest"}, max_rounds=3)
    kept, dropped, _ = expected_outputs(docs, config)
    assert any(d.doc.metadata[DUPLICATE_OF_KEY] > d.doc.id for d in dropped)  # not simply the smallest id
    run_and_check(beam_pipeline, docs, config, kept, dropped)


def test_signature_verification_matches_reference(beam_pipeline):
    rng = random.Random(17)
    docs = []
    for i in range(30):
        ws = words(rng, 150)
        copy = list(ws)
        for pos in rng.sample(range(150), 3 + i % 2):
            copy[pos] = "zz" + copy[pos]
        docs += [doc(f"o{i:02d}", " ".join(ws)), doc(f"c{i:02d}", " ".join(copy))]
    config = make_config(minhash={"verify_method": "signature"}, max_rounds=3)
    kept, dropped, _ = expected_outputs(docs, config)
    exact_kept, _, _ = expected_outputs(docs, make_config(max_rounds=3))
    assert kept != exact_kept  # the two verification methods decide differently on this corpus
    run_and_check(beam_pipeline, docs, config, kept, dropped)
