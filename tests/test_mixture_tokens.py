"""Token counting: the default calibrated unit and the optional exact counters."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config.mixture import TokenizerConfig
from pipeline.mixture.tokens import (
    DefaultTokenCounter,
    HFTokenCounter,
    MissingTokenizerPackage,
    SentencePieceTokenCounter,
    calibrate_ratio,
    count_tokens,
    count_units,
    make_counter,
)


@pytest.mark.parametrize(
    "text, units",
    [
        ("", (0, 0, 0)),
        ("   \n\t ", (0, 0, 0)),
        ("Hello, world!", (2, 0, 2)),
        ("你好，世界", (0, 4, 1)),  # Han: one unit per character; the full-width comma is a symbol
        ("東京は日本の首都です。", (0, 10, 1)),  # Han + kana
        ("สวัสดีครับ", (0, 7, 0)),  # Thai: vowel marks belong to their consonant
        ("ສະບາຍດີ", (0, 6, 0)),  # Lao: ະ and າ are letters (Lo), ີ a mark
        ("مرحبا بالعالم", (2, 0, 0)),  # Arabic is spaced: words
        ("שלום עולם", (2, 0, 0)),  # Hebrew
        ("안녕하세요 세계", (2, 0, 0)),  # Hangul is spaced: words
        ("नमस्ते दुनिया", (2, 0, 0)),  # Devanagari with virama and vowel signs
        ("e\u0301te\u0301 cafe\u0301", (2, 0, 0)),  # combining accents stay inside the word
        ("🎉🎉 party 👍", (1, 0, 2)),
        ("iPhone 15の価格は10万円", (3, 6, 0)),  # mixed Latin/digits/Han/kana
        ("x = f(y) + 2", (4, 0, 4)),
    ],
)
def test_units(text, units):
    assert tuple(count_units(text)) == units


def test_default_ratios():
    counter = DefaultTokenCounter()
    assert counter.count("") == 0
    assert counter.count("   ") == 0
    assert counter.count("Hello, world!") == 5  # 2 × 1.3 + 2 = 4.6 -> 5
    assert counter.count("你好世界") == 4
    assert counter.count("a") == 1  # at least one token for non-blank text
    assert counter.count("\u0301") == 1  # a stray combining mark still counts as a unit
    assert counter.count("\u0e31") == 0  # a stray Thai vowel mark does not


def test_ratios_and_per_script_override():
    counter = DefaultTokenCounter(tokens_per_word=2.0, tokens_per_char=0.5, tokens_per_symbol=3.0,
                                  per_script={"Thai": 0.25})
    assert counter.count("one two") == 4
    assert counter.count("你好世界") == 2
    assert counter.count("!") == 3
    assert counter.count("สวัสดีครับ") == 2  # 7 Thai letters × 0.25 = 1.75 -> 2
    assert counter.count("สวัสดีครับ 你好") == 3  # 1.75 + 2 × 0.5 = 2.75 -> 3
    jp = DefaultTokenCounter(per_script={"Jpan": 0.5})
    assert jp.count("東京は日本") == 3  # 5 × 0.5 = 2.5 -> 3 (half up)


def test_bad_ratio_rejected():
    with pytest.raises(ValueError):
        DefaultTokenCounter(tokens_per_word=0)


def test_huge_text_is_linear_and_exact():
    text = "word " * 200_000
    assert count_units(text).words == 200_000
    assert count_tokens(text) == 260_000


def test_count_tokens_with_counter_and_script_hint():
    class Fixed:
        name = "fixed"

        def count(self, text, script=None):
            return 42 if script == "Latn" else 1

    assert count_tokens("abc", "Latn", counter=Fixed()) == 42
    assert count_tokens("abc", "", counter=Fixed()) == 1


def test_make_counter_from_config():
    counter = make_counter(TokenizerConfig(tokens_per_word=1.0))
    assert isinstance(counter, DefaultTokenCounter)
    assert counter.count("one two three") == 3
    assert isinstance(make_counter(None), DefaultTokenCounter)


def test_calibrate_ratio():
    texts = ["one two", "three four five"]
    ratio = calibrate_ratio(texts, exact=lambda t: 2 * len(t.split()), units=lambda t: count_units(t).words)
    assert ratio == 2.0
    with pytest.raises(ValueError):
        calibrate_ratio([""], exact=len, units=lambda t: 0)


def test_missing_packages_give_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name in ("tokenizers", "sentencepiece"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingTokenizerPackage, match="pip install tokenizers"):
        HFTokenCounter("tokenizer.json")
    with pytest.raises(MissingTokenizerPackage, match="pip install sentencepiece"):
        SentencePieceTokenCounter("x.model")


def test_hf_tokenizer_json(tmp_path):
    import tokenizers
    from tokenizers import models, pre_tokenizers

    vocab = {"[UNK]": 0, "hello": 1, "world": 2, ",": 3, "!": 4}
    tok = tokenizers.Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    counter = make_counter(TokenizerConfig(kind="hf", path=str(path)))
    assert counter.count("hello, world!") == 4
    assert counter.count("") == 0
    assert counter.count_batch(["hello", "", "hello world"]) == [1, 0, 2]
    with pytest.raises(FileNotFoundError):
        HFTokenCounter(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("not json")
    with pytest.raises(ValueError, match="not a tokenizer.json"):
        HFTokenCounter(str(tmp_path / "bad.json"))


def test_sentencepiece_model(tmp_path):
    import sentencepiece as spm
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["the quick brown fox jumps over the lazy dog"] * 50 + ["你好世界 こんにちは"] * 20),
                      encoding="utf-8")
    prefix = tmp_path / "m"
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(prefix), vocab_size=40,
                                   model_type="unigram", minloglevel=2, hard_vocab_limit=False)
    counter = make_counter(TokenizerConfig(kind="sentencepiece", path=f"{prefix}.model"))
    assert counter.count("the quick brown fox") > 0
    assert counter.count("") == 0
    with pytest.raises(ValueError, match="not a SentencePiece model"):
        (tmp_path / "bad.model").write_bytes(b"garbage")
        SentencePieceTokenCounter(str(tmp_path / "bad.model"))


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_never_raises_and_counts_units_at_the_default_rates(text):
    n = count_tokens(text)
    units = count_units(text)
    assert units.words + units.chars + units.symbols <= len(text)
    # docs/mixture.md: words × 1.3 + characters of spaceless scripts × 1.0 + symbol runs × 1.0,
    # rounded half up, at least 1 for text with any unit, 0 for text without one
    expected = 0 if units == (0, 0, 0) else max(1, math.floor(units.words * 1.3 + units.chars + units.symbols + 0.5))
    assert n == expected


@settings(max_examples=100, deadline=None)
@given(st.text(), st.text())
def test_roughly_additive_over_whitespace(a, b):
    # counting two texts joined by a space never differs by more than rounding + one merged unit
    joined = count_tokens(a + " " + b)
    assert abs(joined - (count_tokens(a) + count_tokens(b))) <= 3


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_matches_the_general_path(text):
    from pipeline.mixture.tokens import _count_units_general

    assert tuple(count_units(text)) == tuple(_count_units_general(text))


def _one_pass_units(text):
    """Reference: one left-to-right scan classifying each unit (slower, obviously right)."""
    import regex

    from pipeline.mixture.tokens import _SPACELESS_CLASS

    unit = regex.compile(
        rf"(?P<char>[{_SPACELESS_CLASS}&&[\p{{L}}\p{{N}}]]\p{{M}}*)"
        rf"|(?P<word>[[\p{{L}}\p{{N}}\p{{M}}_]--[{_SPACELESS_CLASS}]]+)"
        rf"|(?P<symbol>[^\s\p{{L}}\p{{N}}\p{{M}}_]+)",
        regex.V1,
    )
    counts = {"word": 0, "char": 0, "symbol": 0}
    for match in unit.finditer(text):
        counts[match.lastgroup] += 1
    return counts["word"], counts["char"], counts["symbol"]


_MIXED = st.text(alphabet=st.sampled_from(list("ab1 _.,!\n\u0301\u0e31\u0e01\u0e34中文の語한국🎉ا\u064e")) | st.characters())


@settings(max_examples=100, deadline=None)
@given(_MIXED)
def test_general_path_matches_one_pass_reference(text):
    from pipeline.mixture.tokens import _count_units_general

    assert tuple(_count_units_general(text)) == _one_pass_units(text)


def test_check_tokenizer_fails_early(tmp_path, monkeypatch):
    import importlib.util

    from pipeline.mixture.tokens import check_tokenizer

    check_tokenizer(None)
    check_tokenizer(TokenizerConfig())
    missing = TokenizerConfig(kind="sentencepiece", path=str(tmp_path / "nope.model"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sentencepiece" else real_find_spec(name, *a))
    with pytest.raises(MissingTokenizerPackage, match="pip install sentencepiece"):
        check_tokenizer(missing)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    with pytest.raises(FileNotFoundError, match="no such file"):
        check_tokenizer(missing)
    check_tokenizer(TokenizerConfig(kind="hf", path="gs://bucket/tokenizer.json"))  # remote: checked on load
