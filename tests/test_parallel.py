"""The parallel stage: config, pure core (checks, dedup, rendering, PII) and the Beam transform."""

import json
import os
from collections import Counter

import pytest
from pydantic import ValidationError

from pipeline.config import ParallelConfig, parse_config
from pipeline.io import files as fs
from pipeline.io.bitext import parallel_sources, plan_parallel_inputs, read_bitext
from pipeline.records import Dropped, Rejected
from pipeline.stages.parallel_core import (
    BitextPair,
    CheckedPair,
    PairFilter,
    PairRenderer,
    choose_representatives,
    dedup_key,
    pair_name,
    render_pair,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "pipeline", "data", "sample")


def _config(parallel=None, pii=None, paths=None, seed=1234):
    return parse_config({
        "name": "t", "seed": seed,
        "sources": [{"name": "bitext", "kind": "parallel", "paths": paths or ["unused.tsv"]}],
        "parallel": {"enabled": True, **(parallel or {})},
        "pii": pii if pii is not None else {"enabled": False},
    }, check_paths=False)


def _pair(a, b, lang_a="en", lang_b="de", pid="p1", line=2):
    return BitextPair(pid, "bitext", a, b, lang_a, lang_b, "x.tsv", line, {"input_file": "x.tsv", "input_line": line})


class FakePrediction:
    def __init__(self, lang, score):
        self.lang, self.score = lang, score


class FakeIdentifier:
    """Answers from a table (text -> (lang, score)); unknown texts are confident 'und'."""

    def __init__(self, table):
        self.table = table

    def predict_one(self, text):
        return FakePrediction(*self.table.get(text, ("und", 0.0)))


def _filter(table=None, **parallel):
    return PairFilter(_config(parallel), identifier=FakeIdentifier(table or {}))


def _reason(result):
    return result.reason if isinstance(result, Dropped) else "kept"


# ------------------------------------------------------------------------- config


def test_config_defaults_and_descriptions():
    section = ParallelConfig()
    assert section.enabled is False and section.pivot == "en" and section.max_length_ratio == 3.0
    assert section.directions == "both" and len(section.templates) == 3 and section.dedup
    assert section.threshold_for("sw") == 0.3 and section.threshold_for("de") == 0.5
    for name, info in ParallelConfig.model_fields.items():
        assert info.description, name
    from pipeline.config.parallel import ParallelSourceSettings

    for name, info in ParallelSourceSettings.model_fields.items():
        assert info.description, name


def test_config_normalises_and_validates():
    section = ParallelConfig(pivot="eng", per_language={"zho": 0.7, "sw": 0.4},
                             sources={"b": {"langs": ["EN", "zh_TW"]}})
    assert section.pivot == "en" and section.per_language == {"sw": 0.4, "zh": 0.7}
    assert section.sources["b"].langs == ["en", "zh-Hant"]
    assert section.threshold_for("zh-Hant") == 0.7
    bad = [
        {"templates": ["{src_text} only"]},
        {"templates": ["{src_text} {tgt_text} {oops}"]},
        {"templates": []},
        {"pivot": "not a language"},
        {"min_tokens": 10, "max_tokens": 5},
        {"directions": "sideways"},
        {"sources": {"b": {"langs": ["en"]}}},
        {"required_scripts": {"ja": ["Klingon"]}},
        {"unknown_key": 1},
    ]
    for values in bad:
        with pytest.raises(ValidationError):
            ParallelConfig(**values)


def test_transform_rejects_settings_for_unknown_sources():
    from pipeline.stages.parallel import ParallelSources

    with pytest.raises(ValueError, match="not a kind: parallel source"):
        ParallelSources(_config({"sources": {"web": {"langs": ["en", "de"]}}}), [])


# ------------------------------------------------------------------------- checks


def test_empty_sides_and_pivot_pairing():
    f = _filter()
    assert _reason(f.check(_pair("", "Hallo."))[0]) == "parallel:empty_source"
    assert _reason(f.check(_pair("Hello.", ""))[0]) == "parallel:empty_target"
    assert _reason(f.check(_pair("Bonjour.", "Hallo.", "fr", "de"))[0]) == "parallel:no_pivot"
    assert _reason(f.check(_pair("Hi.", "Hello.", "en", "en"))[0]) == "parallel:both_pivot"


