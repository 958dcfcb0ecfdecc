from collections import Counter

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError

from pipeline.config import Config, LangIdConfig
from pipeline.records import Doc, Dropped
from pipeline.stages import langid
from pipeline.stages.langid import (
    LangIdModelError,
    LangPrediction,
    LanguageId,
    LanguageIdentifier,
    bundled_model_path,
    check_model,
    decide,
    identify_batch,
    label_to_lang,
    load_model,
    prepare_text,
    sample_text,
)

# A few sentences per language, written for these tests: every language of the demo corpus.
PARAGRAPHS = {
    "en": "The village library opens at nine every morning, and children come after school to borrow books "
    "about animals, space and faraway countries.",
    "de": "Die Bibliothek im Dorf öffnet jeden Morgen um neun Uhr, und nach der Schule kommen die Kinder, "
    "um Bücher über Tiere und ferne Länder auszuleihen.",
    "fr": "La bibliothèque du village ouvre chaque matin à neuf heures, et les enfants viennent après l'école "
    "emprunter des livres sur les animaux et les pays lointains.",
    "es": "La biblioteca del pueblo abre cada mañana a las nueve, y los niños vienen después de la escuela "
    "a pedir prestados libros sobre animales y países lejanos.",
    "ru": "Деревенская библиотека открывается каждое утро в девять часов, и после школы дети приходят "
    "брать книги о животных, космосе и далёких странах.",
    "zh": "村里的图书馆每天早上九点开门，孩子们放学后会来借关于动物、太空和遥远国家的书。",
    "ja": "村の図書館は毎朝九時に開き、子どもたちは放課後に動物や宇宙、遠い国についての本を借りに来ます。",
    "ko": "마을 도서관은 매일 아침 아홉 시에 문을 열고, 아이들은 방과 후에 동물과 우주, 먼 나라에 관한 책을 빌리러 옵니다.",
    "th": "ห้องสมุดของหมู่บ้านเปิดทุกเช้าเวลาเก้าโมง และเด็ก ๆ "
    "จะมายืมหนังสือเกี่ยวกับสัตว์และดินแดนที่ห่างไกลหลังเลิกเรียน",
    "ar": "تفتح مكتبة القرية أبوابها كل صباح في الساعة التاسعة، ويأتي الأطفال بعد المدرسة لاستعارة كتب عن "
    "الحيوانات والفضاء والبلدان البعيدة.",
    "hi": "गाँव का पुस्तकालय हर सुबह नौ बजे खुलता है, और बच्चे स्कूल के बाद जानवरों, अंतरिक्ष और दूर के "
    "देशों के बारे में किताबें लेने आते हैं।",
    "pt": "A biblioteca da aldeia abre todas as manhãs às nove horas, e as crianças vêm depois da escola "
    "pedir emprestados livros sobre animais e países distantes.",
    "it": "La biblioteca del paese apre ogni mattina alle nove, e i bambini vengono dopo la scuola a "
    "prendere in prestito libri sugli animali e sui paesi lontani.",
    "tr": "Köy kütüphanesi her sabah saat dokuzda açılır ve çocuklar okuldan sonra hayvanlar, uzay ve "
    "uzak ülkeler hakkında kitap ödünç almaya gelir.",
    "vi": "Thư viện của làng mở cửa lúc chín giờ mỗi sáng, và trẻ em đến sau giờ học để mượn sách về "
    "động vật, vũ trụ và những đất nước xa xôi.",
    "id": "Perpustakaan desa dibuka setiap pagi pukul sembilan, dan anak-anak datang sepulang sekolah untuk "
    "meminjam buku tentang hewan, luar angkasa, dan negeri-negeri yang jauh.",
    "pl": "Wiejska biblioteka jest otwierana każdego ranka o dziewiątej, a dzieci przychodzą po szkole, "
    "żeby wypożyczać książki o zwierzętach, kosmosie i dalekich krajach.",
    "sw": "Maktaba ya kijiji hufunguliwa kila asubuhi saa tatu, na watoto huja baada ya shule kuazima "
    "vitabu kuhusu wanyama, anga na nchi za mbali.",
}


@pytest.fixture(scope="module")
def model():
    return load_model("bundled")


@pytest.fixture(scope="module")
def identifier(model):
    return LanguageIdentifier(model, top_k=3)


