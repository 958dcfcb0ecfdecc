"""Canaries: pure core (construction, selection, manifest) and the InjectCanaries transform."""

import hashlib
import re

import pytest
import regex

from pipeline.config import parse_config
from pipeline.config.canaries import CanariesConfig
from pipeline.mixture.tokens import make_counter
from pipeline.records import Doc
from pipeline.stages import canaries_core as cn
from pipeline.stages.canaries import InjectCanaries

COUNTER = make_counter()
SEED = 1234

EN = ("The river town wakes early and the bakers open their doors before the sun rises over "
      "the old stone bridge while fishermen prepare their nets for the long day ahead.")
ZH = "清明既是二十四节气之一，也是中国重要的传统节日，一般在每年公历四月四日到六日之间。这时天气转暖，草木萌发。"
TH = "ที่กรุงเทพมหานครมีตลาดน้ำหลายแห่งที่นักท่องเที่ยวนิยมไปเยี่ยมชมในวันหยุดสุดสัปดาห์"
AR = "تقع المدينة القديمة على ضفاف النهر، ويزورها السياح من كل أنحاء العالم للاستمتاع بأسواقها التقليدية."
EMOJI = "Party time 🎉🎉 with friends 👩‍👩‍👧 and cake 🍰, see you soon!"


def make_doc(doc_id, text, lang, source="web", script="", **metadata):
    return Doc(id=doc_id, text=text, source=source, lang=lang, lang_score=0.9, script=script,
               tokens=COUNTER.count(text), metadata={"input_file": f"{source}/{lang}.jsonl", "input_line": 1,
                                                     **metadata})


def corpus(langs=("en", "zh", "th", "ar"), per_lang=8, copies=3):
    base = {"en": EN, "zh": ZH, "th": TH, "ar": AR, "sw": EN}
    docs = []
    for lang in langs:
        for i in range(per_lang):
            # distinct texts: each document repeats its base text a different number of times
            text = "\n".join(f"{base[lang]} {i}-{k}" for k in range(copies + i % 3))
            docs.append(make_doc(f"web-{lang}-{i:04d}", text, lang))
    return docs


def config(**overrides):
    settings = dict(enabled=True, per_language=2, repetitions=[1, 3], min_source_tokens=40,
                    interleave_chunk_tokens=5, prefix_tokens=10, suffix_tokens=5)
    settings.update(overrides)
    return CanariesConfig(**settings)


# ---------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("text", [ZH, TH, "東京タワーは1958年に完成した。", "ภาษาไทย"])
def test_spaceless_text_round_trips_through_tokens(text):
    assert cn.join_tokens(cn.canary_tokens(text)) == text


def test_spaced_text_round_trips_up_to_whitespace():
    for text in (EN, AR, EMOJI, "line one\n\nline   two"):
        assert cn.join_tokens(cn.canary_tokens(text)) == " ".join(text.split())


def test_join_rules_for_mixed_scripts_and_empty():
    assert cn.join_tokens([]) == ""
    assert cn.join_tokens(["iPhone", "の", "価", "格", "is", "high."]) == "iPhoneの価格is high."
    assert cn.join_tokens(["مرحبا", "بالعالم"]) == "مرحبا بالعالم"
    assert cn.canary_tokens("") == []


# ---------------------------------------------------------------------------- construction


def test_shuffle_is_a_deterministic_permutation():
    tokens = cn.canary_tokens(EN)
    shuffled = cn.shuffle_tokens(tokens, SEED, "doc-1")
    assert sorted(shuffled) == sorted(tokens) and shuffled != tokens
    assert cn.shuffle_tokens(tokens, SEED, "doc-1") == shuffled
    assert cn.shuffle_tokens(tokens, SEED + 1, "doc-1") != shuffled
    assert cn.shuffle_tokens(tokens, SEED, "doc-2") != shuffled
    assert cn.shuffle_tokens([], SEED, "x") == [] and cn.shuffle_tokens(["🎉"], SEED, "x") == ["🎉"]