def test_length_ratio_is_measured_in_tokens_not_characters():
    en = "The weather is very nice today."
    zh = "今天天气很好。"          # 5x fewer characters than the English side
    ja = "今日はとても良い天気です。"
    table = {en: ("en", 0.99), zh: ("zh", 0.99), ja: ("ja", 0.99)}
    f = _filter(table)
    assert len(en) / len(zh) > 4
    assert _reason(f.check(_pair(en, zh, "en", "zh"))[0]) == "kept"
    assert _reason(f.check(_pair(en, ja, "en", "ja"))[0]) == "kept"
    long_zh = "好的，我明天早上八点准时到公司门口等你，然后我们一起坐地铁去机场接从上海来的客户。"
    assert _reason(f.check(_pair("Okay.", long_zh, "en", "zh"))[0]) == "parallel:length_ratio"
    assert _reason(_filter(table, max_length_ratio=100).check(_pair("Okay.", long_zh, "en", "zh"))[0]) != \
        "parallel:length_ratio"


def test_token_bounds_per_side():
    f = _filter(min_tokens=3)
    assert _reason(f.check(_pair("Hi.", "Hallo, wie geht es dir?"))[0]) == "parallel:too_few_tokens_source"
    huge = "Wort " * 5000
    assert _reason(_filter(max_tokens=100, max_length_ratio=10_000).check(
        _pair("Word " * 50, huge))[0]) == "parallel:too_many_tokens_target"


def test_language_id_of_both_sides():
    en, de, fr = "The museum is closed.", "Das Museum ist geschlossen.", "Le musée est fermé."
    table = {en: ("en", 0.95), de: ("de", 0.97), fr: ("fr", 0.9)}
    f = _filter(table)
    assert _reason(f.check(_pair(en, de))[0]) == "kept"
    assert _reason(f.check(_pair(en, fr))[0]) == "parallel:wrong_language_target"
    assert _reason(f.check(_pair(fr, de))[0]) == "parallel:wrong_language_source"
    # target checked first: a pair wrong on both sides is reported on the non-pivot side
    assert _reason(f.check(_pair(de, fr, "en", "de"))[0]) == "parallel:wrong_language_target"
    # columns the other way round: the pivot is the target column
    assert _reason(f.check(_pair(de, en, "de", "en"))[0]) == "kept"


def test_per_language_min_score_overrides():
    en, sw = "My brother is a nurse.", "Kaka yangu ni muuguzi."
    table = {en: ("en", 0.93), sw: ("sw", 0.42)}
    assert _reason(_filter(table, per_language={}).check(_pair(en, sw, "en", "sw"))[0]) == "parallel:low_score_target"
    assert _reason(_filter(table).check(_pair(en, sw, "en", "sw"))[0]) == "kept"  # default sw: 0.3
    assert _reason(_filter(table, per_language={"en": 0.95, "sw": 0.3}).check(_pair(en, sw, "en", "sw"))[0]) == \
        "parallel:low_score_source"


def test_script_subtag_and_required_scripts():
    en, roman_hi, han = "Where do you live?", "Aap kahan rehte hain?", "早上好。"
    table = {en: ("en", 0.9), roman_hi: ("hi-Latn", 0.8), han: ("ja", 0.9)}
    f = _filter(table)
    assert _reason(f.check(_pair(en, roman_hi, "en", "hi"))[0]) == "parallel:wrong_language_target"
    assert _reason(f.check(_pair(en, han, "en", "ja"))[0]) == "parallel:wrong_language_target"  # no kana
    assert _reason(_filter(table, required_scripts={}).check(_pair(en, han, "en", "ja"))[0]) == "kept"
    # with language ID off the script rule still applies, and nothing else is checked
    f = PairFilter(_config({"langid": False}))
    assert f.identifier is None
    assert _reason(f.check(_pair(en, han, "en", "ja"))[0]) == "parallel:wrong_language_target"
    assert _reason(f.check(_pair(en, roman_hi, "en", "hi"))[0]) == "kept"


