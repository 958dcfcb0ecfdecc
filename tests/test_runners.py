"""The same job on every runner we can start offline gives byte-identical shards.

* in-memory FnApiRunner (the reference) vs ``--direct_running_mode multi_processing``:
  proves the graph pickles and that workers import everything from the installed package;
* ``--runner PortableRunner`` against Beam's local job service, with a LOOPBACK
  environment and with an EXTERNAL worker pool: the Job API, artifact staging and
  worker-pool protocol that Flink's job server and its SDK-harness sidecars speak.

Every run is a ``mixture run`` subprocess started in a directory that is *not* the
repository (so nothing comes from the working directory), bounded by a timeout. Side
services run in their own process group and are terminated, group and all, at the end.
The corpus is tiny and every optional stage is off: these tests are about the runners.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

RUN_TIMEOUT = 150  # seconds for one `mixture run`
SERVICE_START_TIMEOUT = 60
SHARDS = 4

LANG_WORDS = {
    "en": "the quick brown fox jumps over a lazy dog while rivers run to the sea".split(),
    "de": "der schnelle braune Fuchs springt über den faulen Hund am grünen Fluss".split(),
    "ru": "быстрая коричневая лиса прыгает через ленивую собаку у тихой реки".split(),
    "ar": "الثعلب البني السريع يقفز فوق الكلب الكسول قرب النهر الهادئ".split(),
    "ja": list("速い茶色の狐が怠惰な犬を飛び越える静かな川の近くで"),
    "th": "สุนัข จิ้งจอก สีน้ำตาล กระโดด ข้าม หมา ขี้เกียจ ริม แม่น้ำ".split(),
}


def _text(lang: str, i: int) -> str:
    words = LANG_WORDS[lang]
    sep = "" if lang == "ja" else " "
    sentences = []
    for s in range(2 + i % 4):
        picked = [words[(i * 7 + s * 3 + k * 5) % len(words)] for k in range(6 + (i + s) % 5)]
        sentences.append(sep.join(picked) + ("。" if lang == "ja" else "."))
    return (sep or "").join(sentences) if lang == "ja" else " ".join(sentences)


def _jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def make_corpus(root) -> str:
    """~100 documents in six languages over three files (one gzipped), two bad lines;
    returns the path of a config that reads them with every optional stage off."""
    web = root / "corpus" / "web"
    books = root / "corpus" / "books"
    web.mkdir(parents=True)
    books.mkdir(parents=True)
    docs = {lang: [{"id": f"{lang}-{i:03d}", "text": _text(lang, i), "url": f"https://example.org/{lang}/{i}"}
                   for i in range(17)] for lang in LANG_WORDS}
    (web / "a.jsonl").write_bytes(
        _jsonl(docs["en"] + docs["de"])
        + b'{"id": "broken", "text": "mail me at someone@example.com\n'  # invalid JSON -> rejected/
        + _jsonl([{"id": "no-text", "body": "a record without its text field"}])
    )
    (web / "b.jsonl.gz").write_bytes(gzip.compress(_jsonl(docs["ru"] + docs["ar"]), mtime=0))
    (books / "c.jsonl").write_bytes(_jsonl(docs["ja"] + docs["th"]))
    config = root / "runners.yaml"
    config.write_text(
        f"""name: runners
seed: 7
sources:
  - name: web
    paths: ["{web}/*.jsonl", "{web}/*.jsonl.gz"]
  - name: books
    paths: ["{books}/*.jsonl"]
langid: {{enabled: false}}
quality: {{enabled: false}}
dedup: {{enabled: false}}
pii: {{enabled: false}}
mixture:
  shards: {{count: {SHARDS}, format: parquet}}
""",
        encoding="utf-8",
    )
    return str(config)


# ---------------------------------------------------------------------------- processes


def _env() -> dict:
    """The test's own interpreter first on PATH: a worker pool starts workers as `python`."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL, to the process group this test started (and only that one)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # the group may still hold children (SDK workers started by a worker pool)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def _wait_listening(proc: subprocess.Popen, port: int, log_path, timeout: float = SERVICE_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service exited with {proc.returncode}:\n{_tail(log_path)}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s:\n{_tail(log_path)}")