def test_interleave_alternates_chunks_and_keeps_order():
    a, b = list("abcdefg"), ["1", "2", "3"]
    assert cn.interleave_tokens(a, b, 2) == ["a", "b", "1", "2", "c", "d", "3", "e", "f", "g"]
    assert cn.interleave_tokens(a, [], 3) == a and cn.interleave_tokens([], b, 3) == b
    out = cn.interleave_tokens(cn.canary_tokens(ZH), cn.canary_tokens(TH), 4)
    assert [t for t in out if t in set(cn.canary_tokens(ZH))][:5] == cn.canary_tokens(ZH)[:5]
    with pytest.raises(ValueError):
        cn.interleave_tokens(a, b, 0)


def test_random_tokens_come_from_the_vocabulary():
    vocab = cn.vocabulary_of([make_doc("a", AR, "ar"), make_doc("b", EMOJI, "en")])
    assert vocab == sorted(set(vocab)) and "🎉🎉" in vocab
    drawn = cn.random_tokens(vocab, 200, SEED, "k")
    assert len(drawn) == 200 and set(drawn) <= set(vocab) and len(set(drawn)) > 5
    assert cn.random_tokens(vocab, 200, SEED, "k") == drawn != cn.random_tokens(vocab, 200, SEED, "k2")
    assert cn.random_tokens(vocab, 0, SEED, "k") == []
    with pytest.raises(ValueError):
        cn.random_tokens([], 3, SEED, "k")


def test_huge_document_is_shuffled_into_a_permutation():
    tokens = [f"w{i}" for i in range(200_000)]
    out = cn.shuffle_tokens(tokens, SEED, "huge")
    assert sorted(out) == sorted(tokens) and out != tokens
    assert cn.shuffle_tokens(tokens, SEED, "huge") == out


# ---------------------------------------------------------------------------- selection


def test_bins_by_threshold_and_top_k():
    totals = {"en": 1000, "zh": 500, "th": 500, "sw": 10}
    assert cn.assign_bins(totals, "threshold", 500, 0) == {"en": "large", "zh": "large", "th": "large", "sw": "small"}
    assert cn.assign_bins(totals, "top_k", 0, 2) == {"en": "large", "th": "large", "zh": "small", "sw": "small"}
    assert cn.assign_bins({}, "top_k", 0, 2) == {}


def test_language_choice_skips_und_and_alternates_bins():
    totals = {"en": 9, "de": 8, "fr": 7, "sw": 1, "yo": 1, "und": 50}
    bins = cn.assign_bins(totals, "top_k", 0, 3)
    assert cn.choose_languages(totals, bins, None, None, SEED) == ["de", "en", "fr", "sw", "yo"]
    assert cn.choose_languages(totals, bins, ["und", "sw", "xx"], None, SEED) == ["sw", "und"]
    two = cn.choose_languages(totals, bins, None, 2, SEED)
    assert len(two) == 2 and {bins[lang] for lang in two} == {"large", "small"}
    assert cn.choose_languages(totals, bins, None, 2, SEED) == two


def test_canary_doc_ids_look_ordinary():
    cid = cn.canary_id(SEED, "en", "shuffle", 0, ["web-en-0001"])
    ids = {cn.canary_doc_id(SEED, "web", cid, k) for k in range(25)}
    assert len(ids) == 25
    assert all(re.fullmatch(r"web-[0-9a-f]{20}", i) for i in ids)
    assert cid != cn.canary_id(SEED, "en", "shuffle", 1, ["web-en-0001"])


def test_sampler_is_order_independent_and_bounded():
    docs = corpus(langs=("en",), per_lang=12)
    sampler = cn.LanguageSampler(SEED, 40, None, n_eligible=3, n_vocab=4)
    whole = sampler.create()
    for d in docs:
        whole = sampler.add(whole, d)
    left, right = sampler.create(), sampler.create()
    for d in reversed(docs[:5]):
        left = sampler.add(left, d)
    for d in docs[5:]:
        right = sampler.add(right, d)
    a, b = sampler.result("en", whole), sampler.result("en", sampler.merge([right, left]))
    assert [d.id for d in a.eligible] == [d.id for d in b.eligible] and len(a.eligible) == 3
    assert [d.id for d in a.vocabulary_docs] == [d.id for d in b.vocabulary_docs] and len(a.vocabulary_docs) == 4
    assert a.tokens == b.tokens == sum(d.tokens for d in docs)


