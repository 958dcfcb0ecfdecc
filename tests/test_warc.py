"""Web crawl readers (WARC, WET, ARC-less paths, HTML files) and HTML to text."""

import gzip
import zlib

import pytest

from pipeline.config.sources import SourceConfig, infer_format
from pipeline.io.html import decode_html, extract_text, page_hints
from pipeline.io.readers import InputFile, derived_id, read_file
from pipeline.io.warc import http_response, warc_record
from pipeline.records import Doc, Rejected

DATE = "2024-03-01T10:00:00Z"
MAIN = ("Dieses Kapitel beschreibt, wie man das System auf einem Rechner installiert und einrichtet.",
        "Bevor Sie beginnen, sichern Sie bitte alle Daten, da die Partitionierung Daten löschen kann.")


def page(title="Installation", lang="de", body=MAIN) -> str:
    paragraphs = "".join(f"<p>{p}</p>\n" for p in body)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            '<nav><ul><li><a href="/">Startseite</a></li><li><a href="/docs">Dokumentation</a></li>'
            '<li><a href="/kontakt">Kontakt</a></li></ul></nav>'
            '<div class="cookie-banner" id="cookie-consent"><p>Wir verwenden Cookies. '
            '<a href="/privacy">Mehr erfahren</a></p><button>Alle akzeptieren</button></div>'
            f'<main><article><h1>{title}</h1>\n{paragraphs}</article></main>'
            '<footer><p>© 2024 Beispiel GmbH · <a href="/impressum">Impressum</a> · '
            '<a href="/datenschutz">Datenschutz</a></p></footer></body></html>')


def response(n: int, body: bytes | None = None, status=200, headers=None, extra=None) -> bytes:
    block = http_response(page().encode() if body is None else body, status, headers)
    return warc_record("response", f"https://example.org/{n}", block, DATE, f"urn:uuid:0000-{n}", extra)


def _read(path, fmt="warc", **kw):
    source = SourceConfig(name="crawl", paths=["unused"], **kw)
    return list(read_file(source, InputFile(0, str(path), path.name, fmt)))


def _reasons(out):
    return {r.line: r.reason for r in out if isinstance(r, Rejected)}


def test_format_is_inferred_from_web_file_names():
    assert [infer_format(n) for n in ("a.warc", "a.warc.gz", "a.arc.gz", "CC-MAIN-1.warc.wet.gz", "b.wet",
                                      "p.html", "p.htm")] == ["warc", "warc", "warc", "wet", "wet", "html", "html"]


