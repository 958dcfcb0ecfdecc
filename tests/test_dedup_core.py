"""Unit tests of the pure deduplication core (no Beam)."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from pydantic import ValidationError

from pipeline.config import Config, DedupConfig
from pipeline.stages import dedup_core as core
from pipeline.stages import dedup_minhash
from pipeline.stages.dedup_core import (
    Bucket,
    MinHasher,
    NotConvergedError,
    ShingleSpec,
    band_keys,
    candidate_probability,
    connected_components_star,
    connected_components_union_find,
    deduplicate_in_memory,
    estimated_jaccard,
    exact_key,
    keep_key,
    large_star_step,
    normalize_for_exact,
    optimal_bands_rows,
    resolve_settings,
    shingle_jaccard,
    shingle_spec,
    shingles,
    size_bin,
    small_star_step,
    star_edges,
    summarize_bucket,
    units,
)


@dataclass(frozen=True)
class D:
    id: str
    text: str
    lang: str = "en"
    script: str = "Latn"


def settings_for(**dedup) -> core.DedupSettings:
    return resolve_settings(DedupConfig.model_validate(dedup), 1234)


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9))) for _ in range(n)]


# --------------------------------------------------------------------------- exact


def test_normalize_collapses_case_width_and_whitespace():
    assert normalize_for_exact("  Hello\t\tWORLD \n\n") == "hello world"
    # NFD input becomes NFC: é as e + combining acute equals the precomposed é
    assert normalize_for_exact("Cafe\u0301") == normalize_for_exact("Café")
    assert normalize_for_exact("Straße") == normalize_for_exact("STRASSE")  # case folding, not lower()
    assert normalize_for_exact("") == ""


def test_exact_key_punctuation_is_configurable():
    a, b = "Hello, world!", "hello world"
    assert exact_key(a) != exact_key(b)
    assert exact_key(a, strip_punctuation=True) == exact_key(b, strip_punctuation=True)
    # CJK and Arabic punctuation are punctuation too
    assert exact_key("你好，世界。", True) == exact_key("你好 世界", True)
    assert exact_key("مرحبا، بالعالم؟", True) == exact_key("مرحبا بالعالم", True)


def test_exact_key_distinguishes_scripts_and_emoji():
    keys = {exact_key(t) for t in ["東京", "東京タワー", "กรุงเทพ", "😀", "😀😀", "", " "]}
    assert len(keys) == 6  # "" and " " normalise to the same empty text
    assert len(exact_key("x" * 1_000_000)) == 32


def test_keep_key_orders_by_policy():
    assert min(keep_key("smallest_id", i, n) for i, n in [("b", 100), ("a", 1)])[1] == "a"
    assert min(keep_key("longest", i, n) for i, n in [("b", 100), ("a", 1)])[1] == "b"
    # ties in length fall back to the smallest id
    assert min(keep_key("longest", i, 5) for i in ["z", "y"])[1] == "y"
    with pytest.raises(ValueError):
        keep_key("random", "a", 1)


# --------------------------------------------------------------------------- shingles


def test_shingle_unit_follows_script_runs_and_overrides():
    s = settings_for().near
    for lang, script in [("en", "Latn"), ("ar", "Arab"), ("ko", "Kore"), ("zh", "Hani"), ("ja", "Jpan"),
                         ("th", "Thai"), ("km", "Khmr"), ("zh", "Latn")]:
        assert shingle_spec(lang, script, s) == ShingleSpec("mixed", 5, 5)
    s = settings_for(minhash={"per_language": {"th": {"char_ngram": 3}, "vi": {"unit": "char", "char_ngram": 7}}}).near
    assert shingle_spec("th", "Thai", s) == ShingleSpec("mixed", 5, 3)
    assert shingle_spec("vi", "Latn", s) == ShingleSpec("char", 7)
    assert shingle_spec("zh", "Hani", settings_for(minhash={"unit": "word"}).near) == ShingleSpec("word", 5)


def test_mixed_units_follow_each_script_run():
    assert units("用grep搜索文件 in /etc", "mixed") == ["用", "grep", "搜", "索", "文", "件", "in", "etc"]
    assert units("Korean 한국어 텍스트", "mixed") == ["korean", "한국어", "텍스트"]  # Hangul is spaced
    assert units("ภาษาไทย 2024", "mixed") == ["ภ", "า", "ษ", "า", "ไ", "ท", "ย", "2", "0", "2", "4"]
    mixed = shingles("用grep搜索文件", ShingleSpec("mixed", 2, 3)).values
    assert [v.decode() for v in mixed] == ["用 grep 搜", "grep 搜", "搜索文", "索文件"]
    # a pure text gets exactly the plain word or character n-grams
    text = "one two three four five six"
    assert shingles(text, ShingleSpec("mixed", 5, 5)) == shingles(text, ShingleSpec("word", 5))
    assert shingles("我爱北京天安门", ShingleSpec("mixed", 5, 5)) == shingles("我爱北京天安门", ShingleSpec("char", 5))
    assert shingles("東京 Tower", ShingleSpec("mixed", 5, 5)).short


JA_PAGE = (
    "設定ファイルを編集するには、まずエディタで開いてから必要な項目を変更します。"
    "変更を保存したら、サービスを再起動して新しい設定を反映させてください。"
    "設定の書式が正しくない場合は、起動時にエラーメッセージが表示されます。"
    "詳しい説明は付属の文書を参照してください。"
)


def test_one_english_line_does_not_change_the_unit_of_a_japanese_page():
    spec = shingle_spec("ja", "Jpan", settings_for().near)
    edited = "Configuration Guide for the Server\n" + JA_PAGE + "\nCopyright the Debian project contributors"
    a, b = shingles(JA_PAGE, spec).values, shingles(edited, spec).values
    assert set(a) <= set(b)
    assert shingle_jaccard(a, b) >= 0.9
    # the old per-document unit flipped to words and the two shared nothing
    assert shingle_jaccard(shingles(JA_PAGE, ShingleSpec("char", 5)).values,
                           shingles(edited, ShingleSpec("word", 5)).values) == 0.0


@hsettings(max_examples=60, deadline=None)
@given(st.text(alphabet="的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现",
               min_size=6, max_size=60),
       st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1, max_size=40))
def test_appending_a_latin_line_never_changes_the_shingle_unit(cjk, latin):
    spec = ShingleSpec("mixed", 5, 5)
    before = shingles(cjk, spec)
    after = shingles(cjk + "\n" + latin, spec)
    assert set(before.values) <= set(after.values)
    assert set(shingles(latin + "\n" + cjk, spec).values) >= set(before.values)


def test_units_ignore_punctuation_spaces_and_emoji():
    assert units("Hello, World! 😀 it's", "word") == ["hello", "world", "it", "s"]
    assert units("東京、タワー。", "char") == ["東", "京", "タ", "ワ", "ー"]
    # Thai vowel signs (combining marks) stay attached to the word characters
    assert "".join(units("ภาษาไทย", "char")) == "ภาษาไทย"
    assert units("كتب الطالب الدرس", "word") == ["كتب", "الطالب", "الدرس"]
    assert units("😀🎉 ... !!!", "word") == []


def test_word_and_char_shingles():
    sh = shingles("one two three four five six", ShingleSpec("word", 5))
    assert sh.values == [b"one two three four five", b"two three four five six"]
    assert not sh.short and sh.n_units == 6
    cjk = shingles("我爱北京天安门", ShingleSpec("char", 5))
    assert [v.decode() for v in cjk.values] == ["我爱北京天", "爱北京天安", "北京天安门"]
    repeated = shingles("a b a b a b a b", ShingleSpec("word", 2))
    assert repeated.values == [b"a b", b"b a"]  # distinct, first-seen order


def test_document_with_fewer_units_than_n_is_handled_explicitly():
    whole = shingles("only three words", ShingleSpec("word", 5), short_docs="whole")
    assert whole.short and whole.values == [b"only three words"] and whole.n_units == 3
    skip = shingles("only three words", ShingleSpec("word", 5), short_docs="skip")
    assert skip.short and skip.values == []
    cjk = shingles("東京", ShingleSpec("char", 5))
    assert cjk.short and cjk.values == ["東京".encode()]
    exactly_n = shingles("a b c d e", ShingleSpec("word", 5))
    assert not exactly_n.short and exactly_n.values == [b"a b c d e"]


def test_empty_and_symbol_only_documents_have_no_shingles():
    for text in ["", "   ", "😀😀😀", "!!! ... ???", "\n\n"]:
        sh = shingles(text, ShingleSpec("word", 5))
        assert sh.values == [] and not sh.short and sh.n_units == 0


def test_mixed_script_document_uses_one_unit():
    text = "今日はPythonでMinHashを学びます"
    chars = shingles(text, ShingleSpec("char", 3)).values
    assert "今日は".encode() in chars and b"pyt" in chars


def test_huge_document_signature_is_chunked():
    rng = random.Random(7)
    text = " ".join(words(rng, 120_000))
    sh = shingles(text, ShingleSpec("word", 5))
    assert len(sh.values) > 100_000
    sig = MinHasher(64, 1).signature(sh.values)
    assert sig is not None and len(sig) == 64 * 8


# --------------------------------------------------------------------------- MinHash


def test_signature_is_deterministic_and_order_independent():
    values = [f"shingle {i}".encode() for i in range(50)]
    a = MinHasher(128, 42).signature(values)
    b = MinHasher(128, 42).signature(list(reversed(values)))
    assert a == b and len(a) == 128 * 8
    assert MinHasher(128, 43).signature(values) != a
    assert MinHasher(128, 42).signature([]) is None
    assert MinHasher(128, 42).minhash(values).jaccard(MinHasher(128, 42).minhash(values)) == 1.0


def test_estimated_jaccard_tracks_true_jaccard():
    rng = random.Random(3)
    base = words(rng, 400)
    edited = base[:360] + words(rng, 40)
    spec = ShingleSpec("word", 5)
    sa, sb = shingles(" ".join(base), spec).values, shingles(" ".join(edited), spec).values
    hasher = MinHasher(256, 9)
    est = estimated_jaccard(hasher.signature(sa), hasher.signature(sb))
    assert abs(est - shingle_jaccard(sa, sb)) < 0.1
    unrelated = shingles(" ".join(words(rng, 400)), spec).values
    assert estimated_jaccard(hasher.signature(sa), hasher.signature(unrelated)) < 0.05
    with pytest.raises(ValueError):
        estimated_jaccard(MinHasher(8, 1).signature(sa), hasher.signature(sa))


@pytest.mark.parametrize("threshold,num_perm", [(0.8, 128), (0.7, 256), (0.5, 64), (0.9, 128), (0.72, 112)])
def test_optimal_bands_rows_matches_datasketch(threshold, num_perm):
    from datasketch.lsh import _optimal_param

    bands, rows = optimal_bands_rows(threshold, num_perm)
    assert (bands, rows) == _optimal_param(threshold, num_perm, 0.5, 0.5)
    assert bands * rows <= num_perm


def test_optimal_bands_rows_s_curve():
    bands, rows = optimal_bands_rows(0.8, 128)
    assert candidate_probability(0.95, bands, rows) > 0.99
    assert candidate_probability(0.5, bands, rows) < 0.01
    # weighting false negatives more lowers the effective threshold
    b2, r2 = optimal_bands_rows(0.8, 128, 0.1, 0.9)
    assert (1 / b2) ** (1 / r2) < (1 / bands) ** (1 / rows)
    with pytest.raises(ValueError):
        optimal_bands_rows(1.0, 128)


def test_band_keys():
    hasher = MinHasher(128, 5)
    sig = hasher.signature([b"x", b"y", b"z"])
    keys = band_keys(sig, 9, 13)
    assert [k[0] for k in keys] == list(range(9))
    assert keys == band_keys(hasher.signature([b"z", b"y", b"x"]), 9, 13)
    assert band_keys(sig, 9, 13, seed=1) != keys
    other = band_keys(hasher.signature([b"x", b"y", b"w"]), 9, 13)
    assert sum(a == b for a, b in zip(keys, other)) < 9


# --------------------------------------------------------------------------- buckets and components


def n(i: str):
    return (0, i)


def test_bucket_star_edges_point_to_minimum():
    members = [n("d"), n("b"), n("c"), n("a")]
    bucket = summarize_bucket(members, 100)
    assert bucket == Bucket(n("a"), 4, None)
    assert sorted(star_edges(members, bucket)) == [(n("b"), n("a")), (n("c"), n("a")), (n("d"), n("a"))]
    assert list(star_edges([n("a")], summarize_bucket([n("a")], 10))) == []


def test_pathological_bucket_is_capped():
    members = [n(f"{i:03d}") for i in range(50, 0, -1)]
    bucket = summarize_bucket(members, 10)
    assert bucket.capped and bucket.size == 50 and bucket.cutoff == n("010")
    edges = list(star_edges(members, bucket))
    assert len(edges) == 9 and all(b == n("001") for _, b in edges)
    with pytest.raises(ValueError):
        summarize_bucket([], 10)


def test_size_bins():
    assert [size_bin(s) for s in [1, 2, 4, 5, 8, 9, 16, 17, 1000]] == ["1", "2", "4", "5-8", "5-8", "9-16", "9-16", "17-32", "513-1024"]


def test_large_and_small_star_steps():
    out, changed = large_star_step(n("c"), [n("a"), n("d"), n("e")])
    assert sorted(out) == [(n("d"), n("a")), (n("e"), n("a"))] and changed == 1
    out, changed = large_star_step(n("a"), [n("b"), n("c")])
    assert sorted(out) == [(n("b"), n("a")), (n("c"), n("a"))] and changed == 0
    out, changed = small_star_step(n("d"), [n("b"), n("a")])
    assert sorted(out) == [(n("b"), n("a")), (n("d"), n("a"))] and changed == 1
    out, changed = small_star_step(n("d"), [n("a"), n("a")])
    assert out == [(n("d"), n("a"))] and changed == 0


def test_chain_needs_several_rounds_and_ends_as_one_component():
    # a~b~c~d with ids chosen so that the chain zig-zags through the id order
    a, b, c, d = n("n3"), n("n1"), n("n4"), n("n2")
    labels, rounds = connected_components_star([(a, b), (b, c), (c, d)], max_rounds=10)
    assert labels == {a: b, c: b, d: b}
    assert rounds >= 2
    with pytest.raises(NotConvergedError, match="max_rounds"):
        long_chain = [n(f"{(i * 37) % 101:03d}") for i in range(101)]
        connected_components_star(list(zip(long_chain, long_chain[1:])), max_rounds=1)


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=60))
def test_star_rounds_equal_union_find(pairs):
    edges = [(n(f"{a:02d}"), n(f"{b:02d}")) for a, b in pairs if a != b]
    labels, _ = connected_components_star(edges, max_rounds=30)
    assert labels == connected_components_union_find(edges)


# --------------------------------------------------------------------------- settings and config


def test_resolve_settings_defaults_and_overrides():
    s = settings_for()
    assert (s.near.bands, s.near.rows) == (14, 9)  # fn-weighted: verification removes false positives
    assert s.near.verify_threshold == 0.8
    assert s.near.seed == settings_for().near.seed  # derived from the root seed, stable
    assert resolve_settings(DedupConfig(), 99).near.seed != s.near.seed
    s = settings_for(minhash={"bands": 14, "rows": 8, "seed": 7, "verify_threshold": 0.7})
    assert (s.near.bands, s.near.rows, s.near.seed, s.near.verify_threshold) == (14, 8, 7, 0.7)
    off = settings_for(enabled=False)
    assert not off.exact_enabled and not off.near_enabled


def test_config_validation():
    assert DedupConfig.model_validate({"exact": False}).exact.enabled is False
    assert DedupConfig.model_validate({"minhash": True}).minhash.enabled is True
    with pytest.raises(ValidationError, match="both"):
        DedupConfig.model_validate({"minhash": {"bands": 10}})
    with pytest.raises(ValidationError, match="exceeds num_perm"):
        DedupConfig.model_validate({"minhash": {"bands": 20, "rows": 10}})
    with pytest.raises(ValidationError):
        DedupConfig.model_validate({"minhash": {"treshold": 0.8}})
    with pytest.raises(ValidationError):
        DedupConfig.model_validate({"exact": {"keep": "random"}})
    with pytest.raises(ValidationError):
        DedupConfig.model_validate({"minhash": {"per_language": {"th": {"unit": "byte"}}}})
    cfg = Config.model_validate({"name": "t", "sources": [{"name": "w", "paths": ["x.jsonl"]}],
                                 "dedup": {"exact": True, "minhash": {"num_perm": 128, "ngram": 5, "threshold": 0.8}}})
    assert cfg.dedup.minhash.threshold == 0.8


# --------------------------------------------------------------------------- whole-stage reference


def multilingual_corpus() -> list[D]:
    rng = random.Random(11)
    en = " ".join(words(rng, 120))
    de = " ".join(words(rng, 120))
    ar = " ".join(["".join(rng.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") for _ in range(rng.randint(2, 7))) for _ in range(120)])
    zh = "".join(rng.choice("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长") for _ in range(300))
    ja = "".join(rng.choice("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん日本語東京") for _ in range(300))
    th = "".join(rng.choice("กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮะาำิีึืุู") for _ in range(300))
    return [
        D("en-1", en), D("en-2", en.upper()), D("en-3", en + " extra words at the end"),
        D("de-1", de, "de"), D("de-2", "Kopfzeile " + de, "de"),
        D("ar-1", ar, "ar", "Arab"), D("ar-2", ar.replace(" ", "  ") + " نهاية", "ar", "Arab"),
        D("zh-1", zh, "zh", "Hani"), D("zh-2", zh[:280] + "新闻网站版权所有", "zh", "Hani"),
        D("ja-1", ja, "ja", "Jpan"), D("ja-2", "ニュース" + ja[5:], "ja", "Jpan"),
        D("th-1", th, "th", "Thai"), D("th-2", th[3:] + "ครับ", "th", "Thai"),
        D("short-1", "hello there", "en"), D("short-2", "Hello, there!", "en"),
        D("emoji", "😀🎉", "und", "Zyyy"), D("empty", "", "und", "Zyyy"),
        D("uniq", " ".join(words(rng, 80))),
    ]


def test_in_memory_dedup_exact_and_near_across_languages():
    result = deduplicate_in_memory(multilingual_corpus(), settings_for())
    reasons = {k: v[0] for k, v in result.dropped.items()}
    assert reasons == {
        "en-2": "dedup:exact", "en-3": "dedup:near", "de-2": "dedup:near", "ar-2": "dedup:near",
        "zh-2": "dedup:near", "ja-2": "dedup:near", "th-2": "dedup:near", "short-2": "dedup:near",
    }
    assert result.dropped["en-3"] == ("dedup:near", "en-1")
    assert result.kept == sorted(["en-1", "de-1", "ar-1", "zh-1", "ja-1", "th-1", "short-1", "emoji", "empty", "uniq"])


def test_cjk_near_duplicates_need_character_shingles():
    docs = [d for d in multilingual_corpus() if d.lang in ("zh", "ja")]
    found = deduplicate_in_memory(docs, settings_for()).dropped
    assert set(found) == {"zh-2", "ja-2"}
    # with word shingles a CJK text is one long "word": the near-duplicates are missed
    assert deduplicate_in_memory(docs, settings_for(minhash={"unit": "word"})).dropped == {}


def test_keep_longest_and_disabled_parts():
    docs = [D("a", "same text here"), D("b", "Same   TEXT here"), D("c", "same text here!!!")]
    assert deduplicate_in_memory(docs, settings_for(minhash=False)).kept == ["a", "c"]
    longest = deduplicate_in_memory(docs, settings_for(minhash=False, exact={"keep": "longest", "strip_punctuation": True}))
    assert longest.kept == ["c"]
    assert deduplicate_in_memory(docs, settings_for(enabled=False)).kept == ["a", "b", "c"]


@hsettings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_core_functions_never_raise_on_arbitrary_unicode(text):
    exact_key(text, True)
    for spec in (ShingleSpec("word", 5), ShingleSpec("char", 5)):
        sh = shingles(text, spec)
        assert len(sh.values) == len(set(sh.values))
    hasher = MinHasher(16, 1)
    sig = hasher.signature(shingles(text, ShingleSpec("char", 3)).values)
    assert sig is None or len(sig) == 16 * 8


def test_missing_script_is_detected_from_the_text():
    featurizer = core.NearFeaturizer(settings_for().near)
    # the unit follows the text's script runs whatever script the document was given
    for script in ("", "Hani", "Latn"):
        assert featurizer.features("x", "我爱北京天安门广场", "und", script).spec == ShingleSpec("mixed", 5, 5)
        assert featurizer.features("x", "我爱北京天安门广场", "und", script).signature == \
            core.MinHasher(128, settings_for().near.seed).signature(shingles("我爱北京天安门广场", ShingleSpec("char", 5)).values)


# --------------------------------------------------------------------------- verification


def near_threshold_pairs(n: int = 40, seed: int = 17) -> list[D]:
    """Originals and one copy each with 3-4 words substituted: true Jaccard around 0.75-0.85."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        ws = words(rng, 150)
        copy = list(ws)
        for pos in rng.sample(range(150), 3 + i % 2):
            copy[pos] = "zz" + copy[pos]
        docs += [D(f"o{i:02d}", " ".join(ws)), D(f"c{i:02d}", " ".join(copy))]
    return docs


