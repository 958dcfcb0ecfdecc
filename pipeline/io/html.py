"""HTML pages to plain text: charset detection, main-content extraction, title and language hints.

Pure functions, no Beam. Used by the ``warc`` and ``html`` readers (pipeline/io/warc.py).

* :func:`decode_html` turns payload bytes into a string. Headers often lie about the
  charset, so the order is: a byte-order mark; then UTF-8 if the bytes are valid UTF-8
  (a page declared Latin-1 that decodes as UTF-8 is UTF-8 in practice); then the charset
  of the HTTP header, then the one of ``<meta charset>``, then the one resiliparse's
  detector guesses. Each candidate must decode the bytes strictly; if none does, the
  payload is undecodable (the reader rejects it).
* :func:`page_hints` gives the ``<title>``, ``<html lang>`` and
  ``<meta http-equiv="content-language">`` of a page.
* :func:`extract_text` keeps the main content as text with one paragraph (heading,
  list item, preformatted line) per line and no blank lines, with ``resiliparse`` (default, fast) or
  ``trafilatura``; neither fetches anything.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

EXTRACTORS = ("resiliparse", "trafilatura")

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_HTML_MIMES = ("text/html", "application/xhtml+xml")


class Decoded(NamedTuple):
    text: str
    charset: str  # the codec that decoded the bytes, Python's canonical name


def charset_of_content_type(content_type: str | None) -> str | None:
    """``text/html; charset=ISO-8859-1`` -> ``ISO-8859-1``."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def mime_of(content_type: str | None) -> str:
    """The lower-cased media type of a Content-Type header, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_html(content_type: str | None, payload: bytes) -> bool:
    """An HTML payload: declared so, or undeclared and starting like HTML."""
    mime = mime_of(content_type)
    if mime:
        return mime in _HTML_MIMES
    head = payload[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, header_charset: str | None = None) -> Decoded | None:
    """The page as text and the charset that decoded it; None if nothing decodes it."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom):], codec)
            return Decoded(text, codec) if text is not None else None
    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8")
    meta = _META_CHARSET.search(data[:4096])
    candidates = [_codec(header_charset), _codec(meta.group(1).decode("ascii", "replace") if meta else None)]
    from resiliparse.parse.encoding import detect_encoding

    candidates.append(_codec(detect_encoding(data)))
    for codec in candidates:
        if codec is None or codec == "utf-8":
            continue
        if codec == "iso8859-1":  # browsers read "ISO-8859-1" as windows-1252 (HTML5)
            codec = "cp1252"
        text = _strict(data, codec)
        if text is not None:
            return Decoded(text, codec)
    return None


class PageHints(NamedTuple):
    title: str
    html_lang: str
    meta_language: str


def page_hints(html: str) -> PageHints:
    """Title, ``<html lang>`` and ``<meta http-equiv=content-language>`` ("" when absent)."""
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    title = " ".join((tree.title or "").split())
    root = tree.document.query_selector("html")
    lang = (root.getattr("lang") or root.getattr("xml:lang") or "") if root is not None else ""
    meta_lang = ""
    for meta in tree.document.query_selector_all("meta[http-equiv]"):
        if (meta.getattr("http-equiv") or "").lower() == "content-language":
            meta_lang = meta.getattr("content") or ""
            break
    return PageHints(title, lang.strip(), meta_lang.strip())


def _paragraph_lines(text: str) -> str:
    """One paragraph per line: trailing spaces and blank lines removed (both extractors
    agree then; resiliparse separates paragraphs by a blank line, trafilatura does not)."""
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def extract_text(html: str, extractor: str = "resiliparse") -> str:
    """The main text of a page, one paragraph per line; "" when it has none."""
    if extractor == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text

        text = extract_plain_text(html, preserve_formatting=True, main_content=True, list_bullets=False,
                                  alt_texts=False, links=False, form_fields=False, noscript=False,
                                  comments=False)
    elif extractor == "trafilatura":
        import trafilatura

        text = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=True,
                                   include_images=False, include_links=False, with_metadata=False,
                                   fast=False, deduplicate=False) or ""
    else:
        raise ValueError(f"unknown extractor '{extractor}' (use one of: {', '.join(EXTRACTORS)})")
    return _paragraph_lines(text)