def test_emoji_arabic_thai_sides():
    en, ar, th = "Welcome to our city.", "مرحبا بكم في مدينتنا.", "ยินดีต้อนรับสู่เมืองของเรา"
    table = {en: ("en", 0.9), ar: ("ar", 0.99), th: ("th", 0.99)}
    f = _filter(table)
    assert _reason(f.check(_pair(en, ar, "en", "ar"))[0]) == "kept"
    # the default counter's 1 token per Thai letter makes Thai look 3x longer than English;
    # a tokenizer calibrated for Thai (per_script) fixes the length ratio
    assert _reason(f.check(_pair(en, th, "en", "th"))[0]) == "parallel:length_ratio"
    config = _config()
    config.mixture.tokenizer.per_script = {"Thai": 0.4}
    result, _ = PairFilter(config, identifier=FakeIdentifier(table)).check(_pair(en, th, "en", "th"))
    assert _reason(result) == "kept" and result.doc.script == "Thai" and result.doc.lang == "th"
    assert _reason(f.check(_pair("Hi.", "🎉🎉🎉", "en", "de"))[0]) == "parallel:wrong_language_target"


def test_checked_pair_document_and_stats():
    en, de = "Good morning.", "Guten Morgen."
    f = _filter({en: ("en", 0.9), de: ("de", 0.8)})
    checked, stats = f.check(_pair(en, de))
    assert isinstance(checked, CheckedPair)
    doc = checked.doc
    assert doc.id == "p1" and doc.source == "bitext" and doc.lang == "de" and doc.lang_score == 0.8
    assert doc.script == "Latn" and doc.tokens == f.counter.count(doc.text) > 0
    assert en in doc.text and de in doc.text
    meta = doc.metadata
    assert meta["input_file"] == "x.tsv" and meta["input_line"] == 2 and meta["pair"] == "de-en"
    assert {meta["src_lang"], meta["tgt_lang"]} == {"en", "de"} and meta["direction"] in ("to_english", "from_english")
    assert meta["lang_scores"] == {"source": 0.9, "target": 0.8}
    stats = dict(stats)
    assert stats["point/input/bitext/de/docs"] == 1 and stats["point/input/bitext/de/tokens"] == doc.tokens
    assert stats["point/input/bitext/de/bytes"] == len(doc.text.encode())
    dropped, stats = f.check(_pair(en, ""))
    assert dict(stats)["parallel/pairs/de-en/dropped"] == 1 and dropped.doc.lang == "de"


# ------------------------------------------------------------------------- rendering


def test_directions_and_templates_are_keyed_and_deterministic():
    section = _config().parallel
    pairs = [_pair(f"Sentence {i}.", f"Satz {i}.", pid=f"id-{i}") for i in range(200)]
    first = [render_pair(p, p.text_a, p.text_b, section, 1234) for p in pairs]
    assert first == [render_pair(p, p.text_a, p.text_b, section, 1234) for p in pairs]
    assert first != [render_pair(p, p.text_a, p.text_b, section, 99) for p in pairs]
    directions = Counter(r.direction for r in first)
    templates = Counter(r.template for r in first)
    assert set(directions) == {"to_english", "from_english"} and min(directions.values()) > 70
    assert set(templates) == {0, 1, 2} and min(templates.values()) > 40
    for p, r in zip(pairs, first):
        if r.direction == "to_english":
            assert (r.src_lang, r.tgt_lang) == ("de", "en") and r.text.index(p.text_b) < r.text.index(p.text_a)
        else:
            assert (r.src_lang, r.tgt_lang) == ("en", "de") and r.text.index(p.text_a) < r.text.index(p.text_b)


def test_fixed_direction_template_and_language_names():
    template = "Translate from {src_name} ({src_lang}) to {tgt_name} ({tgt_lang}):\n{src_text}\n{tgt_text}"
    section = _config({"directions": "to_english", "templates": [template]}).parallel
    p = _pair("Thank you {very} much.", "ありがとう{}ございます。", "en", "ja")
    r = render_pair(p, p.text_a, p.text_b, section, 1)
    assert r.text == ("Translate from Japanese (ja) to English (en):\nありがとう{}ございます。\n"
                      "Thank you {very} much.")
    section = _config({"directions": "from_english", "templates": ["{src_text} = {tgt_text}"]}).parallel
    p = _pair("مرحبا", "Hello", "ar", "en")
    assert render_pair(p, p.text_a, p.text_b, section, 1).text == "Hello = مرحبا"


