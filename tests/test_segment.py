"""Word segmentation by script and stop words (pipeline.text.segment, pipeline.text.stopwords)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.segment import count_words, has_spaceless, tokens, word_ngrams, words
from pipeline.text.stopwords import StopWordMatcher, base_language, has_stop_words, matcher, stop_words


def test_spaced_words_strip_edge_punctuation():
    assert words("(Hello, world!) don't e-mail 3.14 -- #tag") == ["Hello", "world", "don't", "e-mail", "3.14", "tag"]
    assert tokens("Hello,  world!") == ["Hello,", "world!"]


def test_empty_and_blank():
    assert words("") == [] and tokens("") == []
    assert words(" \n\t ") == []
    assert count_words("... — !!") == 0


def test_chinese_characters_are_units():
    assert words("我爱Python。") == ["我", "爱", "Python"]
    assert tokens("你好。") == ["你", "好", "。"]
    assert count_words("天气很好，我们去公园散步吧。") == 12


def test_japanese_kana_and_han_are_units_and_prolonged_sound_mark_stays():
    assert words("ラーメンです") == ["ラ", "ー", "メ", "ン", "で", "す"]
    assert words("日本語のテキスト") == list("日本語のテキスト")


def test_thai_grapheme_clusters_keep_marks_on_their_letter():
    units = words("ที่นี่")
    assert units == ["ที่", "นี่"]
    assert all(len(u) <= 3 for u in words("ภาษาไทยสวยงามมาก"))


def test_lao_khmer_myanmar_are_spaceless():
    for text in ("ພາສາລາວ", "ភាសាខ្មែរ", "မြန်မာစာ"):
        assert has_spaceless(text)
        assert len(words(text)) > 1


def test_arabic_hindi_korean_russian_use_spaces():
    assert words("مرحبا بالعالم، كيف حالك؟") == ["مرحبا", "بالعالم", "كيف", "حالك"]
    assert words("नमस्ते दुनिया में है।") == ["नमस्ते", "दुनिया", "में", "है"]
    assert words("한국어 문장입니다.") == ["한국어", "문장입니다"]
    assert words("Привет, мир!") == ["Привет", "мир"]


def test_mixed_scripts_and_emoji():
    assert words("I love 東京 😀 very much") == ["I", "love", "東", "京", "very", "much"]
    # emoji alone is a token but not a word (no letter or digit)
    assert tokens("😀 ok") == ["😀", "ok"]


def test_script_hint_never_changes_the_result():
    for text in ("我爱Python。", "plain english text", "ภาษาไทย abc", ""):
        assert words(text) == words(text, "Latn") == words(text, "Hani") == words(text, "Thai")


def test_huge_text_is_linear():
    text = "word " * 200_000 + "漢字" * 50_000
    assert count_words(text) == 300_000


def test_word_ngrams():
    assert word_ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]
    assert word_ngrams(["a"], 2) == []
    assert word_ngrams(["a"], 0) == []


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_no_exception_on_arbitrary_unicode(text):
    ws = words(text)
    assert all(w and not w.isspace() for w in ws)
    assert len(ws) <= len(tokens(text))


# ---------------------------------------------------------------- stop words

def test_stop_word_lists_come_from_spacy_offline():
    assert "the" in stop_words("en")
    assert "и" in stop_words("ru")
    assert len(stop_words("zh")) > 100
    for lang in ("en", "zh", "ja", "ko", "th", "ar", "hi", "ru"):
        assert has_stop_words(lang), lang


def test_languages_without_a_list():
    for lang in ("fo", "nn", "xx", "sw", "km", "und", "", "../etc"):
        assert stop_words(lang) is None, lang
    assert not matcher("sw").available
    assert matcher("sw").count("ni na ya wa") == 0


def test_language_codes_are_normalised():
    assert base_language("sr-Latn") == "sr"
    assert base_language("zh_Hant") == "zh"
    assert base_language("no") == "nb"
    assert stop_words("NO") == stop_words("nb")


def test_whole_word_matching_is_case_insensitive():
    m = matcher("en")
    assert m.count("The cat and THE dog") == 3  # the, and, the
    assert m.count("Theology") == 0


def test_substring_matching_for_spaceless_languages():
    assert matcher("zh").count("我们的天气很好") >= 2
    assert matcher("ja").count("私はこれから学校に行きます") >= 2
    assert matcher("th").count("และที่ของ") >= 3


def test_korean_prefix_matching():
    assert matcher("ko").count("있다 하는 것이") == 3


def test_serbian_latin_transliteration():
    assert "ali" in stop_words("sr-Latn")
    assert StopWordMatcher("sr", "Latn").count("ja sam ali ti") >= 2
    assert "али" in stop_words("sr")


def test_limit_stops_counting_early():
    assert matcher("en").count("the the the the the", limit=2) == 2


def test_a_list_in_another_script_is_not_used():
    assert not matcher("hi", "Latn").available  # Hinglish: the Devanagari list cannot match
    assert matcher("hi", "Deva").available
    assert matcher("ja", "Jpan").available and matcher("ja", "Hani").available
    assert matcher("ko", "Kore").available and matcher("zh", "Hani").available
    assert matcher("en", None).available and matcher("en", "Zyyy").available
    assert not matcher("ru", "Latn").available
