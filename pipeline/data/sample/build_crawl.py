#!/usr/bin/env python
"""Builds crawl/crawl.warc.gz, the demo's small web crawl, from the sample's own sentences.

    python pipeline/data/sample/build_crawl.py      # rewrites pipeline/data/sample/crawl/crawl.warc.gz

Pages are made from the good sentence pairs of parallel/en-*.tsv (the target-language side;
English pages from the English side), so their text is the sample's and no page duplicates a
JSONL document. Each page is rendered into HTML with the boilerplate of a real site
(navigation, breadcrumb, cookie banner, related-pages sidebar, footer) and stored as a WARC
``response`` record after a ``request`` record, one gzip member per record, behind a
``warcinfo`` record. Planted cases (listed in planted.json):

* an older crawl of one URL (``url:duplicate``: the latest crawl is kept);
* a 404 page, a PDF, and a record the crawler marked ``WARC-Truncated`` (rejected);
* a page in windows-1251 under an HTTP header that claims UTF-8 (decoded as windows-1251).

The output is byte-for-byte reproducible (fixed dates, ids and gzip timestamps).
"""

from __future__ import annotations

import gzip
import html
import json
import os
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(HERE))))

from pipeline.io.warc import http_response, warc_record  # noqa: E402

OUT = os.path.join(HERE, "crawl", "crawl.warc.gz")
SITE = "https://www.example.org"
NAV = ["Home", "News", "Guides", "Community", "About us", "Contact"]
COOKIE = ("This site uses cookies to remember your preferences and to measure traffic. "
          "You can change your choice at any time in the privacy settings.")
FOOTER = ["© 2024 Example Association. All rights reserved.", "Privacy · Terms of use · Imprint"]
RELATED = ["Related pages", "How to join the association", "Opening hours and directions", "Annual report 2023"]
# (language, page number, title, first sentence, last sentence): sentences are 1-based pair numbers
PAGES = [("de", 1, "Alltag in der Stadt", 1, 15), ("de", 2, "Arbeit und Freizeit", 16, 30),
         ("fr", 1, "La vie en ville", 1, 15), ("fr", 2, "Travail et loisirs", 16, 30),
         ("es", 1, "La vida en la ciudad", 1, 15), ("ru", 1, "Жизнь в городе", 1, 15),
         ("ja", 1, "街の暮らし", 1, 15), ("en", 1, "Life in the city", 16, 30)]
LEGACY = {("ru", 1): "windows-1251"}
DATES = ("2024-02-01T08:00:00Z", "2024-06-01T08:00:00Z")


def sentences(lang: str) -> list[str]:
    """The 30 good pairs' sentences of a language, in file order (English from en-de.tsv);
    the planted bad pairs (planted.json, bitext_bad) are left out."""
    name = f"parallel/en-{'de' if lang == 'en' else lang}.tsv"
    with open(os.path.join(HERE, "planted.json"), encoding="utf-8") as f:
        bad = {b["line"] for b in json.load(f)["bitext_bad"] if b["file"] == name}
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for n, line in enumerate(f, 1) if n > 1 and n not in bad]
    return [row[0] if lang == "en" else row[1] for row in rows]


def render(lang: str, title: str, paragraphs: list[str], charset: str) -> str:
    nav = "".join(f'<li><a href="/{i}">{t}</a></li>' for i, t in enumerate(NAV))
    related = "".join(f'<li><a href="/r{i}">{t}</a></li>' for i, t in enumerate(RELATED[1:]))
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{charset}"><title>{html.escape(title)} | '
            'Example Association</title><script>var _paq = window._paq || [];</script></head><body>'
            f'<header><a class="logo" href="/">Example Association</a><nav><ul>{nav}</ul></nav></header>'
            '<div class="breadcrumb"><a href="/">Home</a> › <a href="/guides">Guides</a></div>'
            f'<div id="cookie-banner" class="cookie-consent"><p>{COOKIE}</p><button>Accept</button>'
            '<button>Settings</button></div>'
            f'<main><article><h1>{html.escape(title)}</h1>\n{body}</article></main>'
            f'<aside class="sidebar"><h3>{RELATED[0]}</h3><ul>{related}</ul></aside>'
            f'<footer>{"".join(f"<p>{t}</p>" for t in FOOTER)}</footer></body></html>')


def rid(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'mixture-sample-crawl/' + name)}"


def response(url: str, block: bytes, date: str, name: str, extra: dict | None = None) -> list[bytes]:
    request = f"GET {url[len(SITE):] or '/'} HTTP/1.1\r\nHost: www.example.org\r\nUser-Agent: sample-crawler\r\n\r\n"
    return [warc_record("request", url, request.encode(), date, rid(name + "/request")),
            warc_record("response", url, block, date, rid(name), extra)]


def build() -> bytes:
    records = [warc_record("warcinfo", "", b"software: pipeline/data/sample/build_crawl.py\r\nformat: WARC/1.1\r\n",
                           DATES[0], rid("warcinfo"))]
    for lang, number, title, first, last in PAGES:
        charset = LEGACY.get((lang, number), "utf-8")
        text = sentences(lang)[first - 1:last]
        joiner = "" if lang == "ja" else " "
        paragraphs = [joiner.join(text[i:i + 3]) for i in range(0, len(text), 3)]
        url = f"{SITE}/{lang}/guides/{number}"
        if (lang, number) == ("de", 1):  # an older crawl of the same URL, with the first paragraphs only
            old = render(lang, title, paragraphs[:2], "utf-8").encode("utf-8")
            records += response(url, http_response(old), DATES[0], f"{lang}-{number}-old")
        page = render(lang, title, paragraphs, charset).encode(charset, "xmlcharrefreplace")
        block = http_response(page, 200, {"Content-Type": "text/html; charset=UTF-8", "Content-Language": lang})
        records += response(url, block, DATES[1], f"{lang}-{number}")
    records += response(f"{SITE}/de/missing", http_response(b"<html><body>Not found</body></html>", 404),
                        DATES[1], "missing")
    records += response(f"{SITE}/files/report.pdf",
                        http_response(b"%PDF-1.7\n% sample\n", 200, {"Content-Type": "application/pdf"}),
                        DATES[1], "pdf")
    big = render("en", "Photo gallery", sentences("en")[:6], "utf-8").encode("utf-8")
    records += response(f"{SITE}/en/gallery", http_response(big), DATES[1], "gallery", {"WARC-Truncated": "length"})
    return b"".join(gzip.compress(r, mtime=0) for r in records)


def main() -> int:
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    data = build()
    with open(OUT, "wb") as f:
        f.write(data)
    print(f"wrote {OUT} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
