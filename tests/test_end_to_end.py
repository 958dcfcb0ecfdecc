"""`mixture run` on the demo config: shards, manifest, report, rejected records, accounting,
determinism across reruns and runner modes."""

import hashlib
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.config import load_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "mixtures", "demo.yaml")
SAMPLE = os.path.join(ROOT, "pipeline", "data", "sample")


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _shard_hashes(out):
    d = os.path.join(out, "shards")
    return {name: _sha(os.path.join(d, name)) for name in sorted(os.listdir(d))}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("demo") / "out")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["run", DEMO, "--output", out, "--quiet"]) == 0
    finally:
        os.chdir(cwd)
    return out


def _read_shards(out):
    rows = []
    for name in sorted(os.listdir(os.path.join(out, "shards"))):
        rows += pq.read_table(os.path.join(out, "shards", name)).to_pylist()
    return rows


def test_shards_are_readable_and_match_the_manifest(demo_run):
    manifest = json.load(open(os.path.join(demo_run, "manifest.json")))
    files = manifest["shards"]["files"]
    assert len(files) == manifest["config"]["mixture"]["shards"]["count"]
    total = 0
    for entry in files:
        path = os.path.join(demo_run, "shards", entry["file"])
        assert _sha(path) == entry["sha256"]
        assert os.path.getsize(path) == entry["bytes"]
        table = pq.read_table(path)
        assert table.num_rows == entry["documents"]
        assert sum(table.column("tokens").to_pylist()) == entry["tokens"]
        assert {"id", "text", "source", "lang", "lang_score", "tokens"} <= set(table.column_names)
        total += table.num_rows
    assert total == manifest["shards"]["documents"] > 0
    assert manifest["config_sha256"] and manifest["versions"]["apache-beam"]


def test_accounting_balances_and_rejected_records_are_written(demo_run):
    report = json.load(open(os.path.join(demo_run, "report", "report.json")))
    acct = report["accounting"]
    assert acct["balanced"]
    assert acct["read"] == acct["selected"] + acct["dropped"] + acct["rejected"]
    assert acct["written"] == acct["selected"] + acct["extra_copies"] + acct["canaries"]
    rejected = []
    for name in os.listdir(os.path.join(demo_run, "rejected")):
        with open(os.path.join(demo_run, "rejected", name), encoding="utf-8") as f:
            rejected += [json.loads(line) for line in f]
    assert len(rejected) == acct["rejected"] > 0
    planted = json.load(open(os.path.join(SAMPLE, "planted.json")))
    expected = {(m["file"].split("/")[-1], m["line"], m["reason"]) for m in planted["malformed"]}
    got = {(r["file"].split("/")[-1], r["line"], r["reason"].split(":")[0]) for r in rejected}
    assert expected <= got
    assert len(_read_shards(demo_run)) == acct["written"]


def test_two_runs_and_multi_processing_are_byte_identical(demo_run, tmp_path):
    out = str(tmp_path / "mp")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["run", DEMO, "--output", out, "--quiet",
                     "--direct_running_mode", "multi_processing", "--direct_num_workers", "2"]) == 0
    finally:
        os.chdir(cwd)
    assert _shard_hashes(out) == _shard_hashes(demo_run)
    assert _sha(os.path.join(out, "report", "report.json")) == _sha(os.path.join(demo_run, "report", "report.json"))


def test_refuses_non_empty_output_without_overwrite(demo_run, capsys):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["run", DEMO, "--output", demo_run, "--quiet"]) == 2
    finally:
        os.chdir(cwd)
    assert "--overwrite" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", DEMO], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout


def test_no_planted_pii_value_reaches_any_output(demo_run):
    planted = json.load(open(os.path.join(SAMPLE, "planted.json")))
    values = [p["value"] for p in planted["pii"]]
    assert len(values) >= 30
    texts = [row["text"] for row in _read_shards(demo_run)]
    for sub in ("rejected", "dropped"):
        d = os.path.join(demo_run, sub)
        for name in os.listdir(d):
            with open(os.path.join(d, name), encoding="utf-8") as f:
                texts.append(f.read())
    blob = "\n".join(texts)
    leaked = [v for v in values if v in blob]
    assert not leaked
    assert "<EMAIL_ADDRESS>" in blob and "<IBAN_CODE>" in blob