def _tail(path, chars: int = 4000) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-chars:]
    except OSError:
        return ""


@contextlib.contextmanager
def beam_service(module: str, args: list[str], port: int, workdir):
    """`python -m MODULE ARGS` in its own session, listening on 127.0.0.1:port; stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "service.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=workdir, env=_env(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        _wait_listening(proc, port, log_path)
        yield proc, log_path
    finally:
        _stop_group(proc)


def mixture_run(config: str, output, workdir, *beam_flags: str) -> subprocess.CompletedProcess:
    """`mixture run CONFIG --output OUTPUT BEAM_FLAGS...` as a user would type it."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pipeline", "run", config, "--output", str(output), *beam_flags]
    proc = subprocess.Popen(cmd, cwd=workdir, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        out, err = proc.communicate()
        pytest.fail(f"`{' '.join(cmd)}` did not finish in {RUN_TIMEOUT}s\n{out}\n{err}")
    finally:
        _stop_group(proc)
    assert proc.returncode == 0, f"`{' '.join(cmd)}` failed ({proc.returncode})\n{out}\n{err}"
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# ---------------------------------------------------------------------------- outputs


def shard_digests(output) -> dict[str, str]:
    directory = output / "shards"
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
            for name in sorted(os.listdir(directory))}


def rejected_bytes(output) -> dict[str, bytes]:
    directory = output / "rejected"
    return {name: (directory / name).read_bytes() for name in sorted(os.listdir(directory))}