def doc(text, id="d", lang="und"):
    return Doc(id=id, text=text, source="web", lang=lang)


# ---------------------------------------------------------------------------- model loading


def test_bundled_model_found():
    assert bundled_model_path().endswith("lid.176.ftz")


def test_missing_model_gives_clear_error(tmp_path):
    missing = str(tmp_path / "nope" / "lid.bin")
    with pytest.raises(LangIdModelError) as info:
        load_model(missing)
    assert missing in str(info.value) and "no such file" in str(info.value)
    with pytest.raises(LangIdModelError):
        LanguageIdentifier(missing)
    with pytest.raises(LangIdModelError) as info:
        check_model(LangIdConfig(model=missing))
    assert missing in str(info.value)


def test_garbage_model_gives_clear_error(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"this is not a fastText model at all" * 10)
    with pytest.raises(LangIdModelError) as info:
        load_model(str(bad))
    assert str(bad) in str(info.value) and "not a fastText model" in str(info.value)


def test_unknown_remote_scheme_gives_clear_error():
    with pytest.raises(LangIdModelError) as info:
        check_model(LangIdConfig(model="nosuchfs://bucket/lid.176.bin"))
    assert "nosuchfs://bucket/lid.176.bin" in str(info.value)


def test_remote_model_is_copied_locally(tmp_path, monkeypatch):
    """A model on an object store (a test FileSystem with gs://-like semantics) is copied and loaded."""
    import shutil

    from objectstore_fs import ObjectStoreFileSystem

    (tmp_path / "bkt" / "models").mkdir(parents=True)
    shutil.copy(bundled_model_path(), tmp_path / "bkt" / "models" / "lid.176.ftz")
    monkeypatch.setattr(ObjectStoreFileSystem, "root", str(tmp_path))
    url = "mixturetest://bkt/models/lid.176.ftz"
    identifier = LanguageIdentifier(url)
    assert identifier.predict_one(PARAGRAPHS["de"]).lang == "de"
    assert check_model(LangIdConfig(model=url)) == url
    with pytest.raises(LangIdModelError, match="no such file") as info:
        load_model("mixturetest://bkt/models/other.bin")
    assert "mixturetest://bkt/models/other.bin" in str(info.value)
    with pytest.raises(LangIdModelError, match="no such file"):
        check_model(LangIdConfig(model="mixturetest://bkt/models/other.bin"))


def test_check_model():
    assert check_model(LangIdConfig()) == bundled_model_path()
    assert check_model(LangIdConfig(enabled=False, model="/does/not/exist")) is None
    config = Config(name="t", sources=[{"name": "web", "paths": ["x.jsonl"]}])
    assert check_model(config) == bundled_model_path()


def test_labels(identifier):
    labels = identifier.labels()
    assert len(labels) == 176  # every lid.176 label is a distinct product code
    assert {"en", "zh", "ja", "gsw", "egl", "sr-Latn", "fil"} <= set(labels)
    assert "und" not in labels


def test_label_to_lang():
    assert label_to_lang("__label__en") == "en"
    assert label_to_lang("__label__eng_Latn") == "en"
    assert label_to_lang("__label__cmn_Hani") == "zh"
    assert label_to_lang("__label__als") == "gsw"  # lid.176's Wikipedia code for Alemannic
    assert label_to_lang("__label__als_Latn") == "sq"  # GlotLID's Tosk Albanian
    assert label_to_lang("__label__eml") == "egl"  # a retired ISO code
    assert label_to_lang("__label__sh") == "sr-Latn"
    assert label_to_lang("__label__positive") == "und"


# ---------------------------------------------------------------------------- text preparation


def test_short_text_is_used_whole():
    assert sample_text("short text", 2000, 4) == "short text"
    line = prepare_text("line one\nline two\r\n\n\tline three  ")
    assert "\n" not in line and line.split() == ["line", "one", "line", "two", "line", "three"]
    # Unicode spaces fastText does not know become plain spaces
    assert prepare_text("a\u3000b\u00a0c\u2028d\u0085e") == "a b c d e"
    assert prepare_text("") == ""


def test_all_capitals_are_lowercased():
    assert prepare_text("THIS IS LOUD\nTEXT") == "this is loud text"
    assert prepare_text("ГРОМКО 大声") == "громко 大声"
    assert prepare_text("Mixed Case TEXT") == "Mixed Case TEXT"