def test_dedup_key_and_representatives():
    a = _pair("The  Shop is open.", "Der Laden ist offen.", pid="b-2")
    b = _pair("the shop is open.", "der laden ist  offen.", pid="b-1")
    swapped = _pair("Der Laden ist offen.", "The shop is open.", "de", "en", pid="b-3")
    other_lang = _pair("The shop is open.", "Der Laden ist offen.", "en", "nl", pid="b-4")
    assert dedup_key(a, "en") == dedup_key(b, "en") == dedup_key(swapped, "en")
    assert dedup_key(a, "en") != dedup_key(other_lang, "en")
    f = _filter({t: (lang, 0.9) for t, lang in [("The  Shop is open.", "en"), ("the shop is open.", "en"),
                                                  ("The shop is open.", "en"), ("Der Laden ist offen.", "de"),
                                                  ("der laden ist  offen.", "de")]})
    checked = [f.check(p)[0] for p in (a, swapped, b)]
    kept, dropped = choose_representatives(checked)
    assert kept.pair.id == "b-1"
    assert [(d.doc.id, d.reason, d.doc.metadata["duplicate_of"]) for d in dropped] == [
        ("b-2", "parallel:duplicate", "b-1"), ("b-3", "parallel:duplicate", "b-1")]


def test_pair_name():
    assert pair_name(_pair("a", "b", "en", "zh"), "en") == "zh-en"
    assert pair_name(_pair("a", "b", "zh", "en"), "en") == "zh-en"
    assert pair_name(_pair("a", "b", "fr", "de"), "en") == "fr-de"


# ------------------------------------------------------------------------- PII


@pytest.fixture(scope="module")
def scrubber():
    from pipeline.stages.pii_core import PiiScrubber
    from pipeline.config.pii import PiiConfig

    return PiiScrubber(PiiConfig(), seed=1234)


def test_pii_is_scrubbed_on_both_sides(scrubber):
    en, de = "Write to jane.doe@example.org today.", "Schreib heute an jane.doe@example.org."
    config = _config({"templates": ["{src_text}\n{tgt_text}"]}, pii={})
    f = PairFilter(config, identifier=FakeIdentifier({en: ("en", 0.9), de: ("de", 0.9)}))
    checked, _ = f.check(_pair(en, de))
    doc, stats = PairRenderer(config, scrubber=scrubber).finish(checked)
    assert "example.org" not in doc.text and doc.text.count("<EMAIL_ADDRESS>") == 2
    assert doc.tokens == f.counter.count(doc.text)
    stats = dict(stats)
    assert stats["parallel/pii/entity/EMAIL_ADDRESS/en"] == 1 and stats["parallel/pii/entity/EMAIL_ADDRESS/de"] == 1
    assert stats["parallel/pairs/de-en/kept"] == 1


def test_pii_off_and_drop_document_mode(scrubber):
    en, de = "Mail jane.doe@example.org.", "Mail an jane.doe@example.org."
    table = {en: ("en", 0.9), de: ("de", 0.9)}
    config = _config({}, pii={"enabled": False})
    checked, _ = PairFilter(config, identifier=FakeIdentifier(table)).check(_pair(en, de))
    renderer = PairRenderer(config)
    assert renderer.scrubber is None
    doc, _ = renderer.finish(checked)
    assert doc is checked.doc and "jane.doe@example.org" in doc.text
    assert PairRenderer(_config({"pii": False}, pii={})).scrubber is None
    from pipeline.stages.pii_core import PiiScrubber

    config = _config({}, pii={"mode": "drop_document"})
    renderer = PairRenderer(config, scrubber=PiiScrubber(config.pii, seed=1))
    result, stats = renderer.finish(checked)
    assert isinstance(result, Dropped) and result.reason == "parallel:pii_contains_pii"
    assert dict(stats)["parallel/pairs/de-en/dropped"] == 1


# ------------------------------------------------------------------------- demo corpus


@pytest.fixture(scope="module")
def demo():
    config = _config(paths=[os.path.join(SAMPLE, "parallel", "*")])
    pair_filter = PairFilter(config)  # the real bundled fastText model
    source = parallel_sources(config)[0]
    results = {}
    for file in plan_parallel_inputs(config, fs.expand_patterns):
        for pair in read_bitext(source, file, config.parallel):
            results[(f"parallel/{file.label}", pair.line)] = pair_filter.check(pair)[0]
    return results