def test_copies_and_short_or_huge_docs_are_never_sources():
    long_text = "\n".join(EN for _ in range(5))
    copy = make_doc("web-en-9#r1", long_text, "en", copy=1)
    short = make_doc("web-en-short", "Too short.", "en")
    huge = make_doc("web-en-huge", " ".join(["word"] * 5000), "en")
    assert not cn.is_eligible(copy, 10, None)
    assert not cn.is_eligible(short, 10, None)
    assert not cn.is_eligible(huge, 10, 1000) and cn.is_eligible(huge, 10, None)


# ---------------------------------------------------------------------------- the whole stage


def test_plan_builds_manifest_and_docs_consistently():
    docs = corpus()
    injected, manifest, stats = cn.plan_all(docs, config(), SEED, COUNTER.count)
    assert len(manifest) == 4 * 3 * 2  # languages x types x per_language
    assert len(injected) == sum(e["repetitions"] for e in manifest) == 4 * 3 * (1 + 3)
    assert [e["id"] for e in manifest] == sorted(e["id"] for e in manifest)
    by_id = {d.id: d for d in injected}
    assert len(by_id) == len(injected)
    for entry in manifest:
        assert entry["repetitions"] in (1, 3) and len(entry["doc_ids"]) == entry["repetitions"]
        assert entry["sha256"] == hashlib.sha256(entry["text"].encode("utf-8")).hexdigest()
        assert entry["text"].startswith(entry["prefix"])
        assert entry["text"][len(entry["prefix"]):].lstrip().startswith(entry["suffix"])
        assert len(cn.canary_tokens(entry["prefix"])) == 10 and len(cn.canary_tokens(entry["suffix"])) == 5
        assert len(entry["source_ids"]) == (2 if entry["type"] == "interleave" else 1)
        for doc_id in entry["doc_ids"]:
            doc = by_id[doc_id]
            assert doc.text == entry["text"] and doc.lang == entry["lang"] and doc.source == "web"
            assert doc.tokens == COUNTER.count(doc.text) == entry["tokens"]
            assert "canary" not in (doc.id + doc.source + str(doc.metadata)).lower()
            assert set(doc.metadata) <= {"input_file"}
    sources = [s for e in manifest for s in e["source_ids"]]
    assert len(sources) == len(set(sources))  # every source document used once
    # shuffled canaries keep their source's tokens; spaceless ones stay spaceless
    originals = {d.id: d for d in docs}
    for entry in manifest:
        if entry["type"] == "shuffle":
            source = originals[entry["source_ids"][0]]
            assert sorted(cn.canary_tokens(entry["text"])) == sorted(cn.canary_tokens(source.text))
        if entry["lang"] in ("zh", "th"):  # never a space next to a Han or Thai letter
            assert regex.search(r"[\p{Han}\p{Thai}] | [\p{Han}\p{Thai}]", entry["text"]) is None
    stats = dict(stats)
    assert stats["canaries/injected_docs/th"] == 3 * (1 + 3)
    assert stats["canaries/canaries/interleave/zh"] == 2
    assert cn.check_injection(manifest, docs + injected) == []
    assert cn.check_injection(manifest, docs + injected[1:]) != []


def test_plan_is_deterministic_and_seeded():
    docs = corpus()
    first = cn.plan_all(docs, config(), SEED, COUNTER.count)
    assert cn.plan_all(list(reversed(docs)), config(), SEED, COUNTER.count) == first
    assert cn.plan_all(docs, config(), SEED + 1, COUNTER.count)[1] != first[1]


def test_languages_without_enough_long_docs_are_skipped():
    docs = corpus(langs=("en", "zh"), per_lang=8) + corpus(langs=("th",), per_lang=3)
    docs.append(make_doc("web-und-1", "\n".join([EN] * 6), "und"))
    injected, manifest, stats = cn.plan_all(docs, config(), SEED, COUNTER.count)
    stats = dict(stats)
    assert stats["canaries/skipped_languages/th"] == 1
    assert {e["lang"] for e in manifest} == {"en", "zh"}  # und never, unless listed
    assert not any(k.endswith("/und") for k in stats)


