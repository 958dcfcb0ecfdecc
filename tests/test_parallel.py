"""The parallel stage: config, pure core (checks, dedup, rendering, PII) and the Beam transform."""

import json
import os
from collections import Counter

import pytest
from pydantic import ValidationError

from pipeline.config import ParallelConfig, parse_config
from pipeline import files as fs
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
    def __init__(self, topk):
        self.topk = tuple(topk)
        self.lang, self.score = self.topk[0] if self.topk else ("und", 0.0)


def _words(text):
    from pipeline.stages.parallel_side import side_evidence

    return side_evidence(text).model_text


class FakeIdentifier:
    """Answers from a table: text -> (lang, score) or a list of (lang, score) labels, best
    first; texts are matched on the words the stage gives the model. Unknown texts: no labels."""

    def __init__(self, table):
        self.table = {_words(text): [answer] if isinstance(answer[0], str) else answer
                      for text, answer in table.items()}
        self.asked = []

    def predict_one(self, text):
        self.asked.append(text)
        return FakePrediction(self.table.get(text, ()))


def _filter(table=None, **parallel):
    return PairFilter(_config(parallel), identifier=FakeIdentifier(table or {}))


def _reason(result):
    return result.reason if isinstance(result, Dropped) else "kept"


# ------------------------------------------------------------------------- config


def test_config_defaults_and_descriptions():
    section = ParallelConfig()
    assert section.enabled is False and section.pivot == "en" and section.max_length_ratio == 2.2
    assert section.length_unit == "words" and section.length_slack == 1.0 and section.length_weights == {"vi": 0.67}
    assert (section.margin, section.min_other_score, section.pivot_min_other_score) == (0.6, 0.5, 0.9)
    assert section.pivot_ratio is None and section.pivot_floor == 0.3 and section.top_k == 5
    assert section.required_scripts == {"ko": ["Hang"]} and section.forbidden_scripts == {"zh": ["Hira", "Kana"]}
    assert section.label_required_scripts == {"ja": ["Hira", "Kana"]}
    assert section.checks == ["untranslated", "placeholders", "numbers", "urls", "latin_tokens", "punctuation"]
    assert section.directions == "both" and len(section.templates) == 3 and section.dedup
    for name, info in ParallelConfig.model_fields.items():
        assert info.description, name
    from pipeline.config.parallel import ParallelSourceSettings

    for name, info in ParallelSourceSettings.model_fields.items():
        assert info.description, name