def test_long_text_sample_is_bounded_and_spread():
    words = [f"w{i:05d}" for i in range(20_000)]
    text = "\n".join(words)
    line = prepare_text(text, 2000, 4)
    assert len(line) <= 2000
    assert "\n" not in line
    pieces = line.split()
    assert pieces[0] == "w00000"
    assert pieces[-1] == "w19999"
    assert all(len(p) == 6 for p in pieces)  # no partial words at window edges
    middle = [int(p[1:]) for p in pieces]
    assert any(5000 < i < 15000 for i in middle)


def test_sample_of_spaceless_text_is_bounded():
    text = PARAGRAPHS["zh"] * 200
    line = prepare_text(text, 2000, 4)
    assert 1900 <= len(line) <= 2003


def test_sample_windows_one_and_off():
    text = "abc " * 1000
    assert len(sample_text(text, 100, 1)) <= 100
    assert sample_text(text, 0, 4) == text


# ---------------------------------------------------------------------------- prediction


@pytest.mark.parametrize("lang", sorted(PARAGRAPHS))
def test_each_language_is_identified(identifier, lang):
    prediction = identifier.predict_one(PARAGRAPHS[lang])
    assert prediction.lang == lang
    # the compressed lid.176.ftz is right but unsure about Swahili
    assert prediction.score >= (0.3 if lang == "sw" else 0.5)


def test_scripts_are_set(identifier):
    assert identifier.predict_one(PARAGRAPHS["ja"]).script == "Jpan"
    assert identifier.predict_one(PARAGRAPHS["ko"]).script == "Kore"
    assert identifier.predict_one(PARAGRAPHS["zh"]).script == "Hani"
    assert identifier.predict_one(PARAGRAPHS["th"]).script == "Thai"
    assert identifier.predict_one(PARAGRAPHS["ar"]).script == "Arab"


def test_script_subtag_for_unusual_script(identifier, model):
    latin_serbian = "Ovo je rečenica na srpskom jeziku, napisana latinicom. Grad Beograd je glavni grad Srbije."
    cyrillic_serbian = "Ово је реченица на српском језику, написана ћирилицом. Град Београд је главни град Србије."
    assert identifier.predict_one(cyrillic_serbian).lang == "sr"
    latin = identifier.predict_one(latin_serbian)
    assert latin.lang in {"sr-Latn", "hr", "bs"}  # the known bs/hr/sr weak spot
    plain = LanguageIdentifier(model, script_subtag=False)
    assert "-" not in plain.predict_one(latin_serbian).lang


def test_top_k(identifier):
    prediction = identifier.predict_one(PARAGRAPHS["de"])
    assert 1 <= len(prediction.topk) <= 3
    assert prediction.topk[0] == ("de", prediction.score)
    scores = [s for _, s in prediction.topk]
    assert scores == sorted(scores, reverse=True)
    assert len({c for c, _ in prediction.topk}) == len(prediction.topk)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", "😀😀😀🎉", "12345 678", "!!! ??? ...", "👍🏽❤️🇫🇷"])
def test_text_without_letters_is_undetermined(identifier, text):
    prediction = identifier.predict_one(text)
    assert prediction == LangPrediction("und", 0.0, "Zyyy")
    assert not prediction.has_letters


def test_emoji_around_text(identifier):
    assert identifier.predict_one("🎉🎉 " + PARAGRAPHS["fr"] + " 😀😀").lang == "fr"


def test_many_newlines(identifier):
    text = "\n\n".join(PARAGRAPHS["es"].split()) + "\n" * 500
    assert identifier.predict_one(text).lang == "es"


def test_code_gets_a_low_score(identifier):
    code = "def main(argv):\n    for i in range(10):\n        print(i, argv[i])\n    return 0\n"
    prediction = identifier.predict_one(code)
    assert prediction.score < 0.5


def test_short_text(identifier):
    prediction = identifier.predict_one("ok")
    assert prediction.lang != "und" and 0.0 < prediction.score <= 1.0


def test_mixed_script_text(identifier):
    mixed = PARAGRAPHS["ru"] + " " + "Hello and welcome."
    assert identifier.predict_one(mixed).lang == "ru"
    assert identifier.predict_one(PARAGRAPHS["en"] + " 你好").lang == "en"


