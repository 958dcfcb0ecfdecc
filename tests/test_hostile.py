"""Hostile input through the whole pipeline: nothing crashes, nothing is lost."""

import json

from pipeline.config import load_config
from pipeline.run import run

GOOD = "The river runs past the old mill, and the children walk along its banks every morning. " * 8


def test_hostile_records_never_crash_the_job_and_are_all_accounted_for(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    lines = [
        json.dumps({"id": "giant", "text": ("word " * 60000) + "end."}),
        json.dumps({"id": "digits", "text": " ".join(str(10**11 + i * 7919) for i in range(20000))}),
        json.dumps({"id": "nested", "text": GOOD, "meta": json.loads("[" * 50 + "]" * 50)}),
        "[" * 100000 + "]" * 100000,                                   # JSON nested too deeply
        json.dumps({"id": "ctrl", "text": "\x00\x01\x02\u200b\u200e\ufeff" * 100}),
        json.dumps({"id": "emoji", "text": "😀🎉🔥" * 500}),
        json.dumps({"id": "rtl", "text": "مرحبا بكم في هذا الموقع. " * 40 + "\u202e" + GOOD}),
        json.dumps({"id": "mixed", "text": "日本語とEnglishとРусский " * 200}),
        json.dumps({"id": "newlines", "text": "\n" * 10000 + GOOD}),
        json.dumps({"id": 12.5, "text": GOOD + " float id"}),
        json.dumps({"id": None, "text": GOOD + " null id"}),
        json.dumps({"id": "twice", "text": GOOD + " one"}),
        json.dumps({"id": "twice", "text": "Another page entirely, about mountains and their weather. " * 6}),
        json.dumps({"id": "surrogate", "text": "a\ud83d b"}),
        json.dumps({"id": "at-signs", "text": "@" * 50000}),
        json.dumps({"id": "one-line", "text": "x" * 300000}),
        '{"id": "trailing garbage", "text": "ok"} trailing',
    ]
    (data / "h.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "h.yaml").write_text(
        f"name: hostile\noutput: {tmp_path / 'out'}\nsources:\n  - name: web\n    paths: ['{data}/*.jsonl']\n"
        "quality: {enabled: false}\n", encoding="utf-8")
    summary = run(load_config(str(tmp_path / "h.yaml")), [], log=lambda _m: None)
    acct = summary.accounting
    assert acct["balanced"] and acct["read"] == len(lines)
    # the report groups reasons by their name before ':' ("invalid_json: nested too deeply")
    assert acct["rejected_by_reason"] == {"invalid_json": 2, "invalid_unicode": 1}
    assert acct["written"] + acct["dropped"] == len(lines) - 3