def test_signature_of_prehashed_values_equals_datasketch_on_bytes():
    from datasketch import MinHash

    values = [f"shingle {i}".encode() for i in range(300)]
    m = MinHash(num_perm=128, seed=42, hashfunc=dedup_minhash._xxh64, scheme=core.SCHEME)
    m.update_batch(values)
    assert MinHasher(128, 42).signature(values) == bytes(m.hashvalues.astype("<u8").tobytes())


def test_fingerprint_jaccard_is_the_true_jaccard():
    rng = random.Random(3)
    for _ in range(50):
        universe = [f"s{i}".encode() for i in range(rng.randint(1, 400))]
        a = rng.sample(universe, rng.randint(1, len(universe)))
        b = rng.sample(universe, rng.randint(1, len(universe)))
        fa, fb = core.shingle_fingerprint(a), core.shingle_fingerprint(b)
        assert len(fa) == 4 * len(set(a))
        assert core.fingerprint_jaccard(fa, fb) == pytest.approx(shingle_jaccard(a, b), abs=1e-12)
    assert core.shingle_fingerprint([]) == b"" and core.fingerprint_jaccard(b"", b"") == 1.0
    assert core.verification_similarity("exact", core.shingle_fingerprint(a), core.shingle_fingerprint(a)) == 1.0
    with pytest.raises(ValueError):
        core.verification_similarity("fuzzy", b"", b"")