def test_lone_surrogates_do_not_crash(identifier):
    prediction = identifier.predict_one("Das ist ein Satz \ud800 auf Deutsch, ganz sicher.")
    assert prediction.lang == "de"


def test_long_document_sampling_agrees_and_is_bounded(model):
    long_doc = "\n".join(PARAGRAPHS["it"] for _ in range(300))
    sampled = LanguageIdentifier(model, sample_chars=2000)
    whole = LanguageIdentifier(model, sample_chars=0)
    a, b = sampled.predict_one(long_doc), whole.predict_one(long_doc)
    assert a.lang == b.lang == "it"
    assert a.sampled and not b.sampled


def test_long_mixed_document_sees_its_end(model):
    # the start alone is English; the spread windows see that most of it is German
    text = PARAGRAPHS["en"] + "\n" + "\n".join([PARAGRAPHS["de"]] * 100)
    assert LanguageIdentifier(model, sample_chars=300, sample_windows=2).predict_one(text).lang == "de"


def test_huge_document(identifier):
    text = PARAGRAPHS["pt"] * 20_000  # ~2.7 M characters
    assert identifier.predict_one(text).lang == "pt"


def test_batch_predict_keeps_order(identifier):
    langs = sorted(PARAGRAPHS)
    predictions = identifier.predict([PARAGRAPHS[lang] for lang in langs])
    assert [p.lang for p in predictions] == langs


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_crashes(identifier, text):
    prediction = identifier.predict_one(text)
    assert 0.0 <= prediction.score <= 1.0
    assert isinstance(prediction.lang, str) and prediction.lang


# ---------------------------------------------------------------------------- decisions


def prediction(lang, score, script="Latn", topk=None):
    return LangPrediction(lang, score, script, topk or ((lang, score),))


def test_threshold_keeps_as_und_by_default():
    section = LangIdConfig(min_score=0.5)
    stats = Counter()
    result = decide(doc("x"), prediction("en", 0.4), section, stats)
    assert isinstance(result, Doc)
    assert (result.lang, result.lang_score, result.script) == ("und", 0.4, "Latn")
    assert stats["langid/low_score/en"] == 1
    assert stats["langid/kept/und"] == 1
    assert stats["langid/predicted/en"] == 1


def test_threshold_drop():
    section = LangIdConfig(min_score=0.5, on_low_score="drop")
    stats = Counter()
    result = decide(doc("x"), prediction("en", 0.4), section, stats)
    assert isinstance(result, Dropped)
    assert result.reason == "langid:low_score"
    assert result.doc.lang == "en" and result.doc.lang_score == 0.4
    assert stats["langid/dropped/low_score/en"] == 1
    kept = decide(doc("x"), prediction("en", 0.5), section, stats)
    assert isinstance(kept, Doc) and kept.lang == "en"


def test_no_letters_reason():
    stats = Counter()
    empty = LangPrediction("und", 0.0, "Zyyy")
    dropped = decide(doc(""), empty, LangIdConfig(on_low_score="drop"), stats)
    assert isinstance(dropped, Dropped) and dropped.reason == "langid:no_letters"
    kept = decide(doc(""), empty, LangIdConfig(on_low_score="und"), stats)
    assert isinstance(kept, Doc) and kept.lang == "und" and kept.script == "Zyyy"
    assert stats["langid/no_letters"] == 2


def test_per_language_threshold_and_base_language_fallback():
    section = LangIdConfig(min_score=0.5, per_language={"zh-Hans": 0.8, "sr": 0.9}, on_low_score="drop")
    assert section.per_language == {"sr": 0.9, "zh": 0.8}
    assert isinstance(decide(doc("x"), prediction("zh", 0.75, "Hani"), section, Counter()), Dropped)
    assert isinstance(decide(doc("x"), prediction("zh", 0.85, "Hani"), section, Counter()), Doc)
    assert isinstance(decide(doc("x"), prediction("sr-Latn", 0.85), section, Counter()), Dropped)
    assert isinstance(decide(doc("x"), prediction("en", 0.55), section, Counter()), Doc)
    assert section.threshold_for("sr-Latn") == 0.9
    assert section.threshold_for("de") == 0.5