def test_config_normalises_and_validates():
    section = ParallelConfig(pivot="eng", required_scripts={"jpn": ["Hira"]}, checks=["numbers", "placeholders"],
                             sources={"b": {"langs": ["EN", "zh_TW"]}})
    assert section.pivot == "en" and section.required_scripts == {"ja": ["Hira"]}
    assert section.checks == ["placeholders", "numbers"]  # applied in their fixed order
    assert section.sources["b"].langs == ["en", "zh-Hant"]
    bad = [
        {"templates": ["{src_text} only"]},
        {"templates": ["{src_text} {tgt_text} {oops}"]},
        {"templates": []},
        {"pivot": "not a language"},
        {"min_tokens": 10, "max_tokens": 5},
        {"directions": "sideways"},
        {"sources": {"b": {"langs": ["en"]}}},
        {"required_scripts": {"ja": ["Klingon"]}},
        {"forbidden_scripts": {"zh": []}},
        {"checks": ["spelling"]},
        {"char_weights": {"Latn": 0.5}},
        {"char_weights": {"Thai": 0}},
        {"length_weights": {"vi": -1}},
        {"length_unit": "letters"},
        {"min_score": 0.5},
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


def test_length_ratio_in_script_aware_units():
    en = "The weather is very nice today."
    zh = "今天天气很好。"          # 5x fewer characters than the English side
    ja = "今日はとても良い天気です。"
    th = "วันนี้อากาศดีมาก"          # 16 Thai letters: 16 tokens for the default counter
    f = _filter({en: ("en", 0.99), zh: ("zh", 0.99), ja: ("ja", 0.99), th: ("th", 0.99)})
    assert len(en) / len(zh) > 4
    for text, lang in ((zh, "zh"), (ja, "ja"), (th, "th")):
        assert _reason(f.check(_pair(en, text, "en", lang))[0]) == "kept", lang
    from pipeline.stages.parallel_checks import length_units

    weights = _config().parallel.char_weights
    assert length_units(th, weights, 1.0) == pytest.approx(16 * 0.18)
    assert length_units("Enter %(name)s <b>now</b>", weights, 1.0) == 2  # placeholders and markup left out
    long_zh = "好的，我明天早上八点准时到公司门口等你，然后我们一起坐地铁去机场接从上海来的客户。"
    assert _reason(f.check(_pair("Okay.", long_zh, "en", "zh"))[0]) == "parallel:length_ratio"
    assert _reason(_filter({}, max_length_ratio=100).check(_pair("Okay.", long_zh, "en", "zh"))[0]) != \
        "parallel:length_ratio"
    # the mixture tokenizer as the unit (one token per Thai letter by default): Thai looks 3x longer
    assert _reason(_filter({}, length_unit="tokens", max_length_ratio=2.2).check(
        _pair("Good day.", th, "en", "th"))[0]) == "parallel:length_ratio"
    assert _reason(f.check(_pair("Good day.", th, "en", "th"))[0]) != "parallel:length_ratio"
    # Vietnamese writes syllables as words: its length is weighted
    en, vi = "Show hidden files", "Hiển thị tất cả các tập tin bị ẩn đi"  # 10 syllables
    table = {en: ("en", 0.9), vi: ("vi", 0.99)}
    assert _reason(_filter(table).check(_pair(en, vi, "en", "vi"))[0]) == "kept"
    assert _reason(_filter(table, length_weights={}).check(_pair(en, vi, "en", "vi"))[0]) == "parallel:length_ratio"
    # slack: one word against three is not a length mismatch
    assert _reason(_filter({"Cancel": ("en", 0.9), "Abbrechen und schließen": ("de", 0.9)}).check(
        _pair("Cancel", "Abbrechen und schließen"))[0]) == "kept"


def test_token_bounds_per_side():
    f = _filter(min_tokens=3)
    assert _reason(f.check(_pair("Hi.", "Hallo, wie geht es dir?"))[0]) == "parallel:too_few_tokens_source"
    huge = "Wort " * 5000
    assert _reason(_filter(max_tokens=100, max_length_ratio=10_000).check(
        _pair("Word " * 50, huge))[0]) == "parallel:too_many_tokens_target"


# ------------------------------------------------------------------------- language decision


def _decide(declared, text, topk, pivot_side=False, pivot_score=None, other_has_letters=True, **settings):
    from pipeline.stages.parallel_side import decide_side, side_evidence

    section = ParallelConfig(**settings)
    return decide_side(declared, side_evidence(text), topk, section, model=True, pivot_side=pivot_side,
                       pivot_score=pivot_score, other_has_letters=other_has_letters)


def test_decision_table_row_by_row():
    from pipeline.stages.parallel_side import decide_side, side_evidence

    # row 1: no letters -> accepted only when the other side has none either
    assert _decide("de", "%s: %d", [])[:2] == (1, "wrong_script")
    assert _decide("de", "%s: %d", [], other_has_letters=False)[:2] == (1, None)
    # row 2: the dominant script is not how the language is written
    assert _decide("hi", "Aap kahan rehte hain?", [("hi", 0.8)])[:2] == (2, "wrong_script")
    assert _decide("ru", "Je suis fatigué.", [("fr", 0.9)])[:2] == (2, "wrong_script")
    assert _decide("zh-Hant", "这个文件不存在", [("zh", 0.99)])[:2] == (3, "wrong_script")  # Simplified Han
    # row 3: a required script missing, a forbidden one present
    assert _decide("ko", "文件", [("zh", 0.9)])[:2] == (3, "wrong_script")  # Han without Hangul
    assert _decide("zh", "今日は天気がいいですね。", [("ja", 0.99)])[:2] == (2, "wrong_script")  # Japanese
    assert _decide("ja", "カタカナ", [("ja", 0.9)], required_scripts={"ja": ["Hira"]})[:2] == (3, "wrong_script")
    long_han = "这是一个很长的中文句子用来说明只有一个假名的情况下也不是中文の"  # kana under 5%: still Han
    assert _decide("zh", long_han, [("zh", 0.9)])[:2] == (3, "wrong_script")
    assert _decide("zh", long_han, [("zh", 0.9)], forbidden_scripts={})[:2] == (6, None)
    # row 4: language ID off
    section = ParallelConfig()
    assert decide_side("de", side_evidence("Hallo"), [], section, model=False)[:2] == (4, None)
    # row 5: another language that fits the script, confident and ahead by the margin
    assert _decide("de", "Le musée est fermé.", [("fr", 0.9), ("de", 0.05)]) == \
        (5, "wrong_language", 0.05, ("fr", 0.9))
    assert _decide("de", "Le musée", [("fr", 0.6), ("de", 0.25)])[:2] == (6, None)  # ahead by 0.35 < margin
    assert _decide("de", "Le musée", [("fr", 0.45), ("en", 0.01)])[:2] == (6, None)  # below min_other_score
    assert _decide("de", "Le musée", [("fr", 0.6), ("de", 0.25)], margin=0.3)[:2] == (5, "wrong_language")
    # labels that do not fit the side's scripts are ignored: "hy" for Latin text, "ja" without kana
    assert _decide("en", "Enter a valid URL.", [("hy", 0.9), ("en", 0.05)], pivot_side=True)[:2] == (6, None)
    assert _decide("zh", "应用没有找到", [("ja", 0.95), ("zh", 0.05)]) == (6, None, 0.05, None)
    # the short English strings language ID scores low are accepted
    assert _decide("en", "Enter new password", [("en", 0.12), ("de", 0.1)], pivot_side=True)[:2] == (6, None)
    # the pivot side needs a more confident other language (pivot_min_other_score)
    assert _decide("en", "Set permissions", [("fi", 0.64), ("en", 0.09)], pivot_side=True)[:2] == (6, None)
    assert _decide("en", "Set permissions", [("fi", 0.95), ("en", 0.01)], pivot_side=True)[:2] == (5, "wrong_language")
    # row 5b: the other side is as English as the English side
    topk = [("en", 0.45), ("de", 0.05)]
    assert _decide("de", "Union of the Comoros", topk, pivot_score=0.5, pivot_ratio=0.8, pivot_floor=0.3) == \
        (5, "wrong_language", 0.05, ("en", 0.45))
    assert _decide("de", "Union of the Comoros", topk, pivot_score=0.5)[:2] == (6, None)  # off by default
    assert _decide("de", "Union of the Comoros", topk, pivot_score=0.9, pivot_ratio=0.8, pivot_floor=0.3)[:2] == \
        (6, None)
    # row 6: otherwise accepted, with the declared language's score
    assert _decide("th", "ป้อนรหัสผ่านใหม่", [("th", 0.99)]) == (6, None, 0.99, None)


def test_language_decision_in_the_stage():
    en, de, fr = "The museum is closed.", "Das Museum ist geschlossen.", "Le musée est fermé."
    table = {en: ("en", 0.95), de: ("de", 0.97), fr: [("fr", 0.9), ("de", 0.01)]}
    f = _filter(table)
    assert _reason(f.check(_pair(en, de))[0]) == "kept"
    assert _reason(f.check(_pair(en, fr))[0]) == "parallel:wrong_language_target"
    # columns the other way round: the pivot is the target column
    assert _reason(f.check(_pair(de, en, "de", "en"))[0]) == "kept"
    assert _reason(f.check(_pair(fr, en, "de", "en"))[0]) == "parallel:wrong_language_source"
    # a wrong pivot side is rejected only when the model is very sure
    f = _filter({en: [("fr", 0.95)], de: ("de", 0.97)})
    assert _reason(f.check(_pair(en, de))[0]) == "parallel:wrong_language_source"
    # the model never sees placeholders, markup or punctuation
    f = _filter({"Zu viele Attribute im Element": ("de", 0.9), "Too many attributes in element": ("en", 0.9)})
    assert _reason(f.check(_pair("Too many attributes in element “%s”", "Zu viele Attribute im Element »%s«"))[0]) \
        == "kept"
    assert f.identifier.asked == ["Too many attributes in element", "Zu viele Attribute im Element"]


def test_short_ui_strings_and_names_carried_over():
    # issue examples: low English scores, a placeholder in Chinese, product names in Latin letters
    f = _filter({"Enter new password": [("en", 0.12), ("de", 0.1)], "输入新密码": ("zh", 0.9),
                 "Multi-line string": [("en", 0.10), ("fr", 0.08)], "多行字符串": [("ja", 0.7), ("zh", 0.3)]})
    assert _reason(f.check(_pair("Enter new password", "输入新密码", "en", "zh-Hans"))[0]) == "kept"
    assert _reason(f.check(_pair("Multi-line string", "多行字符串", "en", "zh-Hans"))[0]) == "kept"
    f = _filter({"App %(app_label)r not found": ("en", 0.3)})
    assert _reason(f.check(_pair("App %(app_label)r not found", "应用 %(app_label)r 没有找到", "en", "zh"))[0]) == "kept"
    assert _reason(f.check(_pair("No app %(name)s", "ऐप %(name)s नहीं मिला", "en", "hi"))[0]) == "kept"
    # "مستند AppleWorks": the Latin name occurs on the English side and does not make the side Latin
    ar = "مستند AppleWorks"
    f = _filter({"مستند": ("ar", 0.9)})
    assert _reason(f.check(_pair("AppleWorks document", ar, "en", "ar"))[0]) == "kept"
    # but an English string in an Arabic column is Latin, whatever it shares with the English side
    assert _reason(f.check(_pair("Open File", "Open file", "en", "ar"))[0]) == "parallel:wrong_script_target"
    # a language the model has no label for: decided by script alone
    f = _filter({"Ahoj": ("cs", 0.99)})
    f.identifier.labels = lambda: ["en", "cs"]
    assert _reason(f.check(_pair("Hello", "Salut", "en", "fur"))[0]) == "kept"
    assert _reason(f.check(_pair("Hello", "Привет", "en", "fur"))[0]) == "parallel:wrong_script_target"


def test_true_pairs_in_many_scripts_are_kept_with_the_real_model(real_filter):
    pairs = [
        ("Enter new password", "ป้อนรหัสผ่านใหม่", "th"),
        ("The following packages will be upgraded:", "แพกเกจต่อไปนี้จะถูกปรับรุ่น:", "th"),
        ("Show hidden files", "显示隐藏文件", "zh-Hans"),
        ("Two Sided", "両面", "ja"),
        ("Unable to open file “%s”", "ファイル “%s” を開けません", "ja"),
        ("Cancel", "إلغاء", "ar"),
        ("Open file", "افتح الملف", "ar"),
        ("Enter a valid URL.", "मान्य URL दर्ज करें।", "hi"),
        ("Multi-line string", "बहु-पंक्ति स्ट्रिंग", "hi"),
        ("Everyone has the right to education. Education shall be free, at least in the elementary stages.",
         "ทุกคนมีสิทธิในการศึกษา การศึกษาจะต้องให้เปล่าอย่างน้อยในขั้นประถมศึกษา", "th"),
    ]
    for en, other, lang in pairs:
        assert _reason(real_filter.check(_pair(en, other, "en", lang))[0]) == "kept", (en, other)


@pytest.fixture(scope="module")
def real_filter():
    return PairFilter(_config())  # the real bundled fastText model


def test_wrong_language_and_both_english_pairs_dropped_with_the_real_model(real_filter):
    cases = [
        ("Show hidden files", "Afficher les fichiers cachés", "de", "parallel:wrong_language_target"),
        ("Show hidden files", "顯示隱藏檔案", "zh-Hans", "parallel:wrong_script_target"),
        ("Show hidden files", "隠しファイルを表示", "zh-Hans", "parallel:wrong_script_target"),
        ("Show hidden files", "Показать скрытые файлы", "th", "parallel:wrong_script_target"),
        ("Show hidden files", "Show hidden files", "fr", "parallel:untranslated"),
        ("Show hidden files", "Could not open file", "ar",
         "parallel:wrong_script_target"),
        ("Show hidden files", "Enter new password", "hi", "parallel:wrong_script_target"),
    ]
    for en, other, lang, reason in cases:
        assert _reason(real_filter.check(_pair(en, other, "en", lang))[0]) == reason, (other, lang)


# ------------------------------------------------------------------------- correspondence


def test_placeholder_check_in_several_scripts():
    from pipeline.stages.parallel_checks import failing_check, placeholders

    assert placeholders("%(name)s has %d of %1$s {0} {{ var }} ${HOME} <b>x</b> <a href='u'>y</a> 100%% <file>") == \
        Counter({"%(name)s": 1, "%d": 1, "%s": 1, "{0}": 1, "{{var}}": 1, "${HOME}": 1, "<b>": 1, "</b>": 1,
                 "<a>": 1, "</a>": 1})
    assert placeholders("50% off, 100% of files") == Counter()  # a percent sign before a word is not a format
    ok = [("Delete %(count)d files?", "%(count)d 個のファイルを削除しますか？", "ja"),
          ("%s of %s", "%2$s 中的 %1$s", "zh"),  # positions and reordering
          ("Copy “%.255s”", "نسخ «%s»", "ar"),  # precision may differ
          ("Press <b>{0}</b> to continue", "<b>{0}</b> दबाएँ जारी रखने के लिए", "hi"),
          ("%m/%d/%y", "%d.%m.%Y", "de")]  # strftime conversions are not compared
    for en, other, lang in ok:
        assert failing_check(en, other, lang, ["placeholders"]) is None, other
    bad = [("Delete %(count)d files?", "ลบไฟล์ %(num)d ไฟล์?", "th"),
           ("Open %s", "打开", "zh"),
           ("Press <b>Enter</b>", "Drücken Sie Enter", "de"),
           ("{0} items", "{1} 項目", "ja")]
    for en, other, lang in bad:
        assert failing_check(en, other, lang, ["placeholders"]) == "placeholders", other


def test_number_check_with_localised_digits_and_formats():
    from pipeline.stages.parallel_checks import failing_check, numbers

    assert numbers("1,000.5 and ٣ and १२ and ๕ and ３ but not %1$d or http://x.org/9") == \
        Counter({"1000": 1, "5": 2, "3": 2, "12": 1})
    ok = [("Page 3 of 10", "الصفحة ٣ من ١٠", "ar"), ("1,000 files", "1.000 Dateien", "de"),
          ("1,000 files", "1 000 fichiers", "fr"), ("Size: 1,024 KB", "ขนาด: ๑,๐๒๔ KB", "th"),
          ("Aug", "8월", "ko"), ("exactly one whitespace", "空白文字が 1 つだけ", "ja"),
          ("Use 1 bit", "un bit", "fr")]
    for en, other, lang in ok:
        assert failing_check(en, other, lang, ["numbers"]) is None, other
    bad = [("Page 3 of 10", "Seite 5 von 10", "de"), ("Wait 30 seconds", "等待 60 秒", "zh"),
           ("Version 2.4", "バージョン 2.6", "ja"), ("Only 1 left", "केवल 2 बचे", "hi")]
    for en, other, lang in bad:
        assert failing_check(en, other, lang, ["numbers"]) == "numbers", other


def test_mismatched_pair_with_equal_placeholders_but_other_numbers_is_dropped():
    en, de = "Retry in %d seconds (attempt 3 of 5)", "Erneut versuchen in %d Sekunden (Versuch 2 von 4)"
    f = _filter({en: ("en", 0.9), de: ("de", 0.9)})
    assert _reason(f.check(_pair(en, de))[0]) == "parallel:numbers"
    assert _reason(f.check(_pair(en, de.replace("2 von 4", "3 von 5")))[0]) == "kept"


def test_url_and_latin_token_checks():
    from pipeline.stages.parallel_checks import failing_check

    assert failing_check("See https://example.org/help.", "Siehe https://example.org/help", "de", ["urls"]) is None
    assert failing_check("Write to help@example.org", "写信给 help@example.org", "zh", ["urls"]) is None
    assert failing_check("See https://example.org/help.", "Siehe https://example.com/", "de", ["urls"]) == "urls"
    assert failing_check("Report bugs", "Fehler an <bugs@example.de> melden", "de", ["urls"]) == "urls"
    ok = [("Open GNOME Settings", "打开 GNOME 设置", "zh"), ("PDF files", "ملفات PDF", "ar"),
          ("Connect via SSH", "Подключиться через SSH", "ru"), ("Save as PNG", "PNG として保存", "ja"),
          ("Hallo", "Hallo Welt", "de")]  # Latin-script sides are not checked
    for en, other, lang in ok:
        assert failing_check(en, other, lang, ["latin_tokens"]) is None, other
    bad = [("Open the settings", "打开 GNOME 设置", "zh"), ("Image files", "ملفات PDF", "ar"),
           ("Cannot seek", "не вдалося виконати lseek", "uk")]
    for en, other, lang in bad:
        assert failing_check(en, other, lang, ["latin_tokens"]) == "latin_tokens", other


def test_punctuation_check_is_script_aware():
    from pipeline.stages.parallel_checks import failing_check, final_mark

    assert [final_mark(t, l) for t, l in [("Really?", "en"), ("本当？", "ja"), ("هل أنت متأكد؟", "ar"),
                                          ("Είστε σίγουροι;", "el"), ("Done!", "en"), ("完成！", "zh"),
                                          ("Name:", "en"), ("名前：", "ja"), ("ជម្រើស ៖", "km"),
                                          ("Save as…?", "en"), ("“Quit?”", "en"), ("हो गया।", "hi"),
                                          ("a; b;", "fr")]] == \
        ["question", "question", "question", "question", "exclamation", "exclamation", "colon", "colon", "colon",
         "question", "question", "", ""]
    ok = [("Delete the file?", "ファイルを削除しますか？", "ja"), ("Delete the file?", "هل تريد حذف الملف؟", "ar"),
          ("The file was deleted.", "फ़ाइल हटा दी गई।", "hi"), ("Done", "เสร็จสิ้น", "th"),
          ("How much does it cost?", "いくらですか。", "ja")]
    for en, other, lang in ok:
        assert failing_check(en, other, lang, ["punctuation"]) is None, other
    bad = [("Delete the file?", "Die Datei wurde gelöscht.", "de"), ("Options:", "选项", "zh"),
           ("Close", "閉じますか？", "ja")]
    for en, other, lang in bad:
        assert failing_check(en, other, lang, ["punctuation"]) == "punctuation", other


def test_untranslated_and_configurable_checks():
    en, de = "Show hidden files", "Versteckte Dateien anzeigen"
    f = _filter({en: ("en", 0.9), de: ("de", 0.9), "Urdu": ("en", 0.3), "urdu": ("en", 0.3)})
    assert _reason(f.check(_pair(en, en, "en", "de"))[0]) == "parallel:untranslated"
    assert _reason(f.check(_pair("Urdu", "urdu", "en", "pl"))[0]) != "parallel:untranslated"  # case counts
    f = _filter({en + "?": ("en", 0.9), de: ("de", 0.9)})
    assert _reason(f.check(_pair(en + "?", de))[0]) == "parallel:punctuation"
    f = _filter({en + "?": ("en", 0.9), de: ("de", 0.9)}, checks=["placeholders"])
    assert _reason(f.check(_pair(en + "?", de))[0]) == "kept"


def test_stage_is_deterministic(real_filter):
    pairs = [_pair(f"Delete {i} files?", f"{i} Dateien löschen?", pid=f"p{i}") for i in range(30)] + \
            [_pair("Show hidden files", "显示隐藏文件", "en", "zh-Hans", pid="z"),
             _pair("Retry in 3 seconds", "5 秒後に再試行", "en", "ja", pid="j")]
    first = [real_filter.check(p) for p in pairs]
    again = PairFilter(_config())
    assert [(type(r).__name__, getattr(r, "reason", None), r.doc, s) for r, s in first] == \
        [(type(r).__name__, getattr(r, "reason", None), r.doc, s) for r, s in (again.check(p) for p in pairs)]
    assert _reason(first[-1][0]) == "parallel:numbers"


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