def test_exact_verification_keeps_only_pairs_at_or_above_the_threshold():
    docs = near_threshold_pairs()
    spec = ShingleSpec("word", 5)
    truth = {d.id: shingles(d.text, spec).values for d in docs}
    exact = deduplicate_in_memory(docs, settings_for())
    signature = deduplicate_in_memory(docs, settings_for(minhash={"verify_method": "signature", "witness": False}))
    signature_witness = deduplicate_in_memory(docs, settings_for(minhash={"verify_method": "signature"}))
    assert settings_for().near.verify_method == "exact"
    for dropped_id, (_, rep) in exact.dropped.items():
        assert shingle_jaccard(truth[dropped_id], truth[rep]) >= 0.8
    below = [c for c, (_, rep) in signature.dropped.items() if shingle_jaccard(truth[c], truth[rep]) < 0.8]
    assert below, "the corpus should have pairs below 0.8 that the signature estimate lets through"
    # the witness check (on by default) compares exact Jaccard whatever the verify_method
    assert set(signature_witness.dropped) < set(signature.dropped)
    for dropped_id, (_, rep) in signature_witness.dropped.items():
        assert shingle_jaccard(truth[dropped_id], truth[rep]) >= 0.8
    # every candidate pair at or above the threshold is kept by the exact check
    for a, b in exact.candidate_pairs:
        if shingle_jaccard(truth[a], truth[b]) >= 0.8:
            assert {a, b} & set(exact.dropped)