def check_same_run(output, reference) -> None:
    """Byte-identical shards and rejected files, the same manifest entries, a balanced report."""
    assert shard_digests(output) == reference["shards"]
    assert rejected_bytes(output) == reference["rejected"]
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["shards"]["files"] == reference["manifest"]["shards"]["files"]
    assert manifest["accounting"] == reference["manifest"]["accounting"]
    report = json.loads((output / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["accounting"]["balanced"]
    assert report["stats"] == reference["stats"]
    assert not any(name.endswith(".tmp") for _, _, names in os.walk(output) for name in names)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("runners")
    return root, make_corpus(root)


@pytest.fixture(scope="module")
def reference(corpus):
    """The in-memory FnApiRunner run every other runner must reproduce byte for byte."""
    root, config = corpus
    output = root / "out-in-memory"
    mixture_run(config, output, root / "cwd-in-memory", "--direct_running_mode", "in_memory")
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    report = json.loads((output / "report" / "report.json").read_text(encoding="utf-8"))
    acct = manifest["accounting"]
    assert acct["read"] == 6 * 17 + 2 and acct["rejected"] == 2 and acct["written"] == 6 * 17
    assert manifest["shards"]["count"] == SHARDS
    rejected = b"".join(rejected_bytes(output).values()).decode("utf-8")
    assert "someone@example.com" not in rejected  # snippets are scrubbed on the workers too
    return {"shards": shard_digests(output), "rejected": rejected_bytes(output),
            "manifest": manifest, "stats": report["stats"]}


def _job_infos(port: int):
    """The jobs a job service has seen (Job API GetJobs), as (name, state, options) tuples."""
    import grpc
    from apache_beam.portability.api import beam_job_api_pb2, beam_job_api_pb2_grpc
    from apache_beam.runners.job.utils import struct_to_dict

    with grpc.insecure_channel(f"localhost:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        jobs = beam_job_api_pb2_grpc.JobServiceStub(channel).GetJobs(
            beam_job_api_pb2.GetJobsRequest(), timeout=10)
    return [(j.job_name, beam_job_api_pb2.JobState.Enum.Name(j.state), struct_to_dict(j.pipeline_options))
            for j in jobs.job_info]


# ---------------------------------------------------------------------------- tests


def test_runner_flag_reaches_beam_unchanged():
    from pipeline.run import LOCAL_RUNNER, pipeline_options

    options, runner = pipeline_options(["--runner", "PortableRunner", "--job_endpoint", "localhost:1",
                                        "--environment_type", "LOOPBACK"])
    assert runner == "PortableRunner"
    assert options.get_all_options()["job_endpoint"] == "localhost:1"
    assert pipeline_options(["--runner=FlinkRunner"])[1] == "FlinkRunner"
    assert pipeline_options(["--runner", "DataflowRunner"])[1] == "DataflowRunner"
    # the plain DirectRunner (which may fetch a Prism binary) is never used
    assert pipeline_options(["--runner", "DirectRunner"])[1] == LOCAL_RUNNER
    assert pipeline_options([])[1] == LOCAL_RUNNER


def test_multi_processing_matches_in_memory(corpus, reference):
    root, config = corpus
    output = root / "out-multi-processing"
    mixture_run(config, output, root / "cwd-multi-processing",
                "--direct_running_mode", "multi_processing", "--direct_num_workers", "2")
    check_same_run(output, reference)


def test_portable_runner_loopback_matches_local(corpus, reference):
    root, config = corpus
    port = _free_port()
    output = root / "out-portable-loopback"
    with beam_service("apache_beam.runners.portability.local_job_service_main",
                      ["--port", str(port)], port, root / "job-service-loopback"):
        mixture_run(config, output, root / "cwd-portable-loopback",
                    "--runner", "PortableRunner", "--job_endpoint", f"localhost:{port}",
                    "--environment_type", "LOOPBACK")
        jobs = _job_infos(port)
    assert [(state, opts.get("beam:option:environment_type:v1")) for _, state, opts in jobs] == [
        ("DONE", "LOOPBACK")
    ], jobs
    check_same_run(output, reference)


def test_portable_runner_external_worker_pool_matches_local(corpus, reference):
    root, config = corpus
    job_port, pool_port = _free_port(), _free_port()
    output = root / "out-portable-external"
    with beam_service("apache_beam.runners.worker.worker_pool_main",
                      ["--service_port", str(pool_port)], pool_port, root / "worker-pool") as (_, pool_log), \
            beam_service("apache_beam.runners.portability.local_job_service_main",
                         ["--port", str(job_port)], job_port, root / "job-service-external"):
        mixture_run(config, output, root / "cwd-portable-external",
                    "--runner", "PortableRunner", "--job_endpoint", f"localhost:{job_port}",
                    "--environment_type", "EXTERNAL", "--environment_config", f"localhost:{pool_port}")
        jobs = _job_infos(job_port)
    assert [(state, opts.get("beam:option:environment_type:v1")) for _, state, opts in jobs] == [
        ("DONE", "EXTERNAL")
    ], jobs
    assert "Starting worker with command" in _tail(pool_log, 100_000)  # the pool, not loopback, ran it
    check_same_run(output, reference)


def test_object_store_paths_in_and_out(corpus, reference, tmp_path, monkeypatch):
    """Inputs, shards, rejected/, _run/, manifest and report all through a made-up scheme
    with object-store semantics (no directories): the same bytes as on local disk, and
    --overwrite really empties the output prefix."""
    import shutil

    from objectstore_fs import ObjectStoreFileSystem
    from pipeline.config import load_config
    from pipeline.run import run

    root, _ = corpus
    store = tmp_path / "store"
    shutil.copytree(root / "corpus", store / "bkt" / "corpus")
    monkeypatch.setattr(ObjectStoreFileSystem, "root", str(store))
    config_path = tmp_path / "remote.yaml"
    config_path.write_text(
        (root / "runners.yaml").read_text(encoding="utf-8").replace(str(root / "corpus"), "mixturetest://bkt/corpus"),
        encoding="utf-8",
    )
    assert "mixturetest://bkt/corpus/web/*.jsonl" in config_path.read_text(encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    config = load_config(str(config_path), output="mixturetest://bkt/out")
    quiet = lambda _msg: None  # noqa: E731

    summary = run(config, ["--direct_running_mode", "in_memory"], log=quiet)
    assert summary.output == "mixturetest://bkt/out"
    output = store / "bkt" / "out"
    check_same_run(output, reference)

    # a non-empty prefix is refused without --overwrite, and emptied with it
    stale = output / "shards" / "part-00009-of-00010.parquet"
    stale.write_bytes(b"left over from an older run")
    with pytest.raises(FileExistsError):
        run(config, [], log=quiet)
    run(config, [], overwrite=True, log=quiet)
    assert not stale.exists()
    check_same_run(output, reference)
    assert os.listdir(cwd) == []  # nothing written next to the launcher