def test_planted_duplicates_and_low_quality_pages_are_dropped(demo_run):
    planted = json.load(open(os.path.join(SAMPLE, "planted.json")))
    ids = {row["id"].split("#")[0] for row in _read_shards(demo_run)}
    for a, b in planted["exact_duplicates"] + planted["exact_after_normalisation"]:
        assert not (a in ids and b in ids), (a, b)
    for pair in planted["near_duplicates"]:
        assert not (pair["a"] in ids and pair["b"] in ids), pair
    for page in planted["low_quality"]:
        assert page["id"] not in ids, page
    for dup in planted["url_duplicates"]:
        assert dup["dropped_id"] not in ids and dup["kept_id"] in ids, dup


def test_planted_evaluation_passages_are_found_and_marked(demo_run):
    planted = json.load(open(os.path.join(SAMPLE, "planted.json"), encoding="utf-8"))
    with open(os.path.join(demo_run, "decontamination", "matches.jsonl"), encoding="utf-8") as f:
        matches = [json.loads(line) for line in f]
    assert [(m["doc_id"], m["file"], m["item"], m["action"]) for m in matches] == [
        (p["id"], "quiz", p["item"], "mark") for p in planted["decontamination"]]
    expected = {m["doc_id"]: [["quiz", m["item"], m["ngrams"]]] for m in matches}
    shards = _read_shards(demo_run)
    marked = {r["id"]: json.loads(r["metadata"])["decontamination"]["items"] for r in shards
              if "decontamination" in json.loads(r["metadata"] or "{}")}
    # every matched page that reaches the shards carries its match, and no other page does
    shard_ids = {r["id"] for r in shards}
    assert marked == {doc_id: items for doc_id, items in expected.items() if doc_id in shard_ids}
    # in the demo: dedup drops web-ru-0009 as a near duplicate of web-ru-0001, and the
    # mixture's keyed draw leaves web-en-0001 out of the (over-full) English bucket
    assert sorted(marked) == ["web-de-0001", "web-ja-0001", "web-ru-0001"]
    # the report's section (from the stats) agrees with the audit's own summary, item by item
    report = json.load(open(os.path.join(demo_run, "report", "report.json"), encoding="utf-8"))
    with open(os.path.join(demo_run, "decontamination", "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    assert [(i["file"], i["item"], i["docs"], i["tokens"], i["languages"]) for i in report["decontamination"]["items"]] \
        == [(i["file"], i["item"], i["docs"], i["tokens"], i["languages"]) for i in summary["items"]]
    assert report["decontamination"]["docs"] == len(matches) == 5
    with open(os.path.join(demo_run, "report", "report.md"), encoding="utf-8") as f:
        md = f.read()
    assert "## Decontamination" in md and "[decontamination/matches.jsonl](../decontamination/matches.jsonl)" in md


def test_canaries_are_injected_as_declared_in_the_secret_manifest(demo_run):
    from pipeline.stages.canaries_core import check_injection

    rows = _read_shards(demo_run)
    with open(os.path.join(demo_run, "canaries", "manifest.jsonl"), encoding="utf-8") as f:
        manifest = [json.loads(line) for line in f]
    assert manifest and check_injection(manifest, rows) == []
    report = json.load(open(os.path.join(demo_run, "report", "report.json")))
    assert report["accounting"]["canaries"] == sum(e["repetitions"] for e in manifest)
    # the shards do not say which documents are canaries
    assert not any("canary" in (row["source"] + row["id"] + row["metadata"]).lower() for row in rows)


def test_parallel_examples_and_control_tokens_reach_the_mixture(demo_run):
    rows = _read_shards(demo_run)
    bitext = [r for r in rows if r["source"] == "bitext"]
    assert bitext and all(r["lang"] != "en" for r in bitext)
    assert {json.loads(r["metadata"])["direction"] for r in bitext} >= {"to_english", "from_english"}
    marked = [r for r in rows if "control_tokens" in json.loads(r["metadata"])]
    assert marked and all(r["text"].startswith("<|") for r in marked)
    report = json.load(open(os.path.join(demo_run, "report", "report.json")))
    planted_bad = json.load(open(os.path.join(SAMPLE, "planted.json")))["bitext_bad"]
    assert report["accounting"]["dropped_by_stage"]["parallel"] == len(planted_bad)


def test_planted_toxic_pages_get_their_toxicity_level_in_the_shards(demo_run):
    """The demo shows every level: the pages planted with profanity carry the level
    planted.json gives them (selected ones), or no toxicity token (not selected)."""
    rows = {r["id"]: r for r in _read_shards(demo_run)}
    planted = json.load(open(os.path.join(SAMPLE, "planted.json")))["toxicity"]
    assert {p["level"] for p in planted if p["selected_by_demo_seed"]} == {"medium", "high"}
    for page in planted:
        text = rows[page["id"]]["text"]
        if page["selected_by_demo_seed"]:
            assert text.startswith(f"<|toxicity:{page['level']}|><|lang:{page['lang']}|>"), page["id"]
        else:
            assert not text.startswith("<|"), page["id"]
    report = json.load(open(os.path.join(demo_run, "report", "report.json")))
    levels = {}
    for row in report["control_tokens"]["languages"]:
        for level, n in row["levels"].items():
            levels[level] = levels.get(level, 0) + n
    marked = [p for p in planted if p["selected_by_demo_seed"]]
    assert levels["medium"] == sum(p["level"] == "medium" for p in marked)
    assert levels["high"] == sum(p["level"] == "high" for p in marked)


def test_every_bucket_is_within_one_point_of_its_target_share(demo_run, monkeypatch):
    report = json.load(open(os.path.join(demo_run, "report", "report.json")))
    buckets = report["mixture"]["buckets"]
    assert len(buckets) >= 20
    off = [(b["source"], b["lang"], b["target_pct"], b["achieved_pct"]) for b in buckets
           if abs(b["achieved_pct"] - b["target_pct"]) > 1.0]
    assert not off
    monkeypatch.chdir(ROOT)  # the demo's input paths are relative to the repository
    config = load_config(DEMO)
    assert report["stats"]["mixture/budget_tokens"] == config.mixture.budget.tokens
    assert all(b["epochs"] <= config.mixture.max_epochs + 1e-9 for b in buckets)


def _can_unshare_network():
    import shutil as sh

    if not sh.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


def test_the_demo_runs_without_any_network(demo_run, tmp_path):
    """No network access at run time, ever (README: nothing is downloaded). The whole job runs in a network
    namespace with no interface at all and writes the same shards."""
    if not _can_unshare_network():
        pytest.skip("needs `unshare -n` (root or user namespaces)")
    out = str(tmp_path / "offline")
    proc = subprocess.run(["unshare", "-n", sys.executable, "-m", "pipeline", "run", DEMO, "--output", out, "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _shard_hashes(out) == _shard_hashes(demo_run)


def test_the_manifest_config_reproduces_the_run_config(demo_run):
    from pipeline.config import Config, load_config

    manifest = json.load(open(os.path.join(demo_run, "manifest.json")))
    again = Config.model_validate(manifest["config"])
    assert again.sha256() == manifest["config_sha256"]
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert load_config(DEMO).sha256() == manifest["config_sha256"]  # the output path is not part of the hash
    finally:
        os.chdir(cwd)


def test_every_removed_document_has_a_kept_witness_at_or_above_the_threshold(demo_run):
    """OUTPUT/dedup/witnesses-*.jsonl: one record per document dedup removed, naming a document dedup
    kept whose shingle Jaccard with it (recomputed here from the input texts) is >= the threshold."""
    from pipeline.config import load_config
    from pipeline import files as fs
    from pipeline.io.readers import document_inputs, read_file
    from pipeline.records import Doc
    from pipeline.stages.dedup_core import resolve_settings, shingle_jaccard, shingle_spec, shingles
    from pipeline.text.normalize import normalize_text
    from pipeline.text.script import dominant_script

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        config = load_config(DEMO)
        texts = {}
        for file in document_inputs(config, fs.expand_patterns):
            for rec in read_file(config.sources[file.source_index], file):
                if isinstance(rec, Doc):
                    texts[rec.id] = normalize_text(rec.text)
    finally:
        os.chdir(cwd)
    records = []
    for name in sorted(os.listdir(os.path.join(demo_run, "dedup"))):
        if name.startswith("witnesses-"):
            with open(os.path.join(demo_run, "dedup", name), encoding="utf-8") as f:
                records += [json.loads(line) for line in f]
    report = json.load(open(os.path.join(demo_run, "report", "report.json")))
    removed = report["dedup"]["removed_by_dropped"]
    assert set(removed) == {"dedup:exact", "dedup:near"}
    assert sorted(r["reason"] for r in records) == sorted(k for k, n in removed.items() for _ in range(n))
    removed_ids = {r["removed_id"] for r in records}
    assert len(removed_ids) == len(records)
    near = resolve_settings(config.dedup, config.seed).near
    for r in records:
        assert r["witness_id"] not in removed_ids, r  # the witness is a document dedup kept
        assert r["jaccard"] >= config.dedup.minhash.threshold, r
        a, b = texts[r["removed_id"]], texts[r["witness_id"]]
        spec = shingle_spec("", dominant_script(b), near)
        assert shingle_jaccard(shingles(a, spec).values, shingles(b, spec).values) == pytest.approx(r["jaccard"]), r


# ------------------------------------------------------------------ output pin
#
# The demo's outputs, pinned by sha256. Refactoring must leave every byte unchanged, so
# this dict is updated ONLY by a commit that changes the output on purpose (and says so).
# To regenerate: run `pytest tests/test_end_to_end.py -k pinned`; on a mismatch the
# failure message prints the complete new dict — paste it over DEMO_PINS.
#
# Normalised before hashing, because they vary without the pipeline's behaviour changing:
# - manifest.json "config"."output": the absolute output directory of the run;
# - manifest.json and report.json "versions": the installed Python and library versions.
# Not pinned: report/runtime.json (wall times), _run/config.json (holds the absolute
# output directory), the rendered report (report.md/.html/.csv, derived from report.json)
# and _run/decontamination-index.npz (a cache).
# Parquet files embed the writer's version ("parquet-cpp-arrow version X"), so the shard
# hashes hold for the pyarrow version below only.
DEMO_PINS_PYARROW = "25.0.1"
DEMO_PINS = {
    '_run/shards.json': '8228dac613c93310b4d38c19d832501862b6912bdda2607169ecef26fce95732',
    '_run/stats.json': '066eeb3914c5cc561bd1ecc785e776815d73fa23f7cccc28b1569ec96f1a8cad',
    'canaries/manifest.jsonl': '844504b8ef03fd32982b22d40ca59c3bdb1826f8fd7a42a5143d40726eee6c65',
    'decontamination/matches.jsonl': '051b3fae8ab56b8018401ec622b470aec4ae12849e83969e6f1c30826309ff64',
    'decontamination/summary.json': '9a624fa7f56d62e43520796c189fd0a39bfed03db58d426a02a6cdc63658ff4f',
    'dedup/witnesses-00000-of-00004.jsonl': 'e7ceb10b3f876e6bc804733dfabdf00953551b3e55b2fc01bcb1e2900cd3956c',
    'dedup/witnesses-00001-of-00004.jsonl': '35f2ba32e7bfd7096bf3f744e5708be0f1e1ab4019197f44447e389cc62a7980',
    'dedup/witnesses-00002-of-00004.jsonl': 'b08355565f78206090a7fdebc645ca771c4b37a3b107cd622191373d8e442def',
    'dedup/witnesses-00003-of-00004.jsonl': '64da20ceb02038cb79e969a0b98067bb7a77e588dec06166b352a10d568de38c',
    'dropped/examples.jsonl': 'ba54dca591ed1cacd36838b31bf50f15fb2cfcbf8159997dafe77a1a81c04841',
    'manifest.json': '4c235b71288a01177b03e1063366e3f0cfe23e1eab85e226e951c9a73dd1485e',
    'rejected/rejected-00000-of-00004.jsonl': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'rejected/rejected-00001-of-00004.jsonl': 'b318d6021200131cda2841aeef07ecc532a475374800b9ae76eb32b630c1af2c',
    'rejected/rejected-00002-of-00004.jsonl': '0c305b311f2264de10dc9d345f22cb8919511bd370a7361680d75f9bb5229716',
    'rejected/rejected-00003-of-00004.jsonl': 'b94e54646bee9a754c7541748a10d7118774bb4bc72b968c625417bd638ac491',
    'report/report.json': 'a533e3e11d569b898768ef338e76b1fe91e3a81b61e97591337662912b9299c0',
    'shards/part-00000-of-00008.parquet': '2edf02930bbf19d509fafbf3678c4fbcdf6c134ebe3d21849742ea8c2602ccad',
    'shards/part-00001-of-00008.parquet': '1759271f2d71e347d9c3a36192a998507788213d28839727a16aa5faa118230a',
    'shards/part-00002-of-00008.parquet': '2e70a17897fe15b2bb8f580a12be52524ac7ceea089e853fddcf893945d47788',
    'shards/part-00003-of-00008.parquet': 'f62f3aa342a488d0af4b7dd25d9801e31bb884d91be80fbd3445f31fdd1c7a3f',
    'shards/part-00004-of-00008.parquet': '1e3c8d762b893a7829a99fd713dc2b2c80f7e7e5fd2f85cb35924ba82b2db72b',
    'shards/part-00005-of-00008.parquet': 'e0f5d56f126b2ab0862b709ed32e7c704cc4c4794768c25179bc3429a9717c37',
    'shards/part-00006-of-00008.parquet': '0532050c2b0fbb6b7c64617c8343e5bfc293015ace175b42dc701833b6f4fab9',
    'shards/part-00007-of-00008.parquet': 'f39a196d351232ade9b2fd8825fd35da65e60a49cd16b85d5bd475da0648d7bc',
}

_NORMALISED = "<normalised>"


def _normalised_json_sha(path, drop_output=False):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data["versions"] = _NORMALISED
    if drop_output:
        data["config"]["output"] = _NORMALISED
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _demo_output_hashes(out):
    hashes = {}
    for sub in ("shards", "rejected", "dropped", "canaries", "dedup", "decontamination"):
        for name in sorted(os.listdir(os.path.join(out, sub))):
            hashes[f"{sub}/{name}"] = _sha(os.path.join(out, sub, name))
    for name in ("_run/stats.json", "_run/shards.json"):
        hashes[name] = _sha(os.path.join(out, name))
    hashes["manifest.json"] = _normalised_json_sha(os.path.join(out, "manifest.json"), drop_output=True)
    hashes["report/report.json"] = _normalised_json_sha(os.path.join(out, "report", "report.json"))
    return hashes


def test_demo_outputs_are_pinned_byte_for_byte(demo_run):
    import pyarrow

    assert pyarrow.__version__ == DEMO_PINS_PYARROW, (
        f"the shard pins were made with pyarrow {DEMO_PINS_PYARROW}, this is {pyarrow.__version__}: "
        "parquet files embed the writer's version; regenerate DEMO_PINS (see the comment above)")
    got = _demo_output_hashes(demo_run)
    lines = "".join(f"    {k!r}: {v!r},\n" for k, v in sorted(got.items()))
    changed = sorted(k for k in set(got) | set(DEMO_PINS) if got.get(k) != DEMO_PINS.get(k))
    assert got == DEMO_PINS, f"changed: {changed}\nnew pins:\nDEMO_PINS = {{\n{lines}}}"


def test_every_stat_key_of_the_demo_is_declared_in_pipeline_stats(demo_run):
    """Each key the demo's stages emit decodes to a kind of pipeline/stats.py and encodes back unchanged."""
    from pipeline.stats import decode, decode_all

    with open(os.path.join(demo_run, "_run", "stats.json"), encoding="utf-8") as f:
        stats = json.load(f)
    decoded = decode_all(stats)
    assert len(decoded) == len(stats)
    assert all(stat.key == key for (stat, _), key in zip(decoded, sorted(stats)))
    stages = {type(decode(key)).TEMPLATE.split("/")[0] for key in stats}
    assert stages == {"read", "rejected", "point", "dropped", "langid", "decontamination", "quality", "dedup", "pii",
                      "parallel", "control_tokens", "mixture", "canaries"}