def test_keep_and_drop_languages():
    keep = LangIdConfig(keep_languages=["eng", "sr"])
    assert keep.keep_languages == ["en", "sr"]
    assert isinstance(decide(doc("x"), prediction("en", 0.9), keep, Counter()), Doc)
    assert isinstance(decide(doc("x"), prediction("sr-Latn", 0.9), keep, Counter()), Doc)
    stats = Counter()
    dropped = decide(doc("x"), prediction("de", 0.9), keep, stats)
    assert isinstance(dropped, Dropped) and dropped.reason == "langid:not_kept_language"
    assert stats["langid/dropped/not_kept_language/de"] == 1
    # low-score documents become und, which is only kept when listed
    assert isinstance(decide(doc("x"), prediction("en", 0.1), keep, Counter()), Dropped)
    keep_und = LangIdConfig(keep_languages=["en", "und"])
    assert decide(doc("x"), prediction("en", 0.1), keep_und, Counter()).lang == "und"

    drop = LangIdConfig(drop_languages=["zh_CN"])
    result = decide(doc("x"), prediction("zh-Hant", 0.9, "Hani"), drop, Counter())
    assert isinstance(result, Dropped) and result.reason == "langid:dropped_language"
    assert isinstance(decide(doc("x"), prediction("ja", 0.9, "Jpan"), drop, Counter()), Doc)


def test_topk_metadata():
    topk = (("de", 0.7), ("nl", 0.2), ("en", 0.05))
    section = LangIdConfig(top_k=2)
    result = decide(doc("x"), prediction("de", 0.7, topk=topk), section, Counter())
    assert result.metadata["lang_topk"] == [["de", 0.7], ["nl", 0.2]]
    assert "lang_topk" not in decide(doc("x"), prediction("de", 0.7, topk=topk), LangIdConfig(), Counter()).metadata


def test_stats_keys_and_histogram():
    stats = Counter()
    decide(doc("héllo"), prediction("fr", 0.93), LangIdConfig(), stats)
    decide(doc("x"), prediction("fr", 1.0), LangIdConfig(), stats)
    decide(doc("x"), prediction("de", 0.2), LangIdConfig(), stats)
    assert stats == Counter({
        "langid/docs": 3, "langid/predicted/fr": 2, "langid/predicted/de": 1,
        "langid/score_hist/fr/0.9": 2, "langid/score_hist/de/0.2": 1,
        "langid/low_score/de": 1, "langid/kept/fr": 2, "langid/kept/und": 1,
    })


def test_identify_batch(identifier):
    docs = [doc(PARAGRAPHS["en"], "a"), doc("", "b"), doc(PARAGRAPHS["ko"], "c")]
    results, stats = identify_batch(identifier, LangIdConfig(on_low_score="drop", top_k=2), docs)
    assert [type(r).__name__ for r in results] == ["Doc", "Dropped", "Doc"]
    assert results[0].lang == "en" and results[2].lang == "ko" and results[2].script == "Kore"
    assert len(results[0].metadata["lang_topk"]) <= 2
    assert stats["langid/docs"] == 3


# ---------------------------------------------------------------------------- config


def test_config_defaults_and_validation():
    section = LangIdConfig()
    assert (section.model, section.min_score, section.on_low_score, section.top_k) == ("bundled", 0.5, "und", 0)
    with pytest.raises(ValidationError, match="not a known language code"):
        LangIdConfig(per_language={"xx": 0.5})
    with pytest.raises(ValidationError):
        LangIdConfig(per_language={"en": 1.5})
    with pytest.raises(ValidationError, match="both keep_languages and drop_languages"):
        LangIdConfig(keep_languages=["en"], drop_languages=["eng"])
    with pytest.raises(ValidationError):
        LangIdConfig(on_low_score="delete")
    with pytest.raises(ValidationError):
        LangIdConfig(threshold=0.3)
    assert LangIdConfig(keep_languages=["zh", "cmn", "zho"]).keep_languages == ["zh"]
    for name, field in LangIdConfig.model_fields.items():
        if name != "enabled":
            assert field.description, name


# ---------------------------------------------------------------------------- Beam


def _config(**langid_options):
    return Config(name="t", sources=[{"name": "web", "paths": ["x.jsonl"]}], langid=langid_options)