def test_demo_bitext_good_pairs_kept_and_planted_bad_pairs_dropped(demo):
    with open(os.path.join(SAMPLE, "planted.json"), encoding="utf-8") as handle:
        planted = json.load(handle)
    bad = {(b["file"], b["line"]): b["reason"] for b in planted["bitext_bad"]}
    for key, reason in bad.items():
        assert key in demo, key
        assert _reason(demo[key]) == f"parallel:{reason}", key
    kept = Counter(key[0] for key, r in demo.items() if isinstance(r, CheckedPair))
    assert kept == {name: counts["good"] for name, counts in planted["bitext_pairs_per_file"].items()}
    assert all(isinstance(r, CheckedPair) for key, r in demo.items() if key not in bad)


# ------------------------------------------------------------------------- Beam


def test_parallel_sources_transform(beam_pipeline, tmp_path):
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    from pipeline.stages.parallel import ParallelSources

    (tmp_path / "en-de.tsv").write_text(
        "en\tde\n"
        "The library opens at nine o'clock in the morning.\tDie Bibliothek öffnet um neun Uhr morgens.\n"
        "The children are playing football in the park.\tDie Kinder spielen im Park Fußball.\n"
        "Yes.\tJa, natürlich, ich komme sehr gerne morgen Abend mit meiner ganzen Familie zum Sommerfest.\n"
        "one\ttwo\tthree\n", encoding="utf-8")
    (tmp_path / "de-en.tsv").write_text(  # the same pair, columns swapped: a duplicate
        "de\ten\nDie Kinder spielen im Park Fußball.\tThe children are playing football in the park.\n",
        encoding="utf-8")
    (tmp_path / "en-ja.tmx").write_text(
        '<?xml version="1.0"?><tmx version="1.4"><header srclang="en"/><body>\n'
        '<tu><tuv xml:lang="en"><seg>We need to buy bread and milk for breakfast.</seg></tuv>'
        '<tuv xml:lang="ja"><seg>朝ごはんのためにパンと牛乳を買う必要があります。</seg></tuv></tu>\n'
        '</body></tmx>', encoding="utf-8")
    config = _config(paths=[str(tmp_path / "*")])
    inputs = plan_parallel_inputs(config, fs.expand_patterns)
    assert sorted(f.format for f in inputs) == ["tmx", "tsv", "tsv"]
    ids = {}
    source = parallel_sources(config)[0]
    for file in inputs:
        for pair in read_bitext(source, file, config.parallel):
            if not isinstance(pair, Rejected):
                ids[(file.label, pair.line)] = pair.id
    dup_kept = min(ids[("en-de.tsv", 3)], ids[("de-en.tsv", 2)])
    dup_dropped = max(ids[("en-de.tsv", 3)], ids[("de-en.tsv", 2)])

    with beam_pipeline as p:
        out = p | ParallelSources(config, inputs)
        assert_that(out["docs"] | "DocIds" >> beam.Map(lambda d: (d.id, d.lang, d.tokens > 0, d.source)),
                    equal_to([(ids[("en-de.tsv", 2)], "de", True, "bitext"), (dup_kept, "de", True, "bitext"),
                              (ids[("en-ja.tmx", 2)], "ja", True, "bitext")]), label="docs")
        assert_that(out["dropped"] | "DroppedIds" >> beam.Map(lambda d: (d.doc.id, d.reason)),
                    equal_to([(ids[("en-de.tsv", 4)], "parallel:length_ratio"),
                              (dup_dropped, "parallel:duplicate")]), label="dropped")
        assert_that(out["rejected"] | "RejectedLines" >> beam.Map(lambda r: (r.file, r.line, r.reason.split(":")[0])),
                    equal_to([("en-de.tsv", 5, "wrong_column_count")]), label="rejected")
        stats = out["stats"] | "Sum" >> beam.CombinePerKey(sum)
        wanted = {"parallel/pairs/de-en/kept": 2, "parallel/pairs/de-en/dropped": 2, "parallel/pairs/ja-en/kept": 1,
                  "point/input/bitext/de/docs": 4, "point/input/bitext/ja/docs": 1}
        assert_that(stats | "Pick" >> beam.Filter(lambda kv: kv[0] in wanted),
                    equal_to(sorted(wanted.items())), label="stats")
