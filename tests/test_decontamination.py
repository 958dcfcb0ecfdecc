"""Benchmark decontamination: the core (units, index, matching, masking), then the Beam stage."""

import json

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import ConfigError, parse_config
from pipeline.config.decontamination import DecontaminationConfig, EvalSourceConfig
from pipeline.records import Doc, Dropped
from pipeline.stages.decontamination import EvalFileError, read_eval_file
from pipeline.stages.decontamination_core import (EvalIndex, EvalItem, Matcher, build_index, find_overlaps,
                                                  ngram_hashes, summarize_matches, units, windows)

QUESTION = ("Which river flows through the old town of Regensburg before it reaches the Black Sea after "
            "crossing ten countries of central and eastern Europe")
OTHER = ("A train leaves the station at nine in the morning and travels north at a steady speed of eighty "
         "kilometres per hour until it stops")
CLEAN = ("The kettle boiled while the cat slept on the mat, and nobody in the house noticed the rain that "
         "started falling on the garden outside the kitchen window")


def index_of(*texts, n=13, max_items=10, stop=()):
    return build_index([EvalItem("quiz", str(i), [t]) for i, t in enumerate(texts, 1)], n, max_items, stop)


def test_units_ignore_case_punctuation_whitespace_and_compatibility_forms():
    assert units("Hello, WORLD!  ＡＢＣ\n don't")[0] == ["hello", "world", "abc", "dont"]
    assert units("hello world abc dont")[0] == ["hello", "world", "abc", "dont"]
    text = "Der Fluß. 東京タワー"
    got, spans = units(text)
    assert got == ["der", "fluss", "東", "京", "タ", "ワ", "ー"]  # spaceless scripts: one unit per character
    assert [text[a:b] for a, b in spans] == ["Der", "Fluß.", "東", "京", "タ", "ワ", "ー"]


def test_ngram_hashes_are_positional_and_deterministic():
    words = "a b c d e f".split()
    starts, ends, h = ngram_hashes(words, 3)
    assert starts.tolist() == [0, 1, 2, 3] and ends.tolist() == [3, 4, 5, 6] and len(set(h.tolist())) == 4
    assert ngram_hashes("x c d e y".split(), 3)[2][1] == h[2]  # "c d e" hashes the same anywhere
    assert ngram_hashes("a b".split(), 3)[2].tolist() == []


def test_spaceless_characters_make_longer_ngrams_than_words():
    # n=3 words or 6 characters; in mixed text a character weighs half a word
    got = units("ab cd 東京タワーは高い ef")[0]
    assert got == ["ab", "cd", "東", "京", "タ", "ワ", "ー", "は", "高", "い", "ef"]
    starts, ends = windows(got, 3, 6)
    assert list(zip(starts.tolist(), ends.tolist())) == [
        (0, 4), (1, 6), (2, 8), (3, 9), (4, 10), (5, 11), (6, 11)]
    # the same characters hash the same inside other text
    h = dict(zip(zip(starts.tolist(), ends.tolist()), ngram_hashes(got, 3, 6)[2].tolist()))
    other = units("東京タワーは高い")[0]
    assert ngram_hashes(other, 3, 6)[2].tolist() == [h[(2, 8)], h[(3, 9)], h[(4, 10)]]


def test_a_whole_passage_is_found_with_its_character_span():
    index = index_of(QUESTION, OTHER)
    text = f"{CLEAN}\n\n{QUESTION.upper()}?\n\n{CLEAN}"
    result, stats, audit = Matcher(index, "drop")(Doc(id="d1", text=text, source="web", lang="en", tokens=90))
    assert isinstance(result, Dropped) and result.reason == "decontamination:overlap"
    assert result.doc.metadata["decontamination"] == {"items": [["quiz", "1", 12]]}  # 24 words -> 12 13-grams
    [record] = audit
    start = text.index(QUESTION.upper())
    assert record["spans"] == [[start, start + len(QUESTION) + 1]]  # the trailing "?" belongs to the last word
    assert (record["doc_id"], record["file"], record["item"], record["ngrams"], record["item_fraction"]) == (
        "d1", "quiz", "1", 12, 1.0)
    assert ("decontamination/file/quiz/en/docs", 1) in stats and ("decontamination/drop/web/en/tokens", 90) in stats


