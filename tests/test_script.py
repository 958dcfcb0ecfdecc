from collections import Counter

from hypothesis import given, settings, strategies as st

from pipeline.text.script import (
    KNOWN_SCRIPTS,
    SPACELESS_SCRIPTS,
    dominant_script,
    dominant_scripts,
    is_spaceless,
    script_counts,
    script_of_char,
)


def test_common_scripts():
    cases = {
        "Hello world": "Latn",
        "Привет мир": "Cyrl",
        "Γειά σου κόσμε": "Grek",
        "مرحبا بالعالم": "Arab",
        "שלום עולם": "Hebr",
        "你好世界": "Hani",
        "這是繁體中文": "Hani",
        "สวัสดีครับ": "Thai",
        "नमस्ते दुनिया": "Deva",
        "வணக்கம்": "Taml",
        "გამარჯობა": "Geor",
        "ሰላም": "Ethi",
        "ສະບາຍດີ": "Laoo",
        "ខ្មែរ": "Khmr",
        "မြန်မာ": "Mymr",
        "བོད་ཡིག": "Tibt",
        "ᚠᚢᚦ": "Runr",
        "𞤀𞤁𞤂": "Adlm",
    }
    for text, expected in cases.items():
        assert dominant_script(text) == expected, text


def test_japanese_and_korean():
    assert dominant_script("こんにちは世界、今日は") == "Jpan"
    assert dominant_script("カタカナ") == "Jpan"
    assert dominant_script("日本語の文です") == "Jpan"
    assert dominant_script("안녕하세요") == "Kore"
    assert dominant_script("안녕하세요 世界") == "Kore"


def test_no_letters():
    for text in ["", "   \n\t", "😀😀😀", "123 456", "!!!???", "👍🏽 ❤️ 🇫🇷", "\u0301\u0301"]:
        assert dominant_script(text) == "Zyyy", repr(text)
        assert script_counts(text) == Counter()


def test_counts_letters_and_marks_only():
    assert script_counts("abc 123 !!") == Counter({"Latn": 3})
    # combining acute is Inherited: not counted; Devanagari vowel signs are Devanagari
    assert script_counts("e\u0301") == Counter({"Latn": 1})
    assert script_counts("नमस्ते") == Counter({"Deva": 6})


def test_mixed_scripts_majority_and_ties():
    assert dominant_script("hello мир мир мир") == "Cyrl"
    assert dominant_script("ab аб") == "Cyrl"  # tie broken by code: Cyrl < Latn
    assert dominant_script("Der Preis: 价格 ist hoch") == "Latn"
    counts = script_counts("abc абв 你好 😀")
    assert counts == Counter({"Latn": 3, "Cyrl": 3, "Hani": 2})


def test_limit():
    text = "a" * 100 + "б" * 1000
    assert dominant_script(text, limit=100) == "Latn"
    assert dominant_script(text) == "Cyrl"
    assert sum(script_counts("x" * 50_000).values()) == 20_000


def test_huge_text_is_fast_enough():
    text = ("Lorem ipsum dolor sit amet, 你好 ") * 200_000
    assert dominant_script(text) == "Latn"
    assert dominant_script(text, limit=len(text)) == "Latn"


def test_lone_surrogates():
    assert dominant_script("\ud800abc\udfff") == "Latn"


def test_script_of_char():
    assert script_of_char("a") == "Latn"
    assert script_of_char("Я") == "Cyrl"
    assert script_of_char("字") == "Hani"
    assert script_of_char("1") == "Zyyy"
    assert script_of_char(" ") == "Zyyy"
    assert script_of_char("😀") == "Zyyy"
    assert script_of_char("\u0301") == "Zyyy"


def test_known_scripts_and_spaceless():
    assert {"Latn", "Cyrl", "Hani", "Thai", "Arab", "Adlm"} <= set(KNOWN_SCRIPTS)
    assert list(KNOWN_SCRIPTS) == list(dict.fromkeys(KNOWN_SCRIPTS))
    for code in ["Hani", "Jpan", "Thai", "Khmr", "Laoo", "Mymr"]:
        assert is_spaceless(code)
        assert code in SPACELESS_SCRIPTS
    for code in ["Latn", "Kore", "Hang", "Arab", "Zyyy"]:
        assert not is_spaceless(code)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode(text):
    script = dominant_script(text)
    counts = script_counts(text)
    assert sum(counts.values()) <= len(text)
    assert script == "Zyyy" if not counts else script in set(counts) | {"Jpan", "Kore"}


def test_dominant_scripts_batch_matches_single():
    texts = ["Hello", "", "你好世界", "こんにちは世界", "😀", "Привет hello", "ab аб", "x" * 30_000 + "я",
             "\ud800abc", "안녕하세요 世界", "नमस्ते"]
    assert dominant_scripts(texts) == [dominant_script(t) for t in texts]
    assert dominant_scripts(texts, limit=3) == [dominant_script(t, limit=3) for t in texts]
    assert dominant_scripts([]) == []
    assert dominant_scripts(["abc", "123", ""]) == ["Latn", "Zyyy", "Zyyy"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=50), max_size=8))
def test_dominant_scripts_batch_property(texts):
    assert dominant_scripts(texts) == [dominant_script(t) for t in texts]