def test_transform(beam_pipeline):
    docs = [doc(PARAGRAPHS[lang], id=lang) for lang in ("en", "ja", "th", "ar")]
    docs += [doc("😀😀", id="emoji"), doc("def f(x):\n    return x\n", id="code")]
    with beam_pipeline as p:
        result = p | beam.Create(docs) | LanguageId(_config(on_low_score="drop", top_k=2).langid)
        kept = result["kept"] | "KeptKeys" >> beam.Map(
            lambda d: (d.id, d.lang, d.script, len(d.metadata["lang_topk"]) > 0))
        dropped = result["dropped"] | "DroppedKeys" >> beam.Map(lambda d: (d.doc.id, d.reason))
        stats = result["stats"] | beam.CombinePerKey(sum)
        assert_that(
            kept,
            equal_to([("en", "en", "Latn", True), ("ja", "ja", "Jpan", True), ("th", "th", "Thai", True),
                      ("ar", "ar", "Arab", True)]),
            label="kept",
        )
        assert_that(dropped, equal_to([("emoji", "langid:no_letters"), ("code", "langid:low_score")]), label="dropped")
        selected = stats | beam.Filter(lambda kv: kv[0] in ("langid/docs", "langid/kept/ja", "langid/no_letters"))
        assert_that(selected, equal_to([("langid/docs", 6), ("langid/kept/ja", 1), ("langid/no_letters", 1)]),
                    label="stats")


def test_transform_keeps_low_score_as_und(beam_pipeline):
    docs = [doc("def f(x):\n    return x\n", id="code"), doc(PARAGRAPHS["de"], id="de")]
    with beam_pipeline as p:
        result = p | beam.Create(docs) | LanguageId(_config(batch_size=1).langid)
        kept = result["kept"] | beam.Map(lambda d: (d.id, d.lang))
        assert_that(kept, equal_to([("code", "und"), ("de", "de")]), label="kept")
        assert_that(result["dropped"], equal_to([]), label="dropped")


def test_transform_disabled_only_sets_script(beam_pipeline):
    docs = [doc(PARAGRAPHS["ko"], id="ko", lang="ko"), doc(PARAGRAPHS["en"], id="en")]
    with beam_pipeline as p:
        result = p | beam.Create(docs) | LanguageId(_config(enabled=False).langid)
        kept = result["kept"] | beam.Map(lambda d: (d.id, d.lang, d.script))
        assert_that(kept, equal_to([("ko", "ko", "Kore"), ("en", "und", "Latn")]), label="kept")
        assert_that(result["dropped"], equal_to([]), label="dropped")
        assert_that(result["stats"], equal_to([]), label="stats")


def test_transform_bad_model_fails_clearly(beam_pipeline, tmp_path):
    missing = str(tmp_path / "missing.bin")
    with pytest.raises(Exception) as info:
        with beam_pipeline as p:
            _ = p | beam.Create([doc("hello")]) | LanguageId(_config(model=missing).langid)
    assert missing in str(info.value)


def test_module_core_has_no_beam_calls_in_decide():
    # the decision core works on plain objects: a smoke test without any pipeline
    assert langid.STAGE == "langid"
    assert isinstance(decide(doc("x"), prediction("en", 0.9), LangIdConfig(), Counter()), Doc)


# ---------------------------------------------------------------------------- accuracy tool