def test_warc_response_becomes_a_document_with_crawl_metadata(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    info = warc_record("warcinfo", "", b"software: test\r\n", DATE, "urn:uuid:info")
    request = warc_record("request", "https://example.org/1", b"GET /1 HTTP/1.1\r\n\r\n", DATE, "urn:uuid:req")
    path.write_bytes(b"".join(gzip.compress(r) for r in (info, request, response(1))))
    (doc,) = _read(path)
    assert doc.id == "urn:uuid:0000-1"
    assert doc.text.splitlines() == ["Installation", *MAIN]
    assert doc.metadata == {
        "url": "https://example.org/1", "crawl_date": DATE, "warc_record_id": "urn:uuid:0000-1",
        "content_type": "text/html", "http_status": 200, "charset": "utf-8", "title": "Installation",
        "html_lang": "de", "content_language": "", "input_file": "crawl.warc.gz", "input_line": 3}


def test_every_unusable_response_is_rejected_with_its_reason_and_record_number(tmp_path):
    corrupt_gzip = http_response(b"\x1f\x8b not really gzip", 200,
                                 {"Content-Type": "text/html", "Content-Encoding": "gzip"})
    odd_utf16 = http_response(b"\xff\xfe<\x00h\x00" + b"x", 200, {"Content-Type": "text/html"})
    records = [
        response(1),                                                             # 1 kept
        response(2, status=404),                                                 # 2
        response(3, b"%PDF-1.4 binary", headers={"Content-Type": "application/pdf"}),  # 3
        response(4, extra={"WARC-Truncated": "length"}),                         # 4
        warc_record("response", "https://example.org/5", corrupt_gzip, DATE, "urn:uuid:5"),  # 5
        warc_record("response", "https://example.org/6", odd_utf16, DATE, "urn:uuid:6"),     # 6
        warc_record("response", "https://example.org/7", b"not http at all", DATE, "urn:uuid:7"),  # 7
        response(8, b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),  # 8 nothing to keep
        response(9),                                                             # 9 kept
    ]
    path = tmp_path / "bad.warc"
    path.write_bytes(b"".join(records))
    out = _read(path)
    assert [d.metadata["url"] for d in out if isinstance(d, Doc)] == ["https://example.org/1", "https://example.org/9"]
    assert _reasons(out) == {
        2: "http_status: 404", 3: "not_html: application/pdf", 4: "truncated_record: WARC-Truncated: length",
        5: "undecodable_payload: Content-Encoding gzip: error", 6: "undecodable_payload: no charset decodes it",
        7: "invalid_http: no status line", 8: "empty_text"}
    assert all(r.file == "bad.warc" and r.source == "crawl" for r in out if isinstance(r, Rejected))


def test_truncated_warc_gz_keeps_the_records_before_the_damage(tmp_path):
    data = b"".join(gzip.compress(response(n)) for n in range(1, 41))
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[: len(data) // 2])
    out = _read(path)
    docs = [r for r in out if isinstance(r, Doc)]
    rejected = [r for r in out if isinstance(r, Rejected)]
    assert [d.metadata["input_line"] for d in docs] == list(range(1, len(docs) + 1))
    assert 15 <= len(docs) < 40
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [(len(docs) + 1, "truncated_file")]


def test_uncompressed_warc_cut_inside_a_record_or_its_header(tmp_path):
    whole = response(1) + response(2)
    body_cut = tmp_path / "body.warc"
    body_cut.write_bytes(whole[: len(whole) - 100])
    out = _read(body_cut)
    assert isinstance(out[0], Doc)
    declared = len(response(2).split(b"\r\n\r\n", 1)[1]) - 4  # the block, without the closing CRLF CRLF
    assert _reasons(out) == {2: f"truncated_record: {declared - 96} of {declared} bytes"}
    head_cut = tmp_path / "head.warc"
    head_cut.write_bytes(response(1) + response(2)[:30])
    assert _reasons(_read(head_cut)) == {2: "invalid_record: no Content-Length header"}


def test_garbage_between_records_rejects_the_rest_of_the_file(tmp_path):
    path = tmp_path / "garbage.warc"
    path.write_bytes(response(1) + b"this is not a WARC header\r\n\r\n" + response(2))
    out = _read(path)
    assert [(r.line, r.reason[:30]) for r in out] == [(1, "invalid_record: not followed b"),
                                                      (2, "truncated_file: OSError: Inval")]


def test_a_record_whose_content_length_is_too_large_is_not_trusted(tmp_path):
    short = response(2)[:-40]  # declares 36 bytes more than it has: swallows the next header
    path = tmp_path / "lying.warc.gz"
    path.write_bytes(b"".join(gzip.compress(r) for r in (response(1), short, response(3), response(4))))
    out = _read(path)
    assert isinstance(out[0], Doc) and out[0].metadata["url"] == "https://example.org/1"
    assert [(r.line, r.reason.split(":")[0]) for r in out[1:]] == [(2, "invalid_record"), (3, "truncated_file")]


def test_chunked_and_gzip_encoded_payload_and_a_lying_charset(tmp_path):
    html = page().encode("utf-8")
    gz = gzip.compress(html)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(gz[i:i + 100]), gz[i:i + 100]) for i in range(0, len(gz), 100)) + b"0\r\n\r\n"
    encoded = http_response(chunked, 200, {"Content-Type": "text/html; charset=utf-8", "Transfer-Encoding": "chunked",
                                           "Content-Encoding": "gzip", "Content-Language": "de-AT"})
    latin = page(title="Grüße aus Köln").replace('<meta charset="utf-8">', "").encode("cp1252")
    lying = http_response(latin, 200, {"Content-Type": "text/html; charset=utf-8"})
    path = tmp_path / "enc.warc"
    path.write_bytes(warc_record("response", "https://example.org/a", encoded, DATE, "urn:uuid:a")
                     + warc_record("response", "https://example.org/b", lying, DATE, "urn:uuid:b"))
    a, b = _read(path)
    assert a.text.splitlines() == ["Installation", *MAIN]
    assert a.metadata["content_language"] == "de-AT"
    assert b.metadata["charset"] == "cp1252" and b.metadata["title"] == "Grüße aus Köln"
    assert b.text.splitlines()[0] == "Grüße aus Köln"


def test_wet_conversion_records(tmp_path):
    text = "Erste Zeile des Textes.\n\nZweite Zeile des Textes.\n".encode()
    path = tmp_path / "crawl.warc.wet.gz"
    path.write_bytes(gzip.compress(
        warc_record("warcinfo", "", b"x: y\r\n", DATE, "urn:uuid:i")
        + warc_record("conversion", "https://example.org/w", text, DATE, "urn:uuid:w",
                      {"WARC-Identified-Content-Language": "deu"})
        + warc_record("conversion", "https://example.org/bad", b"caf\xe9", DATE, "urn:uuid:bad")))
    out = _read(path, "wet")
    assert out[0].text == "Erste Zeile des Textes.\nZweite Zeile des Textes."
    assert out[0].metadata["content_language"] == "deu" and out[0].metadata["content_type"] == "text/plain"
    assert _reasons(out) == {3: "invalid_utf8"}


@pytest.mark.parametrize("extractor", ["resiliparse", "trafilatura"])
def test_html_file_and_both_extractors_drop_the_boilerplate(tmp_path, extractor):
    path = tmp_path / "page.html"
    path.write_text(page(), encoding="utf-8")
    (doc,) = _read(path, "html", extractor=extractor)
    assert doc.id == "crawl-page.html"
    assert doc.text.splitlines() == ["Installation", *MAIN]
    assert doc.metadata["html_lang"] == "de" and doc.metadata["title"] == "Installation"


