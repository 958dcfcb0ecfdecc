"""normalize_text: NFC, control characters, whitespace; fast and never raising."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.normalize import normalize_text


def test_nfc_composes_accents_and_hangul():
    assert normalize_text("cafe\u0301") == "caf\u00e9"
    assert normalize_text("\u1100\u1161") == "\uac00"  # jamo -> syllable


def test_compatibility_characters_are_not_folded():
    assert normalize_text("ＡＢＣ ①") == "ＡＢＣ ①"


def test_control_characters_removed_but_tab_newline_kept_as_whitespace():
    assert normalize_text("a\x00b\x07c\x1bd\x7fe\x9ff") == "abcdef"
    assert normalize_text("a\tb") == "a b"


def test_line_breaks_unified_and_paragraphs_kept():
    assert normalize_text("a\r\nb\rc\u2028d\x85e") == "a\nb\nc\nd\ne"
    assert normalize_text("para one\u2029para two") == "para one\n\npara two"
    assert normalize_text("one\n\n\n\n\ntwo") == "one\n\ntwo"
    assert normalize_text("one\n  \n\t\n two") == "one\n\n two"


def test_whitespace_cleanup():
    assert normalize_text("  leading kept   inner  \u00a0 \u3000 spaces  \n") == "  leading kept inner spaces"
    assert normalize_text("\n\n\nstart") == "start"
    assert normalize_text("end   \n\n") == "end"
    assert normalize_text("x", keep_indentation=False) == "x"
    assert normalize_text("a\n    b", keep_indentation=False) == "a\nb"


def test_code_indentation_survives():
    code = "def f(x):\n    if x:\n        return 1\n    return 2"
    assert normalize_text(code) == code
    assert normalize_text("def f():\n\treturn 1") == "def f():\n return 1"


def test_invisible_garbage_removed_but_meaningful_joiners_kept():
    assert normalize_text("\ufeffbom") == "bom"
    assert normalize_text("inter\u00adnational") == "international"
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert normalize_text(family) == family  # ZWJ emoji sequence
    persian = "می\u200cخواهم"  # ZWNJ
    assert normalize_text(persian) == persian
    assert normalize_text("\u200fשלום") == "\u200fשלום"  # RLM kept
    assert normalize_text("ภาษา\u200bไทย") == "ภาษา\u200bไทย"  # ZWSP word-break hint kept


def test_lone_surrogates_removed():
    assert normalize_text("a\ud800b\udfffc") == "abc"


def test_scripts_untouched():
    for text in ("天气很好，我们去公园散步吧。", "ภาษาไทยสวยงาม", "مرحبا بالعالم", "नमस्ते दुनिया", "Привет, мир"):
        assert normalize_text(text) == text


def test_never_raises_on_odd_input():
    assert normalize_text(None) == ""
    assert normalize_text("") == ""
    assert normalize_text(b"caf\xc3\xa9 \xff") == "café \ufffd"
    assert normalize_text(12) == "12"


def test_huge_text():
    text = ("word  " * 100 + "\r\n") * 5_000
    out = normalize_text(text)
    assert out.count("\n") == 4_999 and "  " not in out


def test_clean_ascii_fast_path_returns_same_object():
    text = "Already clean text.\n\nSecond paragraph."
    assert normalize_text(text) is text


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_arbitrary_unicode_is_normalised_idempotently(text):
    out = normalize_text(text)
    assert isinstance(out, str)
    assert normalize_text(out) == out
    assert unicodedata.is_normalized("NFC", out)
    assert "\r" not in out and "\x00" not in out and "\n\n\n" not in out
    assert out == out.rstrip()


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(whitelist_categories=("L", "M", "N", "P", "Zs")), max_size=50)
       .filter(lambda s: s.strip()))
def test_paragraph_break_between_printable_paragraphs_is_kept(paragraph):
    out = normalize_text(paragraph + "\n\n\n" + paragraph)
    assert out.count("\n\n") == 1 and "\n\n\n" not in out