def test_clean_text_and_a_shorter_overlap_than_n_pass():
    index = index_of(QUESTION)
    twelve = " ".join(QUESTION.split()[:12])
    for text in (CLEAN, f"{CLEAN} {twelve}. {OTHER}"):
        doc = Doc(id="c", text=text, source="web")
        assert Matcher(index)(doc) == (doc, [], [])


def test_thresholds_on_matched_ngrams_and_item_fraction():
    index = index_of(QUESTION)
    half = " ".join(QUESTION.split()[:15])  # 3 of the item's 12 n-grams
    assert [o.ngrams for o in find_overlaps(index, units(half)[0], 1, 0.0)] == [3]
    assert find_overlaps(index, units(half)[0], 4, 0.0) == []
    assert find_overlaps(index, units(half)[0], 1, 0.3) == []
    assert [o.fraction for o in find_overlaps(index, units(half)[0], 1, 0.25)] == [0.25]


def test_common_ngrams_and_stop_phrases_are_not_indexed():
    shared = "this program is free software you can redistribute it and or modify it under the terms"
    items = [f"{shared} item {i} talks about something else entirely" for i in range(3)]
    index = index_of(*items, max_items=2)
    assert index.stats["common_ngrams_removed"] == len(units(shared)[0]) - 13 + 1 + 1  # also "... terms item"
    assert find_overlaps(index, units(shared)[0], 1, 0.0) == []
    assert [o.item for o in find_overlaps(index, units(items[1])[0], 1, 0.0)] == [1]
    stopped = index_of(QUESTION, stop=[" ".join(QUESTION.split()[:14])])
    assert stopped.stats["stop_ngrams_removed"] == 2 and stopped.item_ngrams.tolist() == [10]


def test_items_shorter_than_n_are_counted_and_never_match():
    index = index_of("too short to index", QUESTION)
    assert index.stats["items_too_short"] == 1 and index.item_ngrams.tolist() == [0, 12]


def test_mask_replaces_the_overlap_plus_margin_and_recounts_tokens():
    index = index_of(QUESTION)
    text = f"Intro words here. {QUESTION} and then the tail goes on here"
    matcher = Matcher(index, "mask", margin=2, placeholder="[EVAL]", recount=lambda t, _s: len(t.split()))
    result, _, audit = matcher(Doc(id="m", text=text, source="web", tokens=40))
    assert isinstance(result, Doc)
    assert result.text == "Intro [EVAL] the tail goes on here"
    assert result.tokens == 7
    assert result.metadata["decontamination"]["masked_chars"] == len(f"words here. {QUESTION} and then")
    assert audit[0]["action"] == "mask"


def test_mask_of_a_whole_document_drops_it():
    result, _, _ = Matcher(index_of(QUESTION), "mask")(Doc(id="m", text=QUESTION, source="web"))
    assert isinstance(result, Dropped) and result.reason == "decontamination:empty_after_mask"


def test_mark_keeps_the_document_and_records_the_items():
    result, _, _ = Matcher(index_of(OTHER, QUESTION), "mark")(Doc(id="k", text=f"{QUESTION} {OTHER}", source="web"))
    assert result.text == f"{QUESTION} {OTHER}"
    assert result.metadata["decontamination"] == {"items": [["quiz", "1", 13], ["quiz", "2", 12]]}


def test_index_round_trips_through_bytes():
    index = index_of(QUESTION, OTHER)
    again = EvalIndex.from_bytes(index.to_bytes())
    assert again.keys.tolist() == index.keys.tolist() and again.items.tolist() == index.items.tolist()
    assert (again.item_files, again.item_ids, again.n, again.n_chars, again.stats) == (
        ["quiz"] * 2, ["1", "2"], 13, 13, index.stats)


