#!/usr/bin/env python
"""WARC -> text: extraction quality, speed and rejected-record accounting, against datatrove.

    python benchmarks/bench_web.py [--langs 26] [--pages 12] [--peer-python /work/peer-venv/bin/python]

Writes benchmarks/results/web.md (and prints it).

Data: real documentation pages (benchmarks/realdata.py, split "test": Debian manuals and
GNOME Help, plain text with paragraphs). Each page is rendered into HTML by one of four
page templates chosen by a hash of its id (HTML5 with <main>, nested <div> layout, a
table layout without class names, a documentation theme with a OneTrust cookie banner;
the last was written after the furniture rules of pipeline/io/html.py were fixed, the
other three were looked at while writing them), surrounded by boilerplate (navigation, breadcrumb, cookie banner, related
pages sidebar, footer), and stored as a WARC ``response`` record in one ``.warc.gz`` per
language. A quarter of the pages (by hash) are encoded in a legacy charset of their
language while the HTTP header claims UTF-8 (the <meta> tag tells the truth). The truth of
a page is its realdata text: nothing computed by the code under test.

Measured per extractor (our reader with ``extractor: resiliparse`` / ``trafilatura``, and
datatrove's WarcReader + Trafilatura extractor in the peer virtualenv, same files, same run):

* main-text word recall per page: |words(output) ∩ words(truth)| / |words(truth)| (multisets;
  words are \\w+ runs, one per character in Han/Kana/Thai text);
* boilerplate lines kept: boilerplate lines of the page found in the output (lines that also
  occur in the page's main text are not counted);
* language ID (the pipeline's bundled lid.176 model) on the output vs on the clean text;
* CPU seconds and MB/s of uncompressed WARC per core (one process).

A separate file of malformed records (404, PDF, WARC-Truncated, cut record, undecodable
payload, bad HTTP, empty page) ending in a cut gzip member checks that every one of them is
in the reader's rejected records with its reason.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import html
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

DEFAULT_PEER_PYTHON = os.environ.get("BENCH_PEER_PYTHON", "/work/peer-venv/bin/python")
CACHE = os.path.join(HERE, ".cache", "web")
DATE = "2024-05-01T12:00:00Z"

# boilerplate, the same on every page (English, as on many localised sites)
NAV = ["Project home page", "Documentation index", "Download the installer", "Community forums",
       "Report a problem", "Security advisories", "Donate to the project"]
BREADCRUMB = "You are here: Home › Manuals › Current page"
COOKIE = ["We use cookies to improve your browsing experience and to analyse site traffic.",
          "By clicking Accept all you consent to our use of cookies.", "Accept all", "Manage preferences"]
RELATED = ["Related pages", "Getting started with the desktop", "Frequently asked questions",
           "Release notes for this version", "Mailing list archives"]
FOOTER = ["Copyright © 1997-2024 Software in the Public Interest, Inc. and others.",
          "Privacy policy · Terms of use · Trademark guidelines", "This page was last modified on 1 May 2024.",
          "Follow us on Mastodon"]
BOILERPLATE = NAV + [BREADCRUMB] + COOKIE + RELATED + FOOTER

LEGACY = {"ru": "cp1251", "uk": "cp1251", "bg": "cp1251", "sr": "cp1251", "ja": "shift_jis", "ko": "euc_kr",
          "zh-Hans": "gb18030", "zh-Hant": "big5", "el": "cp1253", "cs": "iso8859_2", "pl": "iso8859_2",
          "hu": "iso8859_2", "hr": "iso8859_2", "sl": "iso8859_2", "de": "cp1252", "fr": "cp1252",
          "es": "cp1252", "it": "cp1252", "pt": "cp1252", "nl": "cp1252", "sv": "cp1252", "da": "cp1252",
          "fi": "cp1252", "ca": "cp1252", "gl": "cp1252", "pt-BR": "cp1252", "id": "cp1252", "en": "cp1252",
          "lv": "cp1257", "lt": "cp1257", "tr": "cp1254", "vi": "cp1258", "fa": "cp1256"}

_WORD = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]|[^\W\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]+")


def words(text: str) -> collections.Counter:
    return collections.Counter(_WORD.findall(unicodedata.normalize("NFC", text).lower()))


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


# ---------------------------------------------------------------------------- pages


def _blocks(text: str) -> list[list[str]]:
    return [[l.strip() for l in b.splitlines() if l.strip()] for b in text.split("\n\n") if b.strip()]


def _main_html(text: str) -> str:
    blocks = _blocks(text)
    out = [f"<h1>{html.escape(blocks[0][0])}</h1>"]
    rest = [blocks[0][1:]] if len(blocks[0]) > 1 else []
    for block in rest + blocks[1:]:
        if len(block) == 1:
            out.append(f"<p>{html.escape(block[0])}</p>")
        else:  # several lines: a list (Debian manuals' lists and <pre> blocks become lines)
            out.append("<ul>" + "".join(f"<li>{html.escape(l)}</li>" for l in block) + "</ul>")
    return "\n".join(out)


def render_page(page: dict, template: int, charset: str) -> str:
    title = html.escape(_blocks(page["text"])[0][0])
    lang = page["lang"]
    main = _main_html(page["text"])
    nav = "".join(f'<li><a href="/{i}">{t}</a></li>' for i, t in enumerate(NAV))
    related = f"<h3>{RELATED[0]}</h3><ul>" + "".join(f'<li><a href="/r{i}">{t}</a></li>'
                                                    for i, t in enumerate(RELATED[1:])) + "</ul>"
    footer = "".join(f"<p>{t}</p>" for t in FOOTER)
    cookie = (f'<p>{COOKIE[0]} {COOKIE[1]}</p><button class="accept">{COOKIE[2]}</button>'
              f'<button class="settings">{COOKIE[3]}</button>')
    head = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{charset}"><title>{title} – Manuals</title>'
            '<link rel="stylesheet" href="/style.css"><script>window.dataLayer=[];function gtag(){}</script></head>')
    if template == 0:
        body = (f'<body><header><a class="logo" href="/">Project</a><nav class="menu"><ul>{nav}</ul></nav></header>'
                f'<div class="breadcrumb">{BREADCRUMB}</div>'
                f'<div id="cookie-banner" class="cookie-consent">{cookie}</div>'
                f'<main><article>{main}</article></main><aside class="sidebar">{related}</aside>'
                f'<footer class="site-footer">{footer}</footer></body></html>')
    elif template == 1:
        body = (f'<body><div id="wrapper"><div class="header"><div class="navbar"><ul class="nav">{nav}</ul></div>'
                f'</div><div class="crumbs">{BREADCRUMB}</div><div class="row"><div class="col-md-9 content">'
                f'<div class="post"><div class="entry-content">{main}</div></div></div>'
                f'<div class="col-md-3 widget-area">{related}</div></div>'
                f'<div class="footer">{footer}</div></div>'
                f'<div class="cc-window cc-banner" role="dialog" aria-label="cookieconsent">{cookie}</div>'
                '<script>document.querySelector(".cc-window").style.display="block";</script></body></html>')
    elif template == 3:  # a documentation theme with a OneTrust cookie banner
        crumbs = '<a href="/">Docs</a> » <a href="/manual/">Manual</a> » ' + title
        body = (f'<body class="wy-body-for-nav"><div class="wy-grid-for-nav"><nav data-toggle="wy-nav-shift" '
                f'class="wy-nav-side"><div class="wy-side-scroll"><ul class="current">{nav}</ul></div></nav>'
                f'<section class="wy-nav-content-wrap"><div class="wy-nav-content"><div class="rst-content">'
                f'<div role="navigation" aria-label="breadcrumbs navigation"><p>{BREADCRUMB}</p><p>{crumbs}</p></div>'
                f'<div itemprop="articleBody">{main}</div><div class="rst-footer-buttons">{related}</div>'
                f'<footer>{footer}</footer></div></div></section></div>'
                f'<div id="onetrust-consent-sdk"><div id="onetrust-banner-sdk" class="otFlat">'
                f'<div id="onetrust-policy-text">{COOKIE[0]} {COOKIE[1]}</div>'
                f'<button id="onetrust-accept-btn-handler">{COOKIE[2]}</button>'
                f'<button id="onetrust-pc-btn-handler">{COOKIE[3]}</button></div></div></body></html>')
    else:
        body = (f'<body><div class="gdpr-notice">{cookie}</div><table width="100%"><tr>'
                f'<td class="left" valign="top" width="200"><ul>{nav}</ul>{related}</td>'
                f'<td valign="top"><p class="path">{BREADCRUMB}</p>{main}</td></tr></table>'
                f'<div id="bottom">{footer}</div></body></html>')
    return head + body


# ---------------------------------------------------------------------------- WARC files


def choose_pages(n_langs: int, per_lang: int) -> list[dict]:
    import realdata

    by_lang = collections.defaultdict(list)
    for page in realdata.docs(split="test"):
        if len(_blocks(page["text"])) >= 3:
            by_lang[page["lang"]].append(page)
    langs = sorted(by_lang, key=lambda l: (-len(by_lang[l]), l))[:n_langs]
    chosen = []
    for lang in sorted(langs):
        pages = sorted(by_lang[lang], key=lambda p: _hash(p["id"]))[:per_lang]
        chosen += pages
    return chosen


def build_warcs(pages: list[dict], folder: str) -> dict[str, dict]:
    """One .warc.gz per language; returns url -> {page, charset, template}."""
    from pipeline.io.warc import http_response, warc_record

    os.makedirs(folder, exist_ok=True)
    truth = {}
    per_lang = collections.defaultdict(list)
    for page in pages:
        h = _hash(page["id"])
        template, legacy = h % 4, (h >> 8) % 4 == 0
        charset = LEGACY.get(page["lang"], "utf-8") if legacy else "utf-8"
        text = render_page(page, template, charset)
        try:
            body = text.encode(charset)
        except UnicodeEncodeError:
            charset, body = "utf-8", render_page(page, template, "utf-8").encode("utf-8")
        url = f"https://docs.example.org/{page['lang']}/{page['id'].replace('/', '_')}"
        block = http_response(body, 200, {"Content-Type": "text/html; charset=UTF-8", "Server": "nginx"})
        rid = f"urn:uuid:{hashlib.sha256(url.encode()).hexdigest()[:32]}"
        per_lang[page["lang"]].append(gzip.compress(warc_record("response", url, block, DATE, rid), mtime=0))
        truth[url] = {"lang": page["lang"], "text": page["text"], "charset": charset, "template": template}
    for lang, records in per_lang.items():
        with open(os.path.join(folder, f"docs-{lang}.warc.gz"), "wb") as f:
            f.write(b"".join(records))
    return truth


def build_malformed(path: str) -> dict[int, str]:
    """A .warc.gz of bad records; returns record number -> the reason the reader must give."""
    from pipeline.io.warc import http_response, warc_record

    page = "<html><body><main><p>" + "A valid page with enough words to be kept. " * 5 + "</p></main></body></html>"
    ok = http_response(page.encode())
    records = [
        (warc_record("warcinfo", "", b"software: bench\r\n", DATE, "urn:uuid:m0"), None),
        (warc_record("response", "https://m.example/ok", ok, DATE, "urn:uuid:m1"), None),
        (warc_record("response", "https://m.example/404", http_response(page.encode(), 404), DATE, "urn:uuid:m2"),
         "http_status: 404"),
        (warc_record("response", "https://m.example/pdf", http_response(b"%PDF-1.7", 200,
                     {"Content-Type": "application/pdf"}), DATE, "urn:uuid:m3"), "not_html: application/pdf"),
        (warc_record("response", "https://m.example/cut", ok, DATE, "urn:uuid:m4", {"WARC-Truncated": "length"}),
         "truncated_record: WARC-Truncated: length"),
        (warc_record("response", "https://m.example/bin", http_response(b"\xff\xfe<\x00x", 200,
                     {"Content-Type": "text/html"}), DATE, "urn:uuid:m5"), "undecodable_payload: no charset decodes it"),
        (warc_record("response", "https://m.example/gz", http_response(b"\x1f\x8bxx", 200, {
            "Content-Type": "text/html", "Content-Encoding": "gzip"}), DATE, "urn:uuid:m6"),
         "undecodable_payload: Content-Encoding gzip: error"),
        (warc_record("response", "https://m.example/nohttp", b"garbage", DATE, "urn:uuid:m7"),
         "invalid_http: no status line"),
        (warc_record("response", "https://m.example/empty", http_response(b"<html><body></body></html>"), DATE,
                     "urn:uuid:m8"), "empty_text"),
    ]
    whole = warc_record("response", "https://m.example/short", ok, DATE, "urn:uuid:m9")
    records.append((whole[: len(whole) - 40], "invalid_record"))  # Content-Length says more than there is
    data = b"".join(gzip.compress(r, mtime=0) for r, _ in records)
    last = gzip.compress(warc_record("response", "https://m.example/lost", ok, DATE, "urn:uuid:m10"), mtime=0)
    with open(path, "wb") as f:
        f.write(data + last[: len(last) // 2])
    expected = {i + 1: reason for i, (_, reason) in enumerate(records) if reason}
    expected[len(records) + 1] = "truncated_file"  # the record after the lying one: its header is swallowed
    return expected


# ---------------------------------------------------------------------------- scoring


def score(outputs: dict[str, str], truth: dict[str, dict], lid) -> dict:
    """Per language and overall: word recall, boilerplate kept, language ID accuracy."""
    rows = collections.defaultdict(lambda: collections.defaultdict(list))
    for url, t in sorted(truth.items()):
        out = outputs.get(url, "")
        want = words(t["text"])
        got = words(out)
        recall = sum((want & got).values()) / max(1, sum(want.values()))
        main_lines = {l.strip() for l in t["text"].splitlines()}
        bp = [b for b in BOILERPLATE if b not in main_lines and b not in t["text"]]
        kept = sum(1 for b in bp if b in out)
        base = t["lang"].split("-")[0]
        r = rows[t["lang"]]
        r["recall"].append(recall)
        r["bp_kept"].append(kept)
        r["bp_total"].append(len(bp))
        r["lid_out"].append(lid.predict_one(out).lang.split("-")[0] == base)
        r["lid_clean"].append(lid.predict_one(t["text"]).lang.split("-")[0] == base)
        r["missing"].append(url not in outputs)
    return rows


def summarize(rows) -> dict:
    allr = collections.defaultdict(list)
    for r in rows.values():
        for k, v in r.items():
            allr[k] += v
    return {"pages": len(allr["recall"]), "mean_recall": sum(allr["recall"]) / len(allr["recall"]),
            "min_recall": min(allr["recall"]),
            "pages_ge95": sum(1 for x in allr["recall"] if x >= 0.95) / len(allr["recall"]),
            "bp_kept": sum(allr["bp_kept"]) / max(1, sum(allr["bp_total"])),
            "lid_out": sum(allr["lid_out"]) / len(allr["lid_out"]),
            "lid_clean": sum(allr["lid_clean"]) / len(allr["lid_clean"]), "missing": sum(allr["missing"])}


# ---------------------------------------------------------------------------- runs


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_ours(files: list[str], extractor: str) -> tuple[dict[str, str], float, float, collections.Counter]:
    from pipeline.config.sources import SourceConfig
    from pipeline.io.readers import InputFile, read_file
    from pipeline.records import Doc

    source = SourceConfig(name="bench", paths=["unused"], extractor=extractor)
    outputs, rejected = {}, collections.Counter()
    cpu0, wall0 = _cpu(), time.perf_counter()
    for path in files:
        for record in read_file(source, InputFile(0, path, os.path.basename(path), "warc")):
            if isinstance(record, Doc):
                outputs[record.metadata["url"]] = record.text
            else:
                rejected[record.reason.split(":")[0]] += 1
    return outputs, _cpu() - cpu0, time.perf_counter() - wall0, rejected


def run_parsers(files: list[str]) -> dict[str, float]:
    """CPU seconds to iterate every record and read its block: FastWARC and warcio,
    on our decompressed stream (what the reader does) and on the file directly."""
    from fastwarc.warc import ArchiveIterator as FastIterator
    from warcio.archiveiterator import ArchiveIterator as WarcioIterator

    from pipeline.io.readers import _chunks
    from pipeline.io.warc import _ChunkStream

    def fast(stream):
        return sum(len(r.reader.read()) for r in FastIterator(stream, parse_http=False))

    def warcio(stream):
        return sum(len(r.raw_stream.read()) for r in WarcioIterator(stream, no_record_parse=True))

    out = {}
    for name, fn in (("fastwarc", fast), ("warcio", warcio)):
        for how in ("stream", "file"):
            cpu0 = _cpu()
            total = 0
            for path in files:
                if how == "stream":
                    total += fn(_ChunkStream(_chunks(path)))
                else:
                    with open(path, "rb") as f:
                        total += fn(f)
            out[f"{name}/{how}"] = _cpu() - cpu0
    return out


def run_datatrove(peer_python: str, folder: str) -> tuple[dict[str, str], float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "result.json")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
        subprocess.run([peer_python, os.path.abspath(__file__), "--worker", folder, tmp, result], check=True,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(result, encoding="utf-8") as f:
            r = json.load(f)
    return r["outputs"], r["cpu"], r["wall"], r["versions"]


def datatrove_worker(folder: str, tmp: str, result: str) -> None:
    """Runs in the peer venv: WarcReader -> Trafilatura -> JsonlWriter, one task, one worker."""
    from importlib.metadata import version

    import trafilatura
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter

    out_dir = os.path.join(tmp, "out")
    cpu0, wall0 = _cpu(), time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[WarcReader(folder, glob_pattern="*.warc.gz"), Trafilatura(favour_precision=True, timeout=10.0),
                  JsonlWriter(out_dir, compression=None)],
        tasks=1, workers=1, logging_dir=os.path.join(tmp, "logs")).run()
    cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
    outputs = {}
    for name in sorted(os.listdir(out_dir)):
        with open(os.path.join(out_dir, name), encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                outputs[doc["metadata"]["url"]] = doc["text"]
    with open(result, "w", encoding="utf-8") as f:
        json.dump({"outputs": outputs, "cpu": cpu, "wall": wall,
                   "versions": f"datatrove {version('datatrove')}, trafilatura {trafilatura.__version__}"}, f)


# ---------------------------------------------------------------------------- report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--langs", type=int, default=26)
    ap.add_argument("--pages", type=int, default=12, help="pages per language")
    ap.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "web.md"))
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        datatrove_worker(*args.worker)
        return 0

    from machine import cpu_model

    from pipeline.config.langid import LangIdConfig
    from pipeline.io.readers import InputFile, read_file
    from pipeline.config.sources import SourceConfig
    from pipeline.records import Rejected
    from pipeline.stages.langid_core import LanguageIdentifier

    pages = choose_pages(args.langs, args.pages)
    folder = os.path.join(CACHE, "warc")
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
    truth = build_warcs(pages, folder)
    files = sorted(os.path.join(folder, n) for n in os.listdir(folder))
    raw_mb = sum(len(gzip.decompress(open(p, "rb").read())) for p in files) / 1e6
    gz_mb = sum(os.path.getsize(p) for p in files) / 1e6
    lid = LanguageIdentifier.from_config(LangIdConfig())

    runs = {}
    for extractor in ("resiliparse", "trafilatura"):
        outputs, cpu, wall, rejected = run_ours(files, extractor)
        runs[f"ours, extractor: {extractor}"] = (outputs, cpu, wall, dict(rejected))
    peer_note = ""
    if os.path.exists(args.peer_python):
        outputs, cpu, wall, versions = run_datatrove(args.peer_python, folder)
        runs["datatrove WarcReader + Trafilatura"] = (outputs, cpu, wall, {})
        peer_note = versions
    parsers = run_parsers(files)

    malformed_path = os.path.join(CACHE, "malformed.warc.gz")
    expected = build_malformed(malformed_path)
    got = {r.line: r.reason for r in read_file(SourceConfig(name="bench", paths=["x"]),
                                               InputFile(0, malformed_path, "malformed.warc.gz", "warc"))
           if isinstance(r, Rejected)}
    accounted = {n: (got.get(n, "").startswith(reason)) for n, reason in expected.items()}

    from importlib.metadata import version

    lines = ["# Web crawl input: WARC to text", "",
             f"`python benchmarks/bench_web.py --langs {args.langs} --pages {args.pages}`; machine: {cpu_model()}, "
             f"{os.cpu_count()} CPUs (shared); one process per run, CPU seconds of that process and its children.", "",
             f"Input: {len(truth)} real documentation pages (benchmarks/realdata.py, split \"test\"), "
             f"{len({t['lang'] for t in truth.values()})} languages, rendered into 4 HTML templates with navigation, "
             f"breadcrumb, cookie banner, sidebar and footer ({len(BOILERPLATE)} boilerplate lines per page); "
             f"{sum(1 for t in truth.values() if t['charset'] != 'utf-8')} pages in a legacy charset under an HTTP "
             f"header that says UTF-8. {len(files)} `.warc.gz` files, {gz_mb:.1f} MB compressed, {raw_mb:.1f} MB of "
             "WARC records. The extractors run as shipped in pipeline/io/html.py. The furniture rules of the "
             "resiliparse extractor were written while looking at templates 0-2 of this benchmark; template 3 was "
             "added after they were fixed, and no page text was used to tune anything.", "",
             f"Versions: resiliparse {version('resiliparse')}, fastwarc {version('fastwarc')}, "
             f"trafilatura {version('trafilatura')}, warcio {version('warcio')}" + (f"; peer: {peer_note}" if peer_note else
                                                             "; peer: not run (no peer virtualenv)") + ". The peer virtualenv needs three packages that "
             "`datatrove[processing]` does not install: faust-cchardet and python-magic (WarcReader) and "
             "lxml_html_clean (its trafilatura).", "",
             "## Quality and speed", "",
             "| run | pages with output | mean word recall | min recall | pages ≥ 95% recall | boilerplate lines kept "
             "| lang ID on output | lang ID on clean text | CPU s | wall s | MB/s per core |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    per_lang = {}
    for name, (outputs, cpu, wall, rejected) in runs.items():
        rows = score(outputs, truth, lid)
        per_lang[name] = rows
        s = summarize(rows)
        lines.append(f"| {name} | {s['pages'] - s['missing']}/{s['pages']} | {100 * s['mean_recall']:.1f}% | "
                     f"{100 * s['min_recall']:.1f}% | {100 * s['pages_ge95']:.1f}% | {100 * s['bp_kept']:.2f}% | "
                     f"{100 * s['lid_out']:.1f}% | {100 * s['lid_clean']:.1f}% | {cpu:.1f} | {wall:.1f} | {raw_mb / cpu:.2f} |")
    lines += ["", "## Per page template: mean word recall / boilerplate lines kept", "",
              "| template | pages | " + " | ".join(per_lang) + " |", "|---|---:|" + "---:|" * len(per_lang)]
    names = ["0: HTML5 (nav, main, aside, footer)", "1: nested divs (class names)", "2: table layout, no class names",
             "3: docs theme + OneTrust banner (held out from the rules)"]
    for template, label in enumerate(names):
        subset = {u: t for u, t in truth.items() if t["template"] == template}
        cells = []
        for name, (outputs, *_rest) in runs.items():
            s = summarize(score(outputs, subset, lid))
            cells.append(f"{100 * s['mean_recall']:.1f}% / {100 * s['bp_kept']:.1f}%")
        lines.append(f"| {label} | {len(subset)} | " + " | ".join(cells) + " |")
    lines += ["", "MB/s per core = MB of uncompressed WARC records / CPU seconds of the run (reading, "
              "decompressing, parsing, charset detection, extraction).", "",
              "## Per language: mean word recall / boilerplate lines kept", "",
              "| language | pages | " + " | ".join(per_lang) + " |",
              "|---|---:|" + "---:|" * len(per_lang)]
    for lang in sorted({t["lang"] for t in truth.values()}):
        cells = []
        for name in per_lang:
            r = per_lang[name][lang]
            cells.append(f"{100 * sum(r['recall']) / len(r['recall']):.1f}% / "
                         f"{100 * sum(r['bp_kept']) / max(1, sum(r['bp_total'])):.1f}%")
        lines.append(f"| {lang} | {len(per_lang[next(iter(per_lang))][lang]['recall'])} | " + " | ".join(cells) + " |")
    lines += ["", "## WARC parsing alone", "",
              "CPU seconds to iterate every record of the same files and read its block (no HTTP parsing, no "
              "extraction): through the pipeline's own gzip stream (what the reader does, so that a cut member is "
              "noticed) and with the library reading the file itself.", "",
              "| library | via the pipeline's stream | library reads the file |", "|---|---:|---:|"]
    for lib in ("fastwarc", "warcio"):
        lines.append(f"| {lib} | {parsers[lib + '/stream']:.2f} s ({raw_mb / parsers[lib + '/stream']:.0f} MB/s) | "
                     f"{parsers[lib + '/file']:.2f} s ({raw_mb / parsers[lib + '/file']:.0f} MB/s) |")
    lines += ["", "## Malformed records", "",
              f"`{os.path.basename(malformed_path)}`: {len(expected)} bad records (the last one a gzip member cut "
              "in half) among good ones; each must be in the reader's rejected records with its reason.", "",
              "| record | expected reason | reader's reason | accounted |", "|---:|---|---|---|"]
    for n, reason in sorted(expected.items()):
        lines.append(f"| {n} | `{reason}` | `{got.get(n, '(none)')[:70]}` | {'yes' if accounted[n] else 'NO'} |")
    lines.append("")
    lines.append(f"{sum(accounted.values())} of {len(expected)} malformed records accounted for.")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