def test_verify_method_is_validated():
    with pytest.raises(ValidationError):
        DedupConfig.model_validate({"minhash": {"verify_method": "fuzzy"}})
    assert settings_for(minhash={"verify_method": "signature"}).near.verify_method == "signature"


@hsettings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_mixed_units_of_text_without_spaceless_letters_are_its_words(text):
    from pipeline.text.segment import has_spaceless

    if not has_spaceless(text):
        assert units(text, "mixed") == units(text, "word")
        assert shingles(text, ShingleSpec("mixed", 3, 5)) == shingles(text, ShingleSpec("word", 3))


# --------------------------------------------------------------------------- witnesses


def fp(*shingle_ids: int) -> bytes:
    return core.shingle_fingerprint([f"s{i}".encode() for i in shingle_ids])


def test_chain_end_without_witness_is_kept():
    """a~b (J 0.8), b~c (J 0.8) but J(a, c) < 0.8: c is split off and kept, b is removed for a."""
    a, b, c = n("a"), n("b"), n("c")
    fps = {a: fp(*range(0, 10)), b: fp(*range(1, 10), 10), c: fp(*range(2, 10), 10, 11)}
    assert core.fingerprint_jaccard(fps[a], fps[b]) == pytest.approx(9 / 11)
    assert core.fingerprint_jaccard(fps[b], fps[c]) == pytest.approx(9 / 11)
    assert core.fingerprint_jaccard(fps[a], fps[c]) == pytest.approx(8 / 12)
    labels = connected_components_union_find([(b, a), (c, b)])
    assert labels == {b: a, c: a}
    result = core.assign_witnesses(labels, fps, 0.8, max_rounds=4)
    assert result.witness == {b: (a, pytest.approx(9 / 11))}
    assert result.promoted == [c] and result.unresolved == [] and result.rounds_used == 2