def test_eval_files_jsonl_fields_ids_text_and_parquet(tmp_path):
    jsonl = tmp_path / "mcq.jsonl"
    jsonl.write_text(json.dumps({"qid": "q7", "question": "What?", "choices": ["A b", "C d"], "answer": None})
                     + "\n\n" + json.dumps({"question": "Why?"}) + "\n", encoding="utf-8")
    items = read_eval_file(EvalSourceConfig(path=str(jsonl), fields=["question", "choices", "answer"], id_field="qid"))
    assert [(i.file, i.item_id, i.texts) for i in items] == [("mcq.jsonl", "q7", ["What?", "A b", "C d"]),
                                                            ("mcq.jsonl", "2", ["Why?"])]
    text = tmp_path / "plain.txt"
    text.write_text("first item\n\nsecond item\n", encoding="utf-8")
    assert [(i.item_id, i.texts) for i in read_eval_file(EvalSourceConfig(path=str(text), name="plain"))] == [
        ("1", ["first item"]), ("3", ["second item"])]
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["alpha beta", "gamma"]}), tmp_path / "t.parquet")
    assert [i.texts for i in read_eval_file(EvalSourceConfig(path=str(tmp_path / "t.parquet")))] == [
        ["alpha beta"], ["gamma"]]


def test_bad_eval_files_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(EvalFileError, match=r"bad.jsonl:2: not a JSON object"):
        read_eval_file(EvalSourceConfig(path=str(bad)))
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"question": "x"}\n', encoding="utf-8")
    with pytest.raises(EvalFileError, match=r"item 1 has none of the fields \['text'\]"):
        read_eval_file(EvalSourceConfig(path=str(wrong)))
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(EvalFileError, match="latin1.txt: the evaluation file is not UTF-8 text"):
        read_eval_file(EvalSourceConfig(path=str(latin1)))


def test_config_is_off_by_default_and_checks_sources(tmp_path):
    assert DecontaminationConfig().enabled is False
    data = tmp_path / "a.jsonl"
    data.write_text('{"text": "x"}\n', encoding="utf-8")
    base = {"name": "t", "sources": [{"name": "s", "paths": [str(data)]}]}
    with pytest.raises(ConfigError, match="decontamination is enabled but lists no sources"):
        parse_config({**base, "decontamination": {"enabled": True}})
    with pytest.raises(ConfigError, match=r"decontamination.sources\[0\].path: no such file"):
        parse_config({**base, "decontamination": {"enabled": True, "sources": [{"path": str(tmp_path / "no.jsonl")}]}})
    with pytest.raises(ConfigError, match=r"decontamination.action"):
        parse_config({**base, "decontamination": {"action": "delete"}})


def test_summary_per_file_item_and_language():
    records = [
        {"doc_id": "a", "lang": "de", "tokens": 10, "file": "quiz", "item": "1", "item_fraction": 1.0},
        {"doc_id": "a", "lang": "de", "tokens": 10, "file": "quiz", "item": "2", "item_fraction": 0.5},
        {"doc_id": "b", "lang": "fr", "tokens": 7, "file": "quiz", "item": "1", "item_fraction": 0.25},
    ]
    summary = summarize_matches(records)
    assert summary["files"] == [{"file": "quiz", "items_contaminated": 2, "docs": 2,
                                 "languages": {"de": {"docs": 1, "tokens": 10}, "fr": {"docs": 1, "tokens": 7}}}]
    assert [(e["item"], e["docs"], e["tokens"], e["max_fraction"], e["languages"]) for e in summary["top_items"]] == [
        ("1", 2, 17, 1.0, {"de": 1, "fr": 1}), ("2", 1, 10, 0.5, {"de": 1})]


def _config(tmp_path, action="drop"):
    evals = tmp_path / "eval.jsonl"
    evals.write_text(json.dumps({"id": "river", "question": QUESTION}) + "\n"
                     + json.dumps({"id": "train", "question": OTHER}) + "\n", encoding="utf-8")
    data = tmp_path / "docs.jsonl"
    data.write_text("", encoding="utf-8")
    return parse_config({"name": "t", "output": str(tmp_path / "out"), "sources": [{"name": "web", "paths": [str(data)]}],
                         "decontamination": {"enabled": True, "action": action,
                                             "sources": [{"path": str(evals), "fields": ["question"], "id_field": "id",
                                                          "name": "quiz"}]}})


