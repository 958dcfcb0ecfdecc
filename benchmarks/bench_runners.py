"""Wall time of the same job on the runners that run offline, and a check that they agree.

    python benchmarks/bench_runners.py [--docs 5000] [--workers 2] [--out BENCH_DIR]

Generates a synthetic multilingual JSONL corpus (optional stages off: this measures the
runner, reading and shard writing, not the stages), then runs `mixture run` with:
in-memory FnApiRunner, multi_processing with N workers, and PortableRunner (LOOPBACK)
against Beam's local job service. Writes a Markdown table to benchmarks/results/runners.md
(for BENCHMARKS.md) and prints it; exits 1 if any runner wrote different shard bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time

from machine import cpu_model, measured_run  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

WORDS = {
    "en": "the quick brown fox jumps over a lazy dog while rivers run to the sea".split(),
    "de": "der schnelle braune Fuchs springt über den faulen Hund am grünen Fluss".split(),
    "ru": "быстрая коричневая лиса прыгает через ленивую собаку у тихой реки".split(),
    "ar": "الثعلب البني السريع يقفز فوق الكلب الكسول قرب النهر الهادئ".split(),
    "th": "สุนัข จิ้งจอก สีน้ำตาล กระโดด ข้าม หมา ขี้เกียจ ริม แม่น้ำ".split(),
}


def make_corpus(root: str, docs: int, files: int = 16) -> str:
    corpus = os.path.join(root, "corpus")
    os.makedirs(corpus)
    langs = sorted(WORDS)
    handles = [open(os.path.join(corpus, f"part-{i:03d}.jsonl"), "w", encoding="utf-8") for i in range(files)]
    for i in range(docs):
        lang = langs[i % len(langs)]
        words = WORDS[lang]
        text = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(40 + i % 200))
        handles[i % files].write(json.dumps({"id": f"d{i:08d}", "text": text}, ensure_ascii=False) + "\n")
    for h in handles:
        h.close()
    config = os.path.join(root, "bench.yaml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f"""name: bench-runners
seed: 1
sources:
  - name: web
    paths: ["{corpus}/*.jsonl"]
langid: {{enabled: false}}
quality: {{enabled: false}}
dedup: {{enabled: false}}
pii: {{enabled: false}}
mixture:
  shards: {{count: 16, format: parquet}}
""")
    return config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def job_service(workdir: str):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                             "--port", str(port)], cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError("job service exited")
            time.sleep(0.2)
        else:
            raise TimeoutError("job service did not start")
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def timed_run(config: str, output: str, flags: list[str], timeout: float) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `mixture run` process and the workers it starts."""
    return measured_run([sys.executable, "-m", "pipeline", "run", config, "--output", output, "--quiet", *flags],
                        timeout=timeout)


def corpus_bytes(root: str) -> int:
    corpus = os.path.join(root, "corpus")
    return sum(os.path.getsize(os.path.join(corpus, n)) for n in os.listdir(corpus))


def digests(output: str) -> dict[str, str]:
    d = os.path.join(output, "shards")
    return {n: hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest() for n in sorted(os.listdir(d))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--out", help="working directory (default: a temporary one)")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    root = args.out or tempfile.mkdtemp(prefix="bench-runners-")
    config = make_corpus(root, args.docs)
    size_mb = corpus_bytes(root) / 1e6
    rows, reference, same = [], None, True
    runs = [
        ("FnApiRunner in_memory", ["--direct_running_mode", "in_memory"]),
        (f"FnApiRunner multi_processing ×{args.workers}",
         ["--direct_running_mode", "multi_processing", "--direct_num_workers", str(args.workers)]),
        ("PortableRunner LOOPBACK (local job service)", None),
    ]
    for i, (name, flags) in enumerate(runs):
        output = os.path.join(root, f"out-{i}")
        if flags is None:
            with job_service(root) as port:
                seconds, rss = timed_run(config, output, ["--runner", "PortableRunner", "--job_endpoint",
                                                     f"localhost:{port}", "--environment_type", "LOOPBACK"],
                                    args.timeout)
        else:
            seconds, rss = timed_run(config, output, flags, args.timeout)
        got = digests(output)
        reference = reference or got
        same &= got == reference
        rows.append((name, seconds, args.docs / seconds, size_mb / seconds, rss, got == reference))
    lines = ["# Runner benchmark", "",
             f"Command: `python benchmarks/bench_runners.py --docs {args.docs} --workers {args.workers}`.", "",
             f"Runner overhead: {args.docs:,} synthetic documents ({size_mb:.1f} MB of JSONL in 16 files, "
             "5 languages), optional stages off, 16 Parquet shards. Machine: "
             f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
             f"1-minute load average {load_at_start:.1f} at the start (the machine is shared).", "",
             "Wall seconds, docs/s and MB/s (input bytes per wall second) cover the whole `mixture run` process, "
             "start-up and report included. Peak RSS is `os.wait4`'s `ru_maxrss` of the run process: the largest "
             "of it and the worker processes it started (multi_processing); for the portable runner the local "
             "job service is a separate process and is not included.", "",
             "| runner | wall s | docs/s | MB/s | peak RSS MB | shards identical |",
             "|---|---:|---:|---:|---:|---|"]
    for name, seconds, rate, mbps, rss, ok in rows:
        lines.append(f"| {name} | {seconds:.1f} | {rate:,.0f} | {mbps:.2f} | {rss:,.0f} | {'yes' if ok else 'NO'} |")
    text = "\n".join(lines) + "\n"
    results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "runners.md")
    with open(results, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
