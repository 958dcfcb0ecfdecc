"""Readers for ``kind: parallel`` sources: TSV (two columns) and TMX 1.4.

:func:`read_bitext` is a generator of :class:`BitextPair` and ``Rejected`` records for
one file; it never raises on bad data. Side "a" is the first TSV column (TMX: the
variant in the header's ``srclang``, else the first one), side "b" the second.

Languages of a TSV file come from ``parallel.sources.<name>.langs``, else from a
header line naming them (``en<TAB>de``), else from the file name (``en-de.tsv``,
``news.de-en.tsv``); a file with none of these is rejected whole. TMX variants carry
``xml:lang``. Codes go through :func:`pipeline.text.langcodes.normalize_lang`.

TMX is parsed with expat, streaming, and any DOCTYPE (hence any entity declaration)
rejects the file (``unsafe_xml``), so no entity is ever expanded (billion laughs,
external entities). Inline markup inside ``<seg>`` is dropped, with the text of
``<hi>``/``<sub>`` kept and the native codes of ``<bpt> <ept> <ph> <it> <ut>`` left out.

Rejected reasons: ``invalid_utf8``, ``wrong_column_count``, ``record_too_large`` (raw
line over ``max_record_bytes``), ``too_large`` (a side over ``max_doc_chars``),
``unknown_languages`` (TSV file without declared languages), ``missing_lang``,
``missing_seg``, ``no_pair`` (a TMX unit without two languages), ``unsafe_xml``,
``invalid_xml``, ``truncated_file``, ``unreadable_file``, ``unsupported_format``.
Blank lines are skipped, not rejected; empty sides are not a parse error (the stage
drops them as ``parallel:empty_source`` / ``parallel:empty_target``).
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterator
from xml.parsers import expat

from pipeline.config.sources import SourceConfig
from pipeline.io.readers import InputFile, TruncatedStream, _chunks, _iter_lines, plan_input_files, snippet_of
from pipeline.records import BitextPair, Rejected, pair_id
from pipeline.text.langcodes import LanguageCodeError, normalize_lang
from pipeline.text.normalize import normalize_text

_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_NAME_PAIR = re.compile(r"(?:^|[._\-])([A-Za-z]{2,3}(?:_[A-Za-z]{4})?)[-_]([A-Za-z]{2,3}(?:_[A-Za-z]{4})?)$")
_XML_LANG = "http://www.w3.org/XML/1998/namespace lang"
_SKIPPED_INLINE = frozenset({"bpt", "ept", "ph", "it", "ut"})


def parallel_sources(config) -> list[SourceConfig]:
    """The ``kind: parallel`` sources, in config order: ``InputFile.source_index`` indexes this list."""
    return [s for s in config.sources if s.kind == "parallel"]


def plan_parallel_inputs(config, expand) -> list[InputFile]:
    """Input files of every parallel source (format tsv unless the name says tmx)."""
    files = plan_input_files(parallel_sources(config), expand)
    return [f if f.format in ("tsv", "tmx") else InputFile(f.source_index, f.path, f.label, "tsv") for f in files]


def _code(value: str) -> str | None:
    """A normalised language code, or None when ``value`` does not look like one."""
    value = value.strip()
    if not _CODE.match(value):
        return None
    try:
        code = normalize_lang(value)
    except LanguageCodeError:
        return None
    return None if code == "und" else code


def langs_from_name(label: str) -> tuple[str, str] | None:
    """('en', 'de') from 'en-de.tsv', 'corpus.en-de.tsv.gz', 'en_de.tsv'; None otherwise."""
    name = posixpath.basename(label)
    for suffix in (".gz", ".zst", ".zstd", ".bz2", ".xz"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    match = _NAME_PAIR.search(stem)
    if not match:
        return None
    a, b = _code(match.group(1)), _code(match.group(2))
    return (a, b) if a and b and a != b else None


def _settings(parallel, source_name: str):
    if parallel is None:
        return None
    return parallel.sources.get(source_name)


def _side(text: str) -> str:
    return normalize_text(text).strip()


def read_tsv(source: SourceConfig, file: InputFile, parallel=None) -> Iterator[BitextPair | Rejected]:
    settings = _settings(parallel, source.name)
    declared = tuple(settings.langs) if settings and settings.langs else None
    header_mode = settings.header if settings else "auto"
    langs = declared
    first = True
    last_line = 0

    def reject(line, reason, raw=b""):
        return Rejected(source.name, file.label, line, reason, snippet_of(raw))

    no_langs = ("unknown_languages: set parallel.sources."
                f"{source.name}.langs, add a header line like 'en<TAB>de' or name the file en-de.tsv")
    try:
        for line_no, raw in _iter_lines(_chunks(file.path), source.max_record_bytes):
            last_line = line_no
            text = None
            if raw is not None:
                raw = raw.rstrip(b"\r")
                if first and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            columns = text.split("\t") if text is not None else []
            if first:
                first = False
                header = None
                if len(columns) == 2 and header_mode != "no":
                    a, b = _code(columns[0]), _code(columns[1])
                    if a and b:
                        header = (a, b)
                if header_mode == "yes" or header is not None:
                    langs = langs or header or langs_from_name(file.label)
                    if langs is None:
                        yield reject(line_no, "unknown_languages: the header line does not name two languages", raw)
                        return
                    continue
                langs = langs or langs_from_name(file.label)
                if langs is None:
                    yield reject(None, no_langs)
                    return
            if raw is None:
                yield reject(line_no, "record_too_large")
                continue
            if text is None:
                yield reject(line_no, "invalid_utf8", raw)
                continue
            if len(columns) != 2:
                yield reject(line_no, f"wrong_column_count: {len(columns)} columns, expected 2", raw)
                continue
            a, b = _side(columns[0]), _side(columns[1])
            if len(a) > source.max_doc_chars or len(b) > source.max_doc_chars:
                yield reject(line_no, "too_large", raw)
                continue
            yield BitextPair(
                id=pair_id(source.name, file.label, line_no),
                source=source.name, text_a=a, text_b=b, lang_a=langs[0], lang_b=langs[1],
                file=file.label, line=line_no, metadata={"input_file": file.label, "input_line": line_no},
            )
    except Exception as exc:  # noqa: BLE001 - a damaged or vanished file: keep what was read
        kind = "truncated_file" if last_line or isinstance(exc, TruncatedStream) else "unreadable_file"
        yield reject(last_line + 1 if last_line else None, f"{kind}: {type(exc).__name__}: {exc}"[:300])


OVERSIZED = "\x00oversized"  # a segment over max_doc_chars (never a real text: NUL is not allowed in XML)


class UnsafeXml(Exception):
    """A DOCTYPE or entity declaration: refused before anything is expanded."""


class _TmxHandler:
    """Expat callbacks collecting translation units; finished units pile up in ``ready``
    as (line of <tu>, tuid, [(xml:lang, seg text or None, line of <tuv>)])."""

    def __init__(self, parser, max_chars: int):
        self.parser = parser
        self.max_chars = max_chars
        self.srclang: str | None = None
        self.ready: list = []
        self._tu_line = 0
        self._tuid: str | None = None
        self._variants: list | None = None
        self._lang: str | None = None
        self._tuv_line = 0
        self._seg_text: str | None = None
        self._pieces: list[str] = []
        self._in_seg = False
        self._skip_depth = 0
        self._seg_chars = 0

    def start(self, name, attrs):
        name = name.rsplit(" ", 1)[-1]  # a default namespace, if any, is ignored
        if name == "header":
            self.srclang = attrs.get("srclang")
        elif name == "tu":
            self._tu_line = self.parser.CurrentLineNumber
            self._tuid = attrs.get("tuid")
            self._variants = []
        elif name == "tuv" and self._variants is not None:
            self._lang = attrs.get(_XML_LANG) or attrs.get("lang")
            self._tuv_line = self.parser.CurrentLineNumber
            self._seg_text = None
        elif name == "seg" and self._variants is not None:
            self._in_seg = True
            self._pieces = []
            self._skip_depth = 0
            self._seg_chars = 0
        elif self._in_seg and name in _SKIPPED_INLINE:
            self._skip_depth += 1

    def end(self, name):
        name = name.rsplit(" ", 1)[-1]
        if name == "tu" and self._variants is not None:
            self.ready.append((self._tu_line, self._tuid, self._variants))
            self._variants = None
        elif name == "tuv" and self._variants is not None:
            self._variants.append((self._lang, self._seg_text, self._tuv_line))
        elif name == "seg" and self._in_seg:
            self._in_seg = False
            self._seg_text = OVERSIZED if self._seg_chars > self.max_chars else "".join(self._pieces)
        elif self._in_seg and name in _SKIPPED_INLINE:
            self._skip_depth -= 1

    def chars(self, data):
        if self._in_seg and self._skip_depth == 0:
            self._seg_chars += len(data)
            if self._seg_chars <= self.max_chars:  # a giant segment is not held in memory
                self._pieces.append(data)
            else:
                self._pieces = []


def _tmx_parser(max_chars: int):
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    handler = _TmxHandler(parser, max_chars)

    def refuse(*_args):
        raise UnsafeXml("DOCTYPE/entity declarations are not allowed")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    parser.buffer_text = True
    return parser, handler


def _tmx_pairs(source: SourceConfig, file: InputFile, pivot: str, srclang: str | None, unit) -> Iterator:
    """BitextPairs (or one Rejected) of one translation unit."""
    line, tuid, variants = unit
    good = []
    for lang, text, tuv_line in variants:
        if lang is None or _code(lang) is None:
            yield Rejected(source.name, file.label, tuv_line, "missing_lang" if lang is None
                           else f"missing_lang: '{lang[:20]}' is not a language code", snippet_of(text or ""))
            return
        if text is None:
            yield Rejected(source.name, file.label, tuv_line, "missing_seg")
            return
        if text is OVERSIZED:
            yield Rejected(source.name, file.label, tuv_line, "too_large")
            return
        good.append((_code(lang), _side(text)))
    langs = [lang for lang, _ in good]
    if len(good) < 2 or len(set(langs)) < 2:
        yield Rejected(source.name, file.label, line, f"no_pair: {len(good)} variant(s) in {len(set(langs))} language(s)")
        return
    # side a: the header's source language, else the pivot, else the first variant
    first_lang = _code(srclang) if srclang and srclang != "*all*" else None
    if first_lang not in langs:
        first_lang = pivot if pivot in langs else langs[0]
    first = good[langs.index(first_lang)]
    others = [v for v in good if v[0] != first_lang]
    meta = {"input_file": file.label, "input_line": line}
    if tuid:
        meta["tuid"] = tuid[:200]
    for part, (lang, text) in enumerate(others):
        yield BitextPair(
            id=pair_id(source.name, file.label, line, part), source=source.name,
            text_a=first[1], text_b=text, lang_a=first[0], lang_b=lang,
            file=file.label, line=line, metadata=dict(meta),
        )


def read_tmx(source: SourceConfig, file: InputFile, parallel=None) -> Iterator[BitextPair | Rejected]:
    pivot = parallel.pivot if parallel is not None else "en"
    parser, handler = _tmx_parser(source.max_doc_chars)

    def drain():
        units, handler.ready = handler.ready, []
        for unit in units:
            yield from _tmx_pairs(source, file, pivot, handler.srclang, unit)

    started = False
    try:
        for chunk in _chunks(file.path):
            started = True
            parser.Parse(chunk, False)
            yield from drain()
        parser.Parse(b"", True)
        yield from drain()
    except UnsafeXml as exc:
        yield from drain()
        yield Rejected(source.name, file.label, parser.CurrentLineNumber, f"unsafe_xml: {exc}")
    except expat.ExpatError as exc:
        yield from drain()
        yield Rejected(source.name, file.label, exc.lineno, f"invalid_xml: {expat.ErrorString(exc.code)}")
    except Exception as exc:  # noqa: BLE001
        yield from drain()
        kind = "truncated_file" if started or isinstance(exc, TruncatedStream) else "unreadable_file"
        yield Rejected(source.name, file.label, None, f"{kind}: {type(exc).__name__}: {exc}"[:300])


BITEXT_READERS = {"tsv": read_tsv, "tmx": read_tmx}


def read_bitext(source: SourceConfig, file: InputFile, parallel=None) -> Iterator[BitextPair | Rejected]:
    """Every pair of one bitext file as a BitextPair or a Rejected; never raises on bad data.

    ``parallel`` is the ParallelConfig (per-source languages, pivot); None uses defaults.
    """
    reader = BITEXT_READERS.get(file.format)
    if reader is None:
        yield Rejected(source.name, file.label, None, f"unsupported_format: {file.format}")
        return
    yield from reader(source, file, parallel)