def test_transform_drops_contaminated_documents_and_writes_the_audit(tmp_path, beam_pipeline):
    from pipeline.stages.decontamination import Decontaminate

    config = _config(tmp_path)
    docs = [Doc(id="clean", text=CLEAN, source="web", lang="en", tokens=30),
            Doc(id="dirty", text=f"{CLEAN} {QUESTION}", source="web", lang="en", tokens=55)]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | Decontaminate(config.decontamination, output_dir=config.output_dir, tokenizer=config.mixture.tokenizer)
        assert_that(out["kept"] | "Kept" >> beam.Map(lambda d: d.id), equal_to(["clean"]), label="kept")
        assert_that(out["dropped"] | "Dropped" >> beam.Map(lambda d: (d.doc.id, d.reason)),
                    equal_to([("dirty", "decontamination:overlap")]), label="dropped")
    [line] = (tmp_path / "out" / "decontamination" / "matches.jsonl").read_text(encoding="utf-8").splitlines()
    start = len(CLEAN) + 1
    assert json.loads(line) == {"action": "drop", "doc_id": "dirty", "file": "quiz", "item": "river", "item_fraction": 1.0,
                                "lang": "en", "ngrams": 12, "source": "web", "spans": [[start, start + len(QUESTION)]],
                                "tokens": 55}
    summary = json.loads((tmp_path / "out" / "decontamination" / "summary.json").read_text(encoding="utf-8"))
    assert [(e["item"], e["docs"]) for e in summary["top_items"]] == [("river", 1)]


def test_a_run_accounts_for_decontaminated_documents(tmp_path):
    from pipeline.run import run

    config = _config(tmp_path)
    data = tmp_path / "docs.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in
                            [("c", CLEAN), ("d", f"{OTHER}. {CLEAN}"), ("e", CLEAN.replace("cat", "dog"))]),
                    encoding="utf-8")
    config = config.model_copy(update={"langid": config.langid.model_copy(update={"enabled": False}),
                                       "quality": config.quality.model_copy(update={"enabled": False}),
                                       "dedup": config.dedup.model_copy(update={"enabled": False}),
                                       "pii": config.pii.model_copy(update={"enabled": False})})
    summary = run(config, [], log=lambda _m: None)
    acct = summary.accounting
    assert (acct["read"], acct["written"], acct["dropped"]) == (3, 2, 1)
    stats = json.loads((tmp_path / "out" / "_run" / "stats.json").read_text(encoding="utf-8"))
    assert stats["dropped/decontamination:overlap/web/und/docs"] == 1
    assert stats["decontamination/index/items"] == 2 and stats["decontamination/file/quiz/und/docs"] == 1
    audit = [json.loads(x) for x in (tmp_path / "out" / "decontamination" / "matches.jsonl").read_text().splitlines()]
    assert [(r["doc_id"], r["item"]) for r in audit] == [("d", "train")]


def test_a_common_japanese_phrase_is_no_match_but_a_passage_is():
    item = ("ベッドに取り付けたセンサーが、入居者の呼吸や寝返りの様子を記録し、異常があれば職員の"
            "スマートフォンに知らせる仕組みです。")
    index = build_index([EvalItem("quiz", "1", [item])], 13, 10, n_chars=25)
    phrase = "入居者の呼吸や寝返りの様子を記録し"  # 17 characters: a 13-character n-gram would match
    page = f"今日は晴れでした。{phrase}ました。"
    assert Matcher(index)(Doc(id="p", text=page, source="web"))[2] == []
    [short] = Matcher(build_index([EvalItem("quiz", "1", [item])], 13, 10))(Doc(id="p", text=page, source="web"))[2]
    assert short["ngrams"] == 17 - 13 + 1
    result, _, audit = Matcher(index)(Doc(id="q", text=f"今日は晴れでした。{item}", source="web"))
    assert isinstance(result, Dropped) and audit[0]["spans"] == [[9, 9 + len(item) - 1]]  # the final "。" is no unit