def test_split_off_members_are_verified_against_their_own_pivot():
    """Two tight groups joined by one bridge: the far group gets its own kept pivot and witnesses."""
    r, m, x, y, z = n("b"), n("c"), n("x"), n("y"), n("z")
    fps = {r: fp(*range(0, 10)), m: fp(*range(0, 9), 50), x: fp(*range(5, 15)), y: fp(*range(5, 14), 60),
           z: fp(*range(5, 14), 70)}
    labels = {m: r, x: r, y: r, z: r}
    result = core.assign_witnesses(labels, fps, 0.8, max_rounds=4)
    assert result.witness == {m: (r, pytest.approx(9 / 11)), y: (x, pytest.approx(9 / 11)),
                              z: (x, pytest.approx(9 / 11))}
    assert result.promoted == [x] and result.unresolved == []
    # with one round only, members that fail against the component minimum are kept, never removed
    one = core.assign_witnesses(labels, fps, 0.8, max_rounds=1)
    assert one.witness == {m: (r, pytest.approx(9 / 11))} and one.unresolved == [x, y, z]


def test_pivot_split_streams_members_against_the_smallest():
    members = [(n("q"), fp(1, 2, 3)), (n("p"), fp(1, 2, 3, 4)), (n("s"), fp(7))]
    pivot, pivot_fp, compared = core.pivot_split(members)
    assert pivot == n("p") and pivot_fp == fp(1, 2, 3, 4)
    assert [(node, sim) for node, _, sim in compared] == [(n("q"), 0.75), (n("s"), 0.0)]
    with pytest.raises(ValueError):
        core.pivot_split([])