def _bench_module():
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "bench_langid.py")
    spec = importlib.util.spec_from_file_location("bench_langid", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accuracy_tool(tmp_path, capsys):
    import json

    rows = [
        {"text": PARAGRAPHS["de"], "lang": "deu"},
        {"text": PARAGRAPHS["zh"], "lang": "zh_CN"},
        {"text": PARAGRAPHS["pt"], "lang": "pt_BR"},
        {"text": PARAGRAPHS["en"], "lang": "fr"},  # a wrong gold label: a confusion
        {"text": "Ekyo kye kigambo kya Luganda ekiwandiikiddwa wano.", "lang": "lg"},  # unsupported by lid.176
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    bench = _bench_module()
    assert bench.accuracy_main([str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["evaluated"] == 4 and result["accuracy"] == 0.75
    assert result["unsupported"]["documents"] == 1 and result["unsupported"]["languages"] == {"lg": 1}
    assert result["confusions"] == [{"pair": "fr->en", "count": 1}]
    assert set(result["per_language"]) == {"de", "fr", "pt", "zh"}
    assert result["per_language"]["de"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert 0.0 <= result["macro_f1"] <= 1.0


def test_unicode_space_class_is_complete():
    from pipeline.stages.langid_core import _UNICODE_SPACE

    fasttext_spaces = set(" \t\v\f\r\n")
    python_spaces = {chr(i) for i in range(0x110000) if chr(i).isspace()}
    assert {c for c in python_spaces - fasttext_spaces if not _UNICODE_SPACE.match(c)} == set()


def test_transform_counters(beam_pipeline):
    from apache_beam.metrics.metric import MetricsFilter

    docs = [doc(PARAGRAPHS["en"], id="a"), doc(PARAGRAPHS["en"], id="b"), doc("", id="c")]
    p = beam_pipeline
    _ = p | beam.Create(docs) | LanguageId(_config(on_low_score="drop").langid)
    result = p.run()
    result.wait_until_finish()
    counters = {
        m.key.metric.name: m.committed
        for m in result.metrics().query(MetricsFilter().with_namespace("mixture"))["counters"]
    }
    assert counters["langid/kept"] == 2
    assert counters["langid/lang/en"] == 2
    assert counters["langid/dropped"] == 1
    assert counters["langid/dropped/no_letters"] == 1


class _FakeModel:
    """Stands in for a fastText model whose labels are not languages (e.g. a sentiment model)."""

    class _F:
        def predict(self, line, k, threshold, on_unicode_error):
            return [(0.7, "__label__positive"), (0.3, "__label__negative")]

    f = _F()


def test_non_language_model_is_refused():
    from pipeline.stages.langid import check_labels

    with pytest.raises(LangIdModelError, match="not language codes"):
        check_labels(_FakeModel(), "/models/sentiment.bin")


def test_unknown_labels_become_und():
    identifier = LanguageIdentifier(_FakeModel(), top_k=2)
    prediction = identifier.predict_one("some text")
    assert prediction.lang == "und" and prediction.score == 0.7
    assert prediction.topk == (("und", 0.7),)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=0, max_value=500), st.integers(min_value=1, max_value=8))
def test_sample_text_is_bounded(text, max_chars, windows):
    sample = sample_text(text, max_chars, windows)
    if max_chars == 0 or len(text) <= max_chars:
        assert sample == text
    else:
        assert len(sample) <= max_chars + windows
    assert "\n" not in prepare_text(text, max_chars, windows)


# ---------------------------------------------------------------------------- mixed scripts

ARROW = "ArrowButton - 带有一个箭头形状的按钮组件。"
ARROW_HANT = "ArrowButton - 帶有一個箭頭形狀的按鈕組件。"
# Tai Tham (Northern Thai), Cherokee and Yi: scripts lid.176 has no language of
TAI_THAM = "ᨠᩣ᩠ᨶᨾᩮᩥᨦ ᨽᩣᩈᩣ ᨲᩱ᩠ᨿ ᨣᩤ᩠ᨾᨦᩣ᩠ᨿ"
CHEROKEE = "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ ᎠᏂᏴᏫ ᏂᎦᏓ"
YI = "ꆈꌠꁱꂷ ꀉꂿ ꌠꅉ"


def test_chinese_with_identifiers_is_zh_never_zh_latn(identifier):
    page = ARROW + "\n\n使用 `ArrowButton(direction='left', onClick=handler)` 创建按钮，direction 可选 left、right、up、down。"
    for text in (ARROW, page):
        prediction = identifier.predict_one(text)
        assert (prediction.lang, prediction.script) == ("zh", "Hani")


def test_traditional_chinese_switch(model):
    assert LanguageIdentifier(model).predict_one(ARROW_HANT).lang == "zh"
    variants = LanguageIdentifier(model, chinese_variants=True)
    assert variants.predict_one(ARROW_HANT).lang == "zh-Hant"
    assert variants.predict_one(ARROW).lang == "zh"
    assert LangIdConfig(chinese_variants=True).chinese_variants is True


@pytest.mark.parametrize("text,label", [(TAI_THAM, "ko"), (CHEROKEE, "en"), (YI, "hy")])
def test_unknown_script_is_a_script_mismatch(identifier, text, label):
    prediction = identifier.predict_one(text)
    assert prediction.script_mismatch
    assert prediction.lang == "und"
    assert prediction.topk[0][0] == label
    stats = Counter()
    dropped = decide(doc(text), prediction, LangIdConfig(on_low_score="drop"), stats)
    assert isinstance(dropped, Dropped) and dropped.reason == "langid:script_mismatch"
    assert dropped.doc.lang == label
    assert stats[f"langid/script_mismatch/{label}"] == 1
    assert stats[f"langid/dropped/script_mismatch/{label}"] == 1
    kept = decide(doc(text), prediction, LangIdConfig(), Counter())
    assert isinstance(kept, Doc) and kept.lang == "und"
    off = LanguageIdentifier(identifier._model, script_check=False).predict_one(text)
    assert not off.script_mismatch and off.lang == label


def test_related_language_in_its_script_is_not_a_mismatch(identifier):
    prediction = identifier.predict_one(PARAGRAPHS["zh"])
    assert not prediction.script_mismatch
    assert identifier.predict_one(PARAGRAPHS["ja"]).lang == "ja"


def test_user_codes_and_model_codes_meet(model):
    norwegian = ("Biblioteket i bygda åpner klokka ni hver morgen, og etter skolen kommer barna for å låne "
                 "bøker om dyr, verdensrommet og fjerne land.")
    prediction = LanguageIdentifier(model).predict_one(norwegian)
    assert prediction.lang == "no"
    for written in ("nb", "no", "nob"):
        assert isinstance(decide(doc(norwegian), prediction, LangIdConfig(keep_languages=[written]), Counter()), Doc)
    assert LangIdConfig(keep_languages=["zlm", "tl"]).keep_languages == ["ms", "fil"]


# --- declared language as a prior (langid.hint_fields / hint_weight)


def test_declared_language_reads_the_first_field_that_names_a_language():
    from pipeline.stages.langid_core import declared_language

    assert declared_language({"html_lang": "", "content_language": "de-CH, fr"}, ["html_lang", "content_language"]) == "de"
    assert declared_language({"html_lang": "zh-TW"}, ["html_lang"]) == "zh-Hant"
    assert declared_language({"html_lang": "not a language!"}, ["html_lang"]) is None
    assert declared_language({"title": "en"}, ["html_lang"]) is None


def test_a_declared_language_is_weighed_by_bayes_rule(model):
    identifier = LanguageIdentifier(model, top_k=3, hint_weight=10.0)
    plain = identifier.predict_one("Enter new password")
    hinted = identifier.predict_one("Enter new password", hint="en")
    assert plain.lang == "en" and plain.score < 0.5  # a short UI string: the model is unsure
    p_en = plain.topk[0][1]
    # the model's own probability of the declared language, times 10, renormalised over
    # the listed labels plus the mass of the labels not listed
    raw = identifier._raw_predict(prepare_text("Enter new password"), 10)
    rest = 1.0 - sum(prob for prob, _ in raw)
    expected = round(10 * raw[0][0] / (10 * raw[0][0] + sum(prob for prob, _ in raw[1:]) + rest), 4)
    assert hinted.lang == "en"
    assert hinted.score == expected
    assert hinted.score > 0.5 > p_en


def test_a_declared_language_does_not_override_a_confident_prediction(identifier):
    prediction = identifier.predict_one(PARAGRAPHS["fr"], hint="de")
    assert prediction.lang == "fr"
    assert prediction.score >= 0.9


def test_traditional_chinese_declared_boosts_the_models_chinese_label(model):
    identifier = LanguageIdentifier(model, top_k=3)
    text = "設定"  # "settings": two Han characters, which the model alone calls Japanese
    assert identifier.predict_one(text).lang == "ja"
    assert identifier.predict_one(text, hint="zh-Hant").lang == "zh"


def test_hint_fields_reach_the_stage_from_document_metadata(model):
    section = LangIdConfig(hint_fields=["html_lang"], min_score=0.5)
    identifier = LanguageIdentifier.from_config(section, model)
    docs = [Doc(id="a", text="Enter new password", source="web", metadata={"html_lang": "en-GB"}),
            Doc(id="b", text="Enter new password", source="web")]
    results, _ = identify_batch(identifier, section, docs)
    assert [(doc.id, doc.lang) for doc in results] == [("a", "en"), ("b", "und")]