def test_html_file_that_is_not_html_text(tmp_path):
    path = tmp_path / "blob.html"
    path.write_bytes(b"\xff\xfe\x00\xd8")  # UTF-16 BOM, then a lone surrogate
    assert _reasons(_read(path, "html")) == {None: "undecodable_payload: no charset decodes it"}


def test_decode_html_order_bom_utf8_header_meta_detected():
    assert decode_html("é".encode("utf-8"), "iso-8859-1") == ("é", "utf-8")
    assert decode_html(b"\xef\xbb\xbfabc") == ("abc", "utf-8")
    assert decode_html("Käse".encode("cp1252"), "utf-8").charset == "cp1252"
    assert decode_html("Привет мир, это проверка".encode("koi8-r"), "koi8-r") == ("Привет мир, это проверка", "koi8-r")
    assert decode_html(b'<meta charset="windows-1251">' + "Привет".encode("cp1251")).charset == "cp1251"


def test_page_hints_and_extract_text_keep_paragraph_lines():
    html = ('<html xml:lang="fr"><head><title> Le   titre </title><meta http-equiv="Content-Language" '
            'content="fr-CA"></head><body><article><p>Premier paragraphe assez long pour être gardé.</p>'
            '<p>Second paragraphe assez long lui aussi pour être gardé.</p></article></body></html>')
    assert page_hints(html) == ("Le titre", "fr", "fr-CA")
    assert extract_text(html, "resiliparse") == ("Premier paragraphe assez long pour être gardé.\n"
                                                 "Second paragraphe assez long lui aussi pour être gardé.")
    with pytest.raises(ValueError, match="unknown extractor"):
        extract_text(html, "lynx")


def test_zlib_deflate_payload(tmp_path):
    block = http_response(zlib.compress(page().encode()), 200, {"Content-Type": "text/html", "Content-Encoding": "deflate"})
    path = tmp_path / "d.warc"
    path.write_bytes(warc_record("response", "https://example.org/d", block, DATE, "urn:uuid:d"))
    (doc,) = _read(path)
    assert doc.text.splitlines()[0] == "Installation"


def test_resiliparse_extractor_drops_link_lists_and_text_outside_the_content_container():
    main = "".join(f"<p>{p}</p>" for p in MAIN)
    html = ('<html><body><div class="page sidebar-left">'  # a wrapper whose class names furniture
            '<table><tr><td><ul><li><a href="/a">Alpha section</a></li><li><a href="/b">Beta section</a></li>'
            '<li><a href="/c">Gamma section</a></li></ul></td>'
            f'<td><h1>Installation</h1>{main}<ul><li>Schritt eins: das Medium einlegen.</li>'
            '<li>Schritt zwei: den Rechner neu starten.</li></ul></td></tr></table>'
            '<div id="bottom"><p>Alle Rechte vorbehalten.</p></div></div></body></html>')
    assert extract_text(html, "resiliparse").splitlines() == [
        "Installation", *MAIN, "Schritt eins: das Medium einlegen.", "Schritt zwei: den Rechner neu starten."]


def test_a_page_that_is_only_navigation_has_no_text():
    html = "<html><body><nav><a href='/'>Home</a> <a href='/x'>More</a></nav></body></html>"
    assert extract_text(html, "resiliparse") == ""


def test_arc_file_pages_get_ids_derived_from_file_and_record_number(tmp_path):
    def arc_record(url, date, content_type, body):
        return f"{url} 192.0.2.1 {date} {content_type} {len(body)}\n".encode() + body + b"\n"

    head = arc_record("filedesc://crawl.arc", "20240101000000", "text/plain",
                      b"1 0 Sample\nURL IP-address Archive-date Content-type Archive-length\n")
    path = tmp_path / "crawl.arc.gz"
    path.write_bytes(gzip.compress(head) + gzip.compress(
        arc_record("http://example.org/a", "20240102030405", "text/html", http_response(page().encode()))))
    first, second = _read(path), _read(path)
    (doc,) = first
    assert doc.text.splitlines() == ["Installation", *MAIN]
    assert doc.id == second[0].id == derived_id("crawl", "crawl.arc.gz", 2)
    assert (doc.metadata["url"], doc.metadata["crawl_date"], doc.metadata["warc_record_id"]) == (
        "http://example.org/a", "2024-01-02T03:04:05Z", "")


def test_a_page_the_extractor_fails_on_is_rejected_and_the_file_goes_on(tmp_path, monkeypatch):
    import pipeline.io.warc as warc

    def extract(html, extractor):
        if "Kaputt" in html:
            raise RuntimeError("parser gave up")
        return "Text"

    monkeypatch.setattr(warc, "extract_text", extract)
    path = tmp_path / "x.warc"
    path.write_bytes(response(1, b"<html><body><p>Kaputt</p></body></html>") + response(2))
    out = _read(path)
    assert _reasons(out) == {1: "extraction_failed: RuntimeError: parser gave up"}
    assert [d.text for d in out if isinstance(d, Doc)] == ["Text"]