def test_in_memory_witnesses_of_exact_duplicates_of_removed_documents():
    """c is an exact copy of b, b a near copy of a: c's audit record names a (kept), with J(b, a)."""
    rng = random.Random(8)
    ws = words(rng, 200)
    a = D("a", " ".join(ws))
    b = D("b", " ".join(ws[:195] + ["extra"]))
    c = D("c", "  " + b.text.upper())
    result = deduplicate_in_memory([a, b, c], settings_for())
    assert result.kept == ["a"]
    assert result.dropped == {"b": ("dedup:near", "a"), "c": ("dedup:exact", "b")}
    j = shingle_jaccard(shingles(a.text, ShingleSpec("word", 5)).values, shingles(b.text, ShingleSpec("word", 5)).values)
    assert result.witnesses == {
        "b": {"reason": "dedup:near", "removed_id": "b", "witness_id": "a", "jaccard": pytest.approx(j), "cluster": "a"},
        "c": {"reason": "dedup:exact", "removed_id": "c", "witness_id": "a", "jaccard": pytest.approx(j), "cluster": "b"},
    }
    assert j >= 0.8


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.frozensets(st.integers(0, 12), min_size=1, max_size=8), min_size=2, max_size=14),
       st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)), max_size=30),
       st.integers(1, 4))
def test_every_removed_node_has_a_kept_witness_at_or_above_the_threshold(sets, pairs, rounds):
    nodes = [n(f"{i:02d}") for i in range(len(sets))]
    fps = {node: fp(*s) for node, s in zip(nodes, sets)}
    edges = [(nodes[a], nodes[b]) for a, b in pairs if a != b and a < len(nodes) and b < len(nodes)]
    labels = connected_components_union_find(edges)
    result = core.assign_witnesses(labels, fps, 0.5, max_rounds=rounds)
    removed = set(result.witness)
    for node, (witness, sim) in result.witness.items():
        assert witness not in removed and labels.get(witness, witness) == labels[node]
        assert sim == core.fingerprint_jaccard(fps[node], fps[witness]) >= 0.5
    # every member of a component is removed, promoted to pivot, or kept unresolved, exactly once
    assert sorted([*removed, *result.promoted, *result.unresolved]) == sorted(labels)