def test_bins_and_language_limits_reach_the_manifest():
    docs = corpus()
    _, manifest, _ = cn.plan_all(docs, config(bins={"method": "top_k", "top_k": 1}, max_languages=2),
                                 SEED, COUNTER.count)
    bins = {e["lang"]: e["bin"] for e in manifest}
    assert len(bins) == 2 and sorted(bins.values()) == ["large", "small"]
    # a language without enough long documents never takes one of the max_languages places
    docs = corpus(langs=("en", "zh", "th")) + corpus(langs=("ar",), per_lang=2)
    for seed in range(5):
        _, manifest, stats = cn.plan_all(docs, config(max_languages=3), seed, COUNTER.count)
        assert {e["lang"] for e in manifest} == {"en", "zh", "th"}
        assert dict(stats)["canaries/skipped_languages/ar"] == 1


def test_manifest_jsonl_is_sorted_and_one_object_per_line():
    import json

    _, manifest, _ = cn.plan_all(corpus(langs=("ar",)), config(), SEED, COUNTER.count)
    lines = cn.manifest_jsonl(reversed(manifest)).decode("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [e["id"] for e in manifest]


# ---------------------------------------------------------------------------- config


def _descriptions_missing(model, path=""):
    missing = []
    for name, info in model.model_fields.items():
        if not info.description:
            missing.append(path + name)
        ann = info.annotation
        if isinstance(ann, type) and hasattr(ann, "model_fields"):
            missing += _descriptions_missing(ann, f"{path}{name}.")
    return missing


def test_config_defaults_descriptions_and_errors():
    assert _descriptions_missing(CanariesConfig) == []
    c = CanariesConfig()
    assert not c.enabled and c.types == ["random", "shuffle", "interleave"] and c.repetitions == [1, 5, 25]
    assert c.min_source_tokens == 500 and c.interleave_chunk_tokens == 50
    assert (c.prefix_tokens, c.suffix_tokens) == (60, 30) and c.manifest == "canaries/manifest.jsonl"
    for bad in ({"types": ["shuffle", "shuffle"]}, {"types": ["bogus"]}, {"repetitions": [0]},
                {"repetitions": []}, {"min_source_tokens": 100, "max_source_tokens": 50},
                {"languages": ["!!"]}, {"unknown": 1}):
        with pytest.raises(Exception):
            CanariesConfig(**bad)
    root = parse_config({"name": "t", "sources": [{"name": "web", "paths": ["x.jsonl"]}],
                         "canaries": {"enabled": True, "per_language": 1, "languages": ["EN"]}},
                        check_paths=False)
    assert root.canaries.languages == ["en"]


# ---------------------------------------------------------------------------- Beam


def test_inject_canaries_transform_matches_the_core(beam_pipeline):
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    root = parse_config({"name": "t", "seed": SEED, "sources": [{"name": "web", "paths": ["x.jsonl"]}],
                         "canaries": config().model_dump()}, check_paths=False)
    docs = corpus() + corpus(langs=("sw",), per_lang=1)
    docs.append(make_doc("web-en-0000#r1", docs[0].text, "en", copy=1))
    injected, manifest, stats = cn.plan_all(docs, root.canaries, SEED, COUNTER.count)
    expected_stats = {}
    for key, n in stats:
        expected_stats[key] = expected_stats.get(key, 0) + n
    with beam_pipeline as p:
        out = p | beam.Create(docs) | InjectCanaries(root.canaries, seed=root.seed, tokenizer=root.mixture.tokenizer)
        assert_that(out["kept"] | "Ids" >> beam.Map(lambda d: d.id),
                    equal_to([d.id for d in docs + injected]), label="kept")
        assert_that(out["manifest"], equal_to(manifest), label="manifest")
        assert_that(out["stats"] | beam.CombinePerKey(sum), equal_to(sorted(expected_stats.items())),
                    label="stats")


def test_core_modules_do_not_import_beam():
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys, pipeline.stages.canaries_core, pipeline.canary_exposure, pipeline.canaries_cli\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'apache_beam')[:3])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
