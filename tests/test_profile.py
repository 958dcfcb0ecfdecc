"""The shared script analysis (pipeline.text.profile) and the language codes built from it."""

from hypothesis import given, settings, strategies as st

from pipeline.text.langcodes import lang_for_text, normalize_lang, script_consistent
from pipeline.text.profile import ScriptRun, analyze, han_variant, script_runs

ARROW = "ArrowButton - 带有一个箭头形状的按钮组件。"


def runs(text):
    return [(r.script, r.text_of(text), r.unit) for r in script_runs(text)]


def test_chinese_with_code_is_han():
    text = "使用 pip install requests 安装依赖，然后在 settings.py 中设置 DEBUG = True。"
    profile = analyze(text)
    assert profile.dominant == "Hani"
    assert profile.weights == {"Hani": 12.0, "Latn": 7.0}
    assert runs(text) == [
        ("Hani", "使用 ", "char"),
        ("Latn", "pip install requests ", "word"),
        ("Hani", "安装依赖，然后在 ", "char"),
        ("Latn", "settings.py ", "word"),
        ("Hani", "中设置 ", "char"),
        ("Latn", "DEBUG = True。", "word"),
    ]
    # counted in letters, the page would be Latin: 37 Latin letters against 12 Han characters
    assert sum(c.isascii() and c.isalpha() for c in text) == 37


def test_issue_example_first_line():
    profile = analyze(ARROW)
    assert profile.dominant == "Hani"
    assert round(profile.share("Hani"), 3) == 0.929
    assert profile.han_variant == "Hans"
    assert lang_for_text("zh", profile) == "zh"


def test_japanese_with_options():
    text = "設定ファイルを編集するには --config オプションを使います。"
    profile = analyze(text)
    assert profile.dominant == "Jpan"
    assert profile.has_kana
    assert runs(text) == [
        ("Jpan", "設定ファイルを編集するには --", "char"),
        ("Latn", "config ", "word"),
        ("Jpan", "オプションを使います。", "char"),
    ]


def test_korean_with_english_terms():
    text = "Docker 컨테이너를 실행하려면 docker run 명령을 사용하세요."
    profile = analyze(text)
    assert profile.dominant == "Kore"
    assert profile.weights == {"Latn": 3.0, "Hang": 18.0}
    assert [r.script for r in profile.runs] == ["Latn", "Hang", "Latn", "Hang"]
    assert all(r.unit == "word" for r in profile.runs)


def test_hindi_with_english():
    devanagari = analyze("यह फ़ाइल Python script से बनाई गई है")
    assert devanagari.dominant == "Deva"
    assert lang_for_text("hi", devanagari) == "hi"
    romanised = analyze("yeh file Python script se banayi gayi hai")
    assert lang_for_text("hi", romanised) == "hi-Latn"


def test_serbian_in_both_scripts():
    cyrillic = analyze("Ово је датотека за подешавање програма nginx.")
    latin = analyze("Ovo je datoteka za podešavanje programa nginx.")
    assert (cyrillic.dominant, latin.dominant) == ("Cyrl", "Latn")
    assert lang_for_text("sr", cyrillic) == "sr"
    assert lang_for_text("sr", latin) == "sr-Latn"


def test_thai_with_numbers():
    text = "ราคา 1,250 บาท ส่งภายใน 3 วัน"
    profile = analyze(text)
    assert profile.dominant == "Thai"
    assert set(profile.weights) == {"Thai"}
    assert runs(text) == [("Thai", text, "char")]


def test_no_letters_and_empty():
    assert analyze("").runs == ()
    assert analyze("").dominant == "Zyyy"
    assert runs("123 ... !!") == [("Zyyy", "123 ... !!", "word")]
    assert not analyze("😀 42").has_letters


def test_han_variant_from_cedict_tables():
    assert han_variant("带有一个箭头形状的按钮组件") == "Hans"
    assert han_variant("帶有一個箭頭形狀的按鈕組件") == "Hant"
    assert han_variant("的是在") is None  # shared characters only
    assert han_variant("hello") is None


def test_traditional_chinese_switch():
    profile = analyze("ArrowButton - 帶有一個箭頭形狀的按鈕組件。")
    assert lang_for_text("zh", profile) == "zh"
    assert lang_for_text("zh", profile, han_variants=True) == "zh-Hant"
    assert lang_for_text("zh", analyze(ARROW), han_variants=True) == "zh"


def test_script_consistency():
    assert not script_consistent("ja", analyze("ᨣᩤ᩠ᨶᨾᩮᩥᨦ ᨣᩤ᩠ᨶᨾᩮᩥᨦ"))  # Tai Tham
    assert not script_consistent("es", analyze("ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ"))  # Cherokee
    assert not script_consistent("zh", analyze("ꆈꌠꁱꂷ"))  # Yi
    assert script_consistent("zh", analyze(ARROW))
    assert script_consistent("gan", analyze("你好世界"))
    assert script_consistent("dz", analyze("བོད་ཡིག"))
    assert script_consistent("bo", analyze("བོད་ཡིག"))
    assert script_consistent("en", analyze("The word 你好 means hello in Chinese"))


def test_one_normalisation_for_macrolanguage_names():
    assert normalize_lang("nb") == normalize_lang("no") == normalize_lang("nob") == "no"
    assert normalize_lang("nn") == "nn"
    assert normalize_lang("zlm") == normalize_lang("zsm") == normalize_lang("ms") == "ms"
    assert normalize_lang("tl") == normalize_lang("fil") == "fil"
    assert normalize_lang("yue") == "yue"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_runs_cover_the_text(text):
    found = script_runs(text)
    if not text:
        assert found == ()
        return
    assert found[0].start == 0 and found[-1].end == len(text)
    for a, b in zip(found, found[1:]):
        assert a.end == b.start and a.script != b.script or a.end == b.start
    assert all(isinstance(r, ScriptRun) and r.start < r.end for r in found)
