"""The launcher and graph on a small synthetic corpus (stages off, so it is fast)."""

import gzip
import json
import os

import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.io.readers import InputFile
from pipeline.graph.inputs import ReadFileFn
from pipeline.run import LOCAL_RUNNER, pipeline_options, run

TEXT = "This is a plain sentence about rivers and hills. It has a second sentence too."


@pytest.fixture
def small(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with open(data / "a.jsonl", "w", encoding="utf-8") as f:
        for i in range(60):
            f.write(json.dumps({"id": f"doc-{i:03d}", "text": f"{TEXT} Number {i}."}) + "\n")
        f.write("{not json\n")
    config = tmp_path / "small.yaml"
    config.write_text(
        "name: small\nseed: 11\n"
        f"output: {tmp_path / 'out'}\n"
        f"sources:\n  - name: web\n    paths: ['{data}/*.jsonl']\n"
        "langid: {enabled: false}\nquality: {enabled: false}\ndedup: {enabled: false}\npii: {enabled: false}\n"
        "mixture:\n  shards: {count: 3, format: jsonl.gz}\n",
        encoding="utf-8")
    return tmp_path, str(config)


def _assignment(out):
    shards = {}
    d = os.path.join(out, "shards")
    for name in sorted(os.listdir(d)):
        with gzip.open(os.path.join(d, name), "rt", encoding="utf-8") as f:
            shards[name] = [json.loads(line)["id"] for line in f]
    return shards


def test_runner_flags(capsys):
    options, runner = pipeline_options([])
    assert runner == LOCAL_RUNNER
    _, runner = pipeline_options(["--runner", "DirectRunner"])
    assert runner == LOCAL_RUNNER  # never the Prism-downloading DirectRunner
    options, runner = pipeline_options(["--runner=PortableRunner", "--job_endpoint", "localhost:1"])
    assert runner == "PortableRunner"
    assert options.get_all_options()["job_endpoint"] == "localhost:1"


def test_jsonl_gz_shards_every_record_accounted_and_seed_changes_assignment(small):
    tmp, config_path = small
    config = load_config(config_path)
    summary = run(config, [], log=lambda _m: None)
    acct = summary.accounting
    assert (acct["read"], acct["written"], acct["rejected"], acct["dropped"]) == (61, 60, 1, 0)
    first = _assignment(summary.output)
    assert sorted(first) == ["part-00000-of-00003.jsonl.gz", "part-00001-of-00003.jsonl.gz",
                             "part-00002-of-00003.jsonl.gz"]
    assert sorted(i for ids in first.values() for i in ids) == [f"doc-{i:03d}" for i in range(60)]

    other = run(load_config(config_path, seed=12, output=str(tmp / "out12")), [], log=lambda _m: None)
    second = _assignment(other.output)
    assert first != second
    assert sorted(i for ids in second.values() for i in ids) == sorted(i for ids in first.values() for i in ids)


def test_overwrite_replaces_the_previous_run(small, capsys):
    tmp, config_path = small
    assert main(["run", config_path, "--quiet"]) == 0
    stale = tmp / "out" / "shards" / "part-00009-of-00010.jsonl.gz"
    stale.write_bytes(b"old")
    assert main(["run", config_path, "--quiet"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["run", config_path, "--quiet", "--overwrite"]) == 0
    assert not stale.exists()
    manifest = json.load(open(tmp / "out" / "manifest.json"))
    assert manifest["seed"] == 11 and len(manifest["shards"]["files"]) == 3


def test_progress_lines_are_throttled(small, capsys):
    tmp, config_path = small
    config = load_config(config_path)
    fn = ReadFileFn(config, progress_seconds=1e-9, total_files=1)
    fn.setup()
    path = str(tmp / "data" / "a.jsonl")
    records = list(fn.process(InputFile(0, path, "a.jsonl", "jsonl")))
    assert len(records) == 61
    assert "read 1 of 1 files, 61 records" in capsys.readouterr().err
    quiet = ReadFileFn(config)
    quiet.setup()
    list(quiet.process(InputFile(0, path, "a.jsonl", "jsonl")))
    assert capsys.readouterr().err == ""


def test_duplicate_ids_are_renamed_deterministically():
    from pipeline.records import Doc
    from pipeline.graph.inputs import rename_duplicate_ids

    a = Doc(id="x", text="first", source="web", metadata={"input_file": "a.jsonl", "input_line": 3})
    b = Doc(id="x", text="second", source="web", metadata={"input_file": "a.jsonl", "input_line": 9})
    c = Doc(id="x", text="third", source="books", metadata={"input_file": "b.parquet", "input_line": 1})
    for docs in ([a, b, c], [c, b, a]):
        out = rename_duplicate_ids("x", docs)
        assert [(d.id, d.text) for d in out] == [("x", "third"), ("x#dup1", "first"), ("x#dup2", "second")]
        assert out[1].metadata["original_id"] == "x"
    assert rename_duplicate_ids("y", [a]) == [a]


def test_repeated_ids_in_the_input_survive_as_distinct_documents(small):
    tmp, config_path = small
    with open(tmp / "data" / "a.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "doc-000", "text": "A different text that reuses an id."}) + "\n")
    summary = run(load_config(config_path), [], log=lambda _m: None)
    ids = sorted(i for ids in _assignment(summary.output).values() for i in ids)
    assert "doc-000" in ids and "doc-000#dup1" in ids and len(ids) == 61
    assert summary.report["stats"]["ids/renamed/web"] == 1


def test_document_sources_after_a_parallel_source_are_read_from_the_right_source(small):
    tmp, config_path = small
    (tmp / "data" / "en-de.tsv").write_text("en\tde\nThe house is small.\tDas Haus ist klein.\n", encoding="utf-8")
    text = (tmp / "small.yaml").read_text(encoding="utf-8")
    text = text.replace("sources:\n", f"sources:\n  - name: bitext\n    kind: parallel\n    paths: ['{tmp}/data/*.tsv']\n")
    text += "parallel: {enabled: true, langid: false}\n"
    (tmp / "small.yaml").write_text(text, encoding="utf-8")
    summary = run(load_config(config_path), [], log=lambda _m: None)
    assert summary.accounting["balanced"]
    sources = summary.report["stats"]
    assert sources["read/web"] == 61 and sources["read/bitext"] == 1


def test_report_finishes_a_run_whose_launcher_stopped_after_the_job(small, capsys):
    import shutil

    tmp, config_path = small
    summary = run(load_config(config_path), [], log=lambda _m: None)
    out = summary.output
    expected = open(os.path.join(out, "manifest.json"), "rb").read()
    os.remove(os.path.join(out, "manifest.json"))
    shutil.rmtree(os.path.join(out, "report"))
    assert main(["report", out]) == 0
    assert open(os.path.join(out, "manifest.json"), "rb").read() == expected
    assert os.path.exists(os.path.join(out, "report", "report.html"))
    assert main(["report", str(tmp / "nowhere")]) == 2
    assert "no report/report.json" in capsys.readouterr().err


def test_a_run_that_loses_a_document_after_sampling_exits_3_with_the_imbalance(small, capsys, monkeypatch):
    """A fault on purpose: the sampler chooses doc-007 (and counts it selected) but never
    emits it. The launcher must notice that the shards hold one document fewer than the
    mixture selected, exit with 3, say so, and write neither manifest nor report."""
    from pipeline.stages import mixture as transform

    real = transform.make_copies

    def losing_copies(doc, n):
        return [] if doc.id == "doc-007" else real(doc, n)

    monkeypatch.setattr(transform, "make_copies", losing_copies)
    tmp, config_path = small
    assert main(["run", config_path, "--quiet"]) == 3
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "mixture: error: records do not balance: 59 documents reached the shards but the mixture and canary "
        "stages emitted 60 (selected + extra copies + canaries): 1 were lost or duplicated after sampling. "
        "read 61 = selected 60 + dropped 0 + rejected 1; written 59 = selected 60 + extra copies 0 (NOT BALANCED)")
    assert not os.path.exists(tmp / "out" / "manifest.json")
    assert not os.path.exists(tmp / "out" / "report" / "report.json")
