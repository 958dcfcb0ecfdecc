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
    """One paragraph per line: spaces around lines (resiliparse indents list items) and
    blank lines removed, so both extractors agree (resiliparse separates paragraphs by a
    blank line, trafilatura does not)."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


# Page furniture, by element, ARIA role, or a word in its class or id (case-insensitive).
_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form", "noscript", "template", "dialog", "menu")
_FURNITURE_ROLES = ("navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "search",
                    "menu", "menubar")
_FURNITURE_WORDS = ("cookie", "consent", "gdpr", "breadcrumb", "crumbs", "navbar", "navigation", "menu", "sidebar",
                    "widget", "footer", "masthead", "related", "share", "social", "newsletter", "popup", "modal",
                    "banner", "skip-link", "toolbar", "pagination", "comments")
_FURNITURE_SELECTOR = ", ".join(
    list(_FURNITURE_TAGS) + [f'[role="{r}"]' for r in _FURNITURE_ROLES] + ["[hidden]", '[aria-hidden="true"]'])
_FURNITURE_NAME_SELECTOR = ", ".join(f'[{attr}*="{w}" i]' for w in _FURNITURE_WORDS for attr in ("class", "id"))
_BLOCK_TAGS = frozenset(("ul", "ol", "dl", "table", "tbody", "tr", "td", "th", "div", "section", "p"))
_CONTENT_TAGS = frozenset(("main", "article", "h1"))
_INVISIBLE_TAGS = frozenset(("script", "style", "template", "noscript", "head"))
_ANCHOR_SELECTORS = ("main", '[role="main"]', "article", "h1")
LINK_DENSITY = 0.7  # a block whose text is at least this share of link text is navigation
CONTAINER_SHARE = 0.5  # the main-content container holds at least this share of the page's text


def _text_len(text: str) -> int:
    return len(text) - sum(text.count(c) for c in " \n\t\r\xa0")


def _element_stats(body) -> dict:
    """node -> (visible characters, characters inside links, links, holds main/article/h1), bottom-up
    without recursion (pages nest deeply)."""
    from resiliparse.parse.html import NodeType

    stats: dict = {}
    stack = [(body, False)]
    while stack:
        node, done = stack.pop()
        if node.tag in _INVISIBLE_TAGS:
            stats[node] = (0, 0, 0, False)
            continue
        if not done:
            stack.append((node, True))
            child = node.first_child
            while child is not None:
                if child.type == NodeType.ELEMENT:
                    stack.append((child, False))
                child = child.next_sibling
            continue
        text = link = links = 0
        content = node.tag in _CONTENT_TAGS or node.getattr("role") == "main"
        child = node.first_child
        while child is not None:
            if child.type == NodeType.ELEMENT:
                t, l, n, c = stats[child]
                text, link, links, content = text + t, link + l, links + n, content or c
            elif child.type == NodeType.TEXT:
                text += _text_len(child.text)
            child = child.next_sibling
        if node.tag == "a":
            link, links = text, links + 1
        stats[node] = (text, link, links, content)
    return stats


def prune_furniture(tree):
    """The part of a parsed page (resiliparse HTMLTree) that holds its main content, with
    navigation, banners, cookie notices, sidebars, footers and link lists removed (in place).

    1. An element goes when it is furniture by name, ARIA role, class or id, or when it is a
       block with two or more links whose link text is at least ``LINK_DENSITY`` of its text.
       An element that holds the page's ``<main>``, ``<article>`` or ``<h1>`` is never removed,
       nor one picked by its class, id or link density that holds more than half of the
       page's text (a layout wrapper whose class says "sidebar-left").
    2. The content container is the page's ``<main>`` (or ``role=main``, ``<article>``, first
       ``<h1>``), widened to its parent until it holds ``CONTAINER_SHARE`` of the remaining
       text; what lies outside it (an unlabelled footer, a banner at the end) is left out.
       Without any of these anchors the whole body is the container.
    Returns the container element, or None for a page without a body.
    """
    body = tree.body
    if body is None:
        return None
    stats = _element_stats(body)
    total = stats[body][0]

    def keep(node, wrapper_check: bool = True) -> bool:
        t, _, _, content = stats.get(node, (0, 0, 0, False))
        return content or (wrapper_check and t > total / 2)

    doomed = {node for node in body.query_selector_all(_FURNITURE_SELECTOR) if not keep(node, False)}
    doomed |= {node for node in body.query_selector_all(_FURNITURE_NAME_SELECTOR) if not keep(node)}
    for node, (text, link, links, _) in stats.items():
        if node.tag in _BLOCK_TAGS and links >= 2 and text and link >= LINK_DENSITY * text and not keep(node):
            doomed.add(node)
    for node in doomed:
        parent, nested = node.parent, False
        while parent is not None and parent is not body:
            if parent in doomed:
                nested = True
                break
            parent = parent.parent
        if not nested:
            node.decompose()
    anchor = None
    for selector in _ANCHOR_SELECTORS:
        anchor = body.query_selector(selector)
        if anchor is not None:
            break
    if anchor is None:
        return body
    remaining = _text_len(body.text)
    while anchor is not body and anchor.parent is not None and _text_len(anchor.text) < CONTAINER_SHARE * remaining:
        anchor = anchor.parent
    return anchor


def extract_text(html: str, extractor: str = "resiliparse") -> str:
    """The main text of a page, one paragraph per line; "" when it has none."""
    if extractor == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree

        tree = HTMLTree.parse(html)
        container = prune_furniture(tree)
        if container is None:
            return ""
        if container is not tree.body:
            tree = HTMLTree.parse(container.html)
        text = extract_plain_text(tree, preserve_formatting=True, main_content=False, list_bullets=False,
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
