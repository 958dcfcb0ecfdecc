"""Control tokens: lexicon matching, scorers, levels, keyed selection, the Beam transform."""

from __future__ import annotations

import math
import os

import pytest
from pydantic import BaseModel, ValidationError

from pipeline.config import load_config
from pipeline.mixture.tokens import count_tokens
from pipeline.config.control_tokens import ControlTokensConfig, ToxicityTokenConfig
from pipeline.records import Doc, Dropped
from pipeline.stages.control_tokens import (
    BUNDLED_LEXICON_DIR,
    EMPTY_AFTER_LOOKALIKES,
    ControlTokenMarker,
    ControlTokens,
    Lexicon,
    LexiconError,
    LexiconScorer,
    MetadataFieldScorer,
    Score,
    level_for,
    lexicon_score,
    load_lexicons,
    make_scorer,
    normalize_for_matching,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEVELS = {"low": 0.0, "medium": 0.2, "high": 0.5}


def lex(text: str, lang: str = "xx") -> Lexicon:
    return Lexicon.parse(lang, text)


def cfg(**section) -> ControlTokensConfig:
    return ControlTokensConfig.model_validate({"enabled": True, **section})


class FixedScorer:
    """A user-supplied scorer: the interface is one method."""

    name = "fixed"

    def __init__(self, value):
        self.value = value

    def score(self, text, lang, metadata):
        return Score(self.value) if self.value is not None else Score(None, "missing")


def doc(i: int | str, text: str = "A plain sentence about the weather.", lang: str = "en", tokens: int = 7, **meta):
    return Doc(id=str(i), text=text, source="web", lang=lang, tokens=tokens, metadata=meta)


# ----------------------------------------------------------------------------- matching


def test_normalization_folds_case_eszett_yo_arabic_diacritics_and_fullwidth():
    assert normalize_for_matching("SCHEIẞE") == normalize_for_matching("scheisse")
    assert normalize_for_matching("Ёлка") == "елка"
    assert normalize_for_matching("غَبِيّ") == "غبي"
    assert normalize_for_matching("ＩＤＩＯＴ") == "idiot"
    assert normalize_for_matching("") == ""


def test_parse_comments_weights_wildcards_phrases_and_spaceless_terms():
    lexicon = lex("# comment\n\nidiot*\nstupid\t0.5\npiss off\n傻逼\nควย\n")
    assert lexicon.prefixes == {"idiot": 1.0}
    assert lexicon.words == {"stupid": 0.5}
    assert lexicon.phrases == {("piss", "off"): 1.0}
    assert lexicon.substrings == {"傻逼": 1.0, "ควย": 1.0}
    assert len(lexicon) == 5


@pytest.mark.parametrize("text, message", [
    ("idiot\tlots", "not a number"),
    ("idiot\t0", "positive"),
    ("piss off*", "single words"),
    ("傻逼*", "spaceless"),
    ("*", "needs letters"),
    ("id*iot", "needs letters"),
    ("!!!", "no word"),
])
def test_parse_errors_name_the_file_and_line(text, message):
    with pytest.raises(LexiconError, match=message) as info:
        Lexicon.parse("en", "# header\n" + text, origin="en.txt")
    assert "en.txt:2" in str(info.value)


def test_spaced_scripts_match_whole_words_only():
    lexicon = lex("con\nidiot*\npiss off\n")
    assert lexicon.hits("The content is conclusive.")[0] == 0
    assert lexicon.hits("Quel con !")[0] == 1
    assert lexicon.hits("Idiots. IDIOTIC idiot")[0] == 3
    assert lexicon.hits("Please piss off now, piss.")[0] == 1  # the phrase once, 'piss' alone is no term
    assert lexicon.hits("Please piss off now, piss.")[1] == 5


def test_spaceless_terms_match_as_substrings_longest_first_without_overlap():
    lexicon = lex("他妈的\n妈的\t0.5\nくそ\n")
    assert lexicon.hits("你他妈的在干什么")[0] == 1.0  # 他妈的 wins over 妈的, no double count
    assert lexicon.hits("妈的")[0] == 0.5
    hits, units = lexicon.hits("くそ、くそ！")
    assert hits == 2 and units == 4  # kana count one unit each


def test_thai_arabic_devanagari_hangul_and_emoji():
    thai = load_lexicons()["th"]
    assert thai.hits("ไอ้บ้าเอ๊ย วันนี้ฝนตก")[0] == 1
    arabic = load_lexicons()["ar"]
    assert arabic.hits("أنت غَبِيّ جدا")[0] == 1  # diacritics do not hide a term
    assert arabic.hits("الطقس جميل اليوم")[0] == 0
    hindi = load_lexicons()["hi"]
    assert hindi.hits("तुम बहुत बेवकूफ़ हो")[0] == 1
    korean = load_lexicons()["ko"]
    assert korean.hits("이 바보야 꺼져")[0] == 1.5  # 바보* (0.5) with a particle, 꺼져*
    assert lex("idiot*").hits("🤬🤬 idiot 😡")[0] == 1


def test_empty_and_huge_texts():
    lexicon = lex("idiot\n傻逼\n")
    assert lexicon.hits("") == (0.0, 0)
    huge = ("A calm sentence about gardens and rivers. " * 20000) + "idiot " + "傻逼" * 3
    hits, units = lexicon.hits(huge)
    assert hits == 4 and units > 100_000


def test_bundled_lexicons_cover_the_required_languages_and_are_clean_on_the_demo_corpus():
    lexicons = load_lexicons()
    assert {"en", "de", "fr", "es", "ru", "zh", "ja", "ar", "hi", "pt"} <= set(lexicons)
    assert all(len(lexicon) >= 10 for lexicon in lexicons.values())
    assert os.path.isfile(os.path.join(BUNDLED_LEXICON_DIR, "README.md"))


def test_custom_lexicon_dir_and_its_errors(tmp_path):
    (tmp_path / "en.txt").write_text("# mine\nbanana\t2\n", encoding="utf-8")
    lexicons = load_lexicons(str(tmp_path))
    assert list(lexicons) == ["en"] and lexicons["en"].words == {"banana": 2.0}
    scorer = make_scorer(ToxicityTokenConfig(lexicon_dir=str(tmp_path)))
    assert scorer.score("banana " * 5, "en", {}).value == 1.0
    with pytest.raises(LexiconError, match="no <lang>.txt"):
        load_lexicons(str(tmp_path / "missing"))
    (tmp_path / "de.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(LexiconError, match="de.txt: not UTF-8"):
        load_lexicons(str(tmp_path))


# ----------------------------------------------------------------------------- scores


def test_lexicon_score_formula():
    assert lexicon_score(0, 500, 10.0, 20) == 0.0
    assert lexicon_score(1, 100, 10.0, 20) == 0.1  # 1 hit per 100 words
    assert lexicon_score(1, 5, 10.0, 20) == 0.5  # short text: the denominator is min_tokens
    assert lexicon_score(50, 100, 10.0, 20) == 1.0  # capped
    assert lexicon_score(1, 0, 10.0, 20) == 0.5


def test_level_for_uses_the_written_order_and_boundaries():
    assert level_for(0.0, LEVELS) == "low"
    assert level_for(0.19999, LEVELS) == "low"
    assert level_for(0.2, LEVELS) == "medium"
    assert level_for(1.0, LEVELS) == "high"
    assert level_for(0.05, {"mild": 0.1, "severe": 0.6}) is None


def test_lexicon_scorer_without_a_lexicon_and_with_a_fallback():
    lexicons = {"en": lex("idiot")}
    assert LexiconScorer(lexicons).score("idiot", "sw", {}) == Score(None, "no_lexicon")
    assert LexiconScorer(lexicons, fallback="en").score("idiot", "sw", {}).value == 0.5


@pytest.mark.parametrize("metadata, expected", [
    ({"toxicity": 0.73}, Score(0.73)),
    ({"toxicity": 1}, Score(1.0)),
    ({"toxicity": "0.25"}, Score(0.25)),
    ({}, Score(None, "missing")),
    ({"toxicity": None}, Score(None, "missing")),
    ({"toxicity": True}, Score(None, "invalid")),
    ({"toxicity": 1.5}, Score(None, "invalid")),
    ({"toxicity": math.nan}, Score(None, "invalid")),
    ({"toxicity": "high"}, Score(None, "invalid")),
    ({"toxicity": [0.1]}, Score(None, "invalid")),
])
def test_metadata_field_scorer(metadata, expected):
    assert MetadataFieldScorer("toxicity").score("any text", "en", metadata) == expected


# ----------------------------------------------------------------------------- marking


def test_marked_document_gets_prefix_metadata_tokens_and_stats():
    marker = ControlTokenMarker(cfg(toxicity={"fraction": 1.0}), 1, FixedScorer(0.3))
    decision = marker.mark(doc(1, text="Some text.", tokens=3))
    out = decision.result
    assert out.text == "<|toxicity:medium|>Some text."
    assert out.tokens == 4
    assert out.metadata["control_tokens"] == ["<|toxicity:medium|>"]
    assert out.metadata["toxicity_level"] == "medium" and out.metadata["toxicity_score"] == 0.3
    assert dict(decision.stats) == {
        "control_tokens/docs/en": 1, "control_tokens/selected/en": 1, "control_tokens/scored/en": 1,
        "control_tokens/toxicity/medium/en": 1, "control_tokens/marked/en": 1, "control_tokens/added_tokens/en": 1,
    }


def test_suffix_separator_lang_token_and_recount_with_the_mixture_counter():
    from pipeline.mixture.tokens import DefaultTokenCounter

    section = cfg(attributes=["lang", "toxicity"], placement="suffix", separator="\n",
                  tokens_per_control_token=None, toxicity={"fraction": 1.0, "token": "[[tox_{level}]]"},
                  lang={"fraction": 1.0})
    counter = DefaultTokenCounter()
    out = ControlTokenMarker(section, 1, FixedScorer(0.9), counter).mark(doc(1, text="日本語の文章。", lang="ja")).result
    assert out.text == "日本語の文章。\n<|lang:ja|>[[tox_high]]"
    assert out.tokens == counter.count(out.text)
    assert out.metadata["control_tokens"] == ["<|lang:ja|>", "[[tox_high]]"]


def test_unselected_unscored_and_below_first_level_documents_are_unchanged():
    original = doc(1)
    assert ControlTokenMarker(cfg(toxicity={"fraction": 0.0}), 1, FixedScorer(0.9)).mark(original).result is original
    unscored = ControlTokenMarker(cfg(toxicity={"fraction": 1.0}), 1, FixedScorer(None)).mark(original)
    assert unscored.result is original and ("control_tokens/unscored/missing/en", 1) in unscored.stats
    section = cfg(toxicity={"fraction": 1.0, "levels": {"toxic": 0.5}})
    below = ControlTokenMarker(section, 1, FixedScorer(0.1)).mark(original)
    assert below.result.text == original.text and below.result.tokens == original.tokens
    assert below.result.metadata == {"toxicity_score": 0.1}
    assert ("control_tokens/below_first_level/en", 1) in below.stats


def test_lang_token_skips_undetermined_documents():
    marker = ControlTokenMarker(cfg(attributes=["lang"], lang={"fraction": 1.0}), 1)
    assert marker.mark(doc(1, lang="und")).result.text == doc(1).text
    assert marker.mark(doc(1, lang="th")).result.text.startswith("<|lang:th|>")


def test_lookalikes_in_real_text_are_removed_and_an_empty_result_is_dropped():
    marker = ControlTokenMarker(cfg(toxicity={"fraction": 0.0}), 1, FixedScorer(0.0))
    decision = marker.mark(doc(1, text="Hello <|toxicity:high|>world<|toxicity:x|>.", tokens=9))
    assert decision.result.text == "Hello world."
    assert decision.result.tokens == count_tokens("Hello world.")  # recounted: 2 words x 1.3 + 1 symbol
    assert ("control_tokens/lookalikes_removed/en", 2) in decision.stats
    gone = marker.mark(doc(2, text=" <|toxicity:high|> "))
    assert isinstance(gone.result, Dropped) and gone.result.reason == EMPTY_AFTER_LOOKALIKES
    assert marker.mark(doc(3, text="a < b | c > d")).result.text == "a < b | c > d"


def test_selection_is_keyed_deterministic_close_to_the_fraction_and_nested():
    section = cfg(attributes=["toxicity", "lang"], toxicity={"fraction": 0.1}, lang={"fraction": 0.25})
    docs = [doc(f"web-{i:05d}") for i in range(4000)]

    def marks(seed):
        marker = ControlTokenMarker(section, seed, FixedScorer(0.0))
        return [tuple(marker.mark(d).result.metadata.get("control_tokens", ())) for d in docs]

    first, again, other = marks(1234), marks(1234), marks(99)
    assert first == again
    assert first != other
    tox = [i for i, m in enumerate(first) if "<|toxicity:low|>" in m]
    lang = [i for i, m in enumerate(first) if "<|lang:en|>" in m]
    assert abs(len(tox) / len(docs) - 0.1) < 0.02
    assert abs(len(lang) / len(docs) - 0.25) < 0.03
    assert set(tox) <= set(lang)  # one draw per document: smaller fractions are subsets


def test_toxicity_attribute_needs_a_scorer():
    with pytest.raises(ValueError, match="scorer"):
        ControlTokenMarker(cfg(), 1)


# ----------------------------------------------------------------------------- config


def test_levels_are_ordered_by_score_whatever_order_they_are_written_in():
    # a config read back from manifest.json (keys sorted) must mean the same thing
    section = ControlTokensConfig.model_validate({"toxicity": {"levels": {"high": 0.5, "low": 0.0, "medium": 0.2}}})
    assert list(section.toxicity.levels) == ["low", "medium", "high"]


def test_config_defaults_and_validation():
    section = ControlTokensConfig()
    assert section.enabled is False and section.attributes == ["toxicity"]
    assert section.toxicity.fraction == 0.1 and section.toxicity.levels == LEVELS
    assert section.toxicity.token == "<|toxicity:{level}|>" and section.placement == "prefix"
    for bad in (
        {"toxicity": {"levels": {"low": 0.3, "high": 0.3}}},
        {"toxicity": {"levels": {}}},
        {"toxicity": {"levels": {"low": 1.5}}},
        {"toxicity": {"levels": {"a/b": 0.1}}},
        {"toxicity": {"token": "<|{lvl}|>"}},
        {"toxicity": {"token": "{level}"}},
        {"toxicity": {"token": "<| {level} |>"}},
        {"toxicity": {"fraction": 1.5}},
        {"toxicity": {"scorer": "perspective_api"}},
        {"lang": {"token": "<|lang|>"}},
        {"attributes": ["toxicity", "toxicity"]},
        {"attributes": []},
        {"placement": "middle"},
        {"unknown": 1},
    ):
        with pytest.raises(ValidationError):
            ControlTokensConfig.model_validate(bad)


def test_every_setting_has_a_description():
    def walk(model: type[BaseModel], prefix: str):
        for name, info in model.model_fields.items():
            assert info.description, f"{prefix}{name} has no description"
            sub = info.annotation
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                walk(sub, f"{prefix}{name}.")

    walk(ControlTokensConfig, "control_tokens.")


# ----------------------------------------------------------------------------- Beam


def _config(tmp_path, **section):
    data = {"name": "t", "seed": 7, "sources": [{"name": "web", "paths": [os.path.join(ROOT, "pipeline/data/sample/web/en.jsonl")]}],
            "control_tokens": {"enabled": True, **section}}
    from pipeline.config import parse_config

    return parse_config(data, check_paths=False)


def test_transform_marks_documents_and_sums_stats(beam_pipeline, tmp_path):
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    (tmp_path / "en.txt").write_text("idiot\n", encoding="utf-8")
    config = _config(tmp_path, attributes=["toxicity"],
                     toxicity={"fraction": 1.0, "lexicon_dir": str(tmp_path), "min_tokens": 1})
    docs = [doc("a", text="You idiot.", tokens=3), doc("b", text="Nice weather.", tokens=3),
            doc("c", text="Hello <|toxicity:high|>", tokens=8), doc("d", text="<|toxicity:high|>"),
            doc("e", text="天気がいい", lang="ja", tokens=5)]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | ControlTokens(config.control_tokens, seed=config.seed, tokenizer=config.mixture.tokenizer)
        assert_that(out["kept"] | "Texts" >> beam.Map(lambda d: (d.id, d.text, d.tokens)), equal_to([
            ("a", "<|toxicity:high|>You idiot.", 4),
            ("b", "<|toxicity:low|>Nice weather.", 4),
            ("c", "<|toxicity:low|>Hello ", 2),
            ("e", "天気がいい", 5),
        ]), label="kept")
        assert_that(out["dropped"] | "Reasons" >> beam.Map(lambda d: (d.doc.id, d.reason)),
                    equal_to([("d", EMPTY_AFTER_LOOKALIKES)]), label="dropped")
        assert_that(out["stats"], equal_to([
            ("control_tokens/docs/en", 4), ("control_tokens/docs/ja", 1),
            ("control_tokens/selected/en", 3), ("control_tokens/selected/ja", 1),
            ("control_tokens/scored/en", 3), ("control_tokens/unscored/no_lexicon/ja", 1),
            ("control_tokens/toxicity/high/en", 1), ("control_tokens/toxicity/low/en", 2),
            ("control_tokens/marked/en", 3), ("control_tokens/added_tokens/en", 1 + 1 - 6),
            ("control_tokens/lookalikes_removed/en", 2),
        ]), label="stats")


def test_disabled_transform_passes_everything_through(beam_pipeline, tmp_path):
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    config = _config(tmp_path, enabled=False)
    docs = [doc("a"), doc("b", text="<|toxicity:high|>")]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | ControlTokens(config.control_tokens, seed=config.seed, tokenizer=config.mixture.tokenizer)
        assert_that(out["kept"], equal_to(docs), label="kept")
        assert_that(out["dropped"], equal_to([]), label="dropped")
        assert_that(out["stats"], equal_to([]), label="stats")


def test_demo_corpus_gets_the_configured_fraction_deterministically():
    """mixtures/demo.yaml with control_tokens {enabled, fraction 0.2}: every document read."""
    from pipeline import files as fs
    from pipeline.io.readers import plan_input_files, read_file

    config = load_config(os.path.join(ROOT, "mixtures/demo.yaml"), check_paths=False)
    config.control_tokens = ControlTokensConfig.model_validate(
        {"enabled": True, "attributes": ["toxicity", "lang"], "toxicity": {"fraction": 0.2}, "lang": {"fraction": 0.2}})
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        inputs = plan_input_files(config.sources, fs.expand_patterns)
        docs = [r for f in inputs for r in read_file(config.sources[f.source_index], f) if isinstance(r, Doc)]
    finally:
        os.chdir(cwd)
    docs = [d.with_(lang=d.metadata.get("lang_hint") or "en") for d in docs]
    section = config.control_tokens

    def run():
        marker = ControlTokenMarker(section, config.seed, make_scorer(section.toxicity))
        return [marker.mark(d).result for d in docs]

    first, second = run(), run()
    assert [(d.id, d.text) for d in first] == [(d.id, d.text) for d in second]
    marked = [d for d in first if "control_tokens" in d.metadata]
    assert len(docs) > 300
    # binomial: n ~ 320, p = 0.2 -> sd ~ 7 documents; 4 sd of tolerance
    assert abs(len(marked) - 0.2 * len(docs)) <= 4 * math.sqrt(len(docs) * 0.2 * 0.8)
    for d in marked:
        assert d.text.startswith("".join(d.metadata["control_tokens"]))


def test_precomputed_scores_from_a_jsonl_field_reach_the_metadata_field_scorer(tmp_path):
    """Perspective-style scores stored offline as an extra JSONL field."""
    import json

    from pipeline.config import parse_config
    from pipeline import files as fs
    from pipeline.io.readers import plan_input_files, read_file

    path = tmp_path / "scored.jsonl"
    rows = [{"id": "a", "text": "Calm words.", "toxicity": 0.91}, {"id": "b", "text": "More calm words.", "toxicity": 0.05},
            {"id": "c", "text": "No score here."}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = parse_config({"name": "t", "sources": [{"name": "web", "paths": [str(path)]}],
                           "control_tokens": {"enabled": True, "toxicity": {"fraction": 1.0, "scorer": "metadata_field"}}})
    inputs = plan_input_files(config.sources, fs.expand_patterns)
    docs = [r for f in inputs for r in read_file(config.sources[0], f)]
    section = config.control_tokens
    marker = ControlTokenMarker(section, config.seed, make_scorer(section.toxicity))
    out = {d.id: marker.mark(d) for d in docs}
    assert out["a"].result.text == "<|toxicity:high|>Calm words."
    assert out["b"].result.text == "<|toxicity:low|>More calm words."
    assert out["c"].result.text == "No score here."
    assert ("control_tokens/unscored/missing/und", 1) in out["c"].stats
