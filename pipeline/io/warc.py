"""Readers for web crawls: WARC (``response`` records), WET (``conversion`` records), ARC, HTML files.

WARC and WET files are parsed with FastWARC (resiliparse's WARC library), ARC files with
warcio (FastWARC does not read ARC). Compressed files are decompressed by the pipeline's
own streaming reader (pipeline/io/readers.py), which notices a ``.warc.gz`` cut in the
middle of a gzip member exactly like a cut ``.jsonl.gz``: the records before the damage
are kept, the rest of the file is one ``truncated_file`` rejection.

One document per ``response`` record (WARC, ARC) or ``conversion`` record (WET); other
record types (``warcinfo``, ``request``, ``metadata``, ``revisit``, ...) carry no page and
are skipped. The ``line`` of a rejection is the 1-based number of the record in its file
(every record type counted). HTML goes through pipeline/io/html.py (charset, main
content, title and language hints).

Reasons (``rejected/``): ``invalid_record`` (a header block without Content-Length,
as when the file ends inside it, rejected whatever the record type; or a record not
followed by a valid record header, so that its Content-Length cannot be trusted),
``truncated_record`` (the file ends inside the record, or the
crawler marked it ``WARC-Truncated``), ``record_too_large``, ``invalid_http`` (no HTTP
status line, bad chunked encoding), ``http_status: N`` (not 200), ``not_html: TYPE``,
``undecodable_payload`` (unknown Content-Encoding, corrupt compression, or no charset
decodes the bytes), ``extraction_failed`` (the HTML parser or extractor raised),
``invalid_utf8`` (WET text that is not UTF-8), ``empty_text`` (no main text), ``too_large``, plus ``truncated_file`` / ``unreadable_file`` for the file.
"""

from __future__ import annotations

import io
import zlib
from typing import Iterator, NamedTuple

from pipeline.config.sources import SourceConfig
from pipeline.io.html import charset_of_content_type, decode_html, extract_text, is_html, mime_of, page_hints
from pipeline.records import Doc, Rejected

_HTTP_SPLIT = (b"\r\n\r\n", b"\n\n")


class _ChunkStream(io.RawIOBase):
    """A read-only file object over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buffer = b""
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Only the no-op seeks a forward reader answers (FastWARC asks where it is)."""
        target = offset if whence == io.SEEK_SET else self._position + offset if whence == io.SEEK_CUR else -1
        if target != self._position:
            raise io.UnsupportedOperation("seek")
        return self._position

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        self._position += n
        return n


class WarcBlock(NamedTuple):
    """One record as the readers need it, whichever library parsed it."""

    record_type: str  # "response", "conversion", "request", ...
    headers: dict[str, str]  # WARC headers, names lower-cased
    declared: int  # Content-Length of the record
    block: bytes | None  # the record block; None when over the size limit


def _fastwarc_blocks(stream, max_bytes: int) -> Iterator[WarcBlock]:
    from fastwarc.warc import ArchiveIterator

    for record in ArchiveIterator(stream, parse_http=False, stream_detect=False):
        headers = {k.lower(): v for k, v in record.headers.items()}
        declared = _int(headers.get("content-length"))
        block = None if declared > max_bytes else record.reader.read()
        yield WarcBlock(headers.get("warc-type", "").strip().lower(), headers, declared, block)


def _warcio_blocks(stream, max_bytes: int) -> Iterator[WarcBlock]:
    """ARC records, converted to WARC headers by warcio."""
    from warcio.archiveiterator import ArchiveIterator

    for record in ArchiveIterator(stream, arc2warc=True, no_record_parse=True):
        headers = {k.lower(): v for k, v in record.rec_headers.headers}
        headers.pop("warc-record-id", None)  # ARC has no record ids: warcio makes up random ones
        declared = _int(headers.get("content-length"), record.length or 0)
        block = None if declared > max_bytes else record.raw_stream.read()
        yield WarcBlock((record.rec_type or "").lower(), headers, declared, block)


def _int(value, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


class HttpResponse(NamedTuple):
    status: int
    headers: dict[str, str]  # names lower-cased; repeated headers: the last one
    body: bytes


class HttpError(ValueError):
    pass


def parse_http_response(block: bytes) -> HttpResponse:
    """Status, headers and the body (transfer and content encodings removed) of an HTTP response."""
    for sep in _HTTP_SPLIT:
        end = block.find(sep)
        if end >= 0:
            head, body = block[:end], block[end + len(sep):]
            break
    else:
        head, body = block, b""
    lines = head.decode("iso-8859-1").splitlines()
    parts = lines[0].split(None, 2) if lines else []
    if len(parts) < 2 or not parts[0].upper().startswith("HTTP/") or not parts[1].isdigit():
        raise HttpError("invalid_http: no status line")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    return HttpResponse(int(parts[1]), headers, _decode_content(body, headers.get("content-encoding", "")))


def _dechunk(body: bytes) -> bytes:
    out, pos = [], 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise HttpError("invalid_http: bad chunked encoding")
        try:
            size = int(body[pos:end].split(b";", 1)[0].strip() or b"x", 16)
        except ValueError:
            raise HttpError("invalid_http: bad chunked encoding") from None
        if size == 0:
            return b"".join(out)
        out.append(body[end + 2:end + 2 + size])
        pos = end + 2 + size + 2


def _decode_content(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity", "none"):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(body, wbits=47)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, wbits=-15)
        if encoding == "br":
            import brotli

            return brotli.decompress(body)
    except Exception as exc:  # noqa: BLE001 - corrupt compressed payload
        raise HttpError(f"undecodable_payload: Content-Encoding {encoding}: {type(exc).__name__}") from None
    raise HttpError(f"undecodable_payload: unknown Content-Encoding {encoding}")


def _record_id(headers: dict[str, str]) -> str:
    return headers.get("warc-record-id", "").strip().strip("<>")


def _web_metadata(headers: dict[str, str]) -> dict:
    # ARC records have no id: warc_record_id is "" and the document id is derived from
    # source, file and record number
    return {"url": headers.get("warc-target-uri", "").strip().strip("<>"),
            "crawl_date": headers.get("warc-date", "").strip(),
            "warc_record_id": _record_id(headers)}


def html_document(payload: bytes, content_type: str | None, extractor: str) -> tuple[str, dict] | str:
    """(main text, metadata) of an HTML payload, or the rejection reason."""
    if not is_html(content_type, payload):
        return f"not_html: {mime_of(content_type) or 'unknown'}"
    decoded = decode_html(payload, charset_of_content_type(content_type))
    if decoded is None:
        return "undecodable_payload: no charset decodes it"
    try:
        hints = page_hints(decoded.text)
        text = extract_text(decoded.text, extractor)
    except Exception as exc:  # noqa: BLE001 - a page the HTML parser or extractor cannot handle
        return f"extraction_failed: {type(exc).__name__}: {exc}"[:300]
    if not text:
        return "empty_text"
    return text, {"charset": decoded.charset, "title": hints.title, "html_lang": hints.html_lang,
                  "content_language": hints.meta_language}


def _snippet(headers: dict[str, str], payload: bytes | None) -> str:
    url = headers.get("warc-target-uri", "")
    return f"{url}\n" + (payload or b"")[:2000].decode("utf-8", "replace")


def _response_document(block: WarcBlock, extractor: str) -> tuple[str, dict] | str:
    try:
        http = parse_http_response(block.block)
    except HttpError as exc:
        return str(exc)
    if http.status != 200:
        return f"http_status: {http.status}"
    content_type = http.headers.get("content-type")
    result = html_document(http.body, content_type, extractor)
    if isinstance(result, str):
        return result
    text, meta = result
    meta = {**_web_metadata(block.headers), "content_type": mime_of(content_type) or "text/html",
            "http_status": http.status, **meta}
    if not meta["content_language"]:
        meta["content_language"] = http.headers.get("content-language", "")
    return text, meta


def _conversion_document(block: WarcBlock) -> tuple[str, dict] | str:
    try:
        text = block.block.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    text = "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
    if not text:
        return "empty_text"
    meta = {**_web_metadata(block.headers), "content_type": mime_of(block.headers.get("content-type")),
            "content_language": block.headers.get("warc-identified-content-language", "")}
    return text, meta


def read_web_archive(source: SourceConfig, file, chunks: Iterator[bytes], builder) -> Iterator[Doc | Rejected]:
    """Documents of a WARC, WET or ARC file (``file.format``); never raises on bad data."""
    wanted = "conversion" if file.format == "wet" else "response"
    parse = _warcio_blocks if file.path.lower().endswith((".arc", ".arc.gz")) else _fastwarc_blocks
    number = 0
    pending: list = []  # the last record's output, held until the next record header parses
    try:
        for block in parse(_ChunkStream(chunks), source.max_record_bytes):
            yield from pending
            pending = []
            number += 1
            pending = list(_record_outputs(source, block, number, wanted, builder))
        yield from pending
    except BaseException as exc:  # noqa: BLE001 - FastWARC's Rust panics are BaseExceptions
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        from pipeline.io.readers import TruncatedStream

        if isinstance(exc, TruncatedStream):
            yield from pending  # the file was cut after a complete record
        elif pending:
            # no valid record header where the last record's Content-Length says it ends:
            # that length is wrong or the data is damaged, so the last record is not trusted
            yield builder.reject(number, "invalid_record: not followed by a valid record (wrong Content-Length "
                                 "or damaged data)")
        # a cut gzip member, a corrupt header block, a vanished file: the records read so
        # far are kept, the rest of the file is one rejection
        kind = "truncated_file" if number or isinstance(exc, TruncatedStream) else "unreadable_file"
        yield builder.reject(number + 1 if number else None, f"{kind}: {type(exc).__name__}: {exc}"[:300])


def _record_outputs(source: SourceConfig, block: WarcBlock, number: int, wanted: str, builder):
    """The Doc or Rejected of one record (nothing for record types that carry no page)."""
    if "content-length" not in block.headers:  # a header block cut short, or not WARC
        yield builder.reject(number, "invalid_record: no Content-Length header", _snippet(block.headers, block.block))
        return
    if block.record_type != wanted:
        return
    if block.block is None:
        yield builder.reject(number, "record_too_large", _snippet(block.headers, b""))
        return
    if len(block.block) < block.declared:
        yield builder.reject(number, f"truncated_record: {len(block.block)} of {block.declared} bytes",
                             _snippet(block.headers, block.block))
        return
    if block.headers.get("warc-truncated"):
        yield builder.reject(number, f"truncated_record: WARC-Truncated: {block.headers['warc-truncated']}",
                             _snippet(block.headers, block.block))
        return
    result = (_conversion_document(block) if wanted == "conversion"
              else _response_document(block, source.extractor))
    if isinstance(result, str):
        yield builder.reject(number, result, _snippet(block.headers, block.block))
        return
    text, meta = result
    obj = {source.text_field: text, **meta}
    if source.id_field and meta["warc_record_id"]:
        obj[source.id_field] = meta["warc_record_id"]
    yield builder.build(obj, number, text)


def read_html_file(source: SourceConfig, file, raw: bytes, builder) -> Iterator[Doc | Rejected]:
    """One saved HTML page (``.html``) as one document."""
    result = html_document(raw, "text/html", source.extractor)
    if isinstance(result, str):
        yield builder.reject(None, result, raw[:2000])
        return
    text, meta = result
    obj = {source.text_field: text, **meta}
    if source.id_field:
        obj[source.id_field] = f"{source.name}-{file.label}"
    yield builder.build(obj, None, text)


# ---------------------------------------------------------------------------- writing


def http_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> bytes:
    """An HTTP/1.1 response message (the block of a WARC ``response`` record)."""
    lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Status'}"]
    lines += [f"{k}: {v}" for k, v in (headers or {"Content-Type": "text/html; charset=utf-8"}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1") + body


def warc_record(record_type: str, url: str, block: bytes, date: str, record_id: str,
                extra_headers: dict[str, str] | None = None) -> bytes:
    """One uncompressed WARC/1.1 record (gzip each one separately for a ``.warc.gz``)."""
    content_type = {"response": "application/http; msgtype=response", "request": "application/http; msgtype=request",
                    "conversion": "text/plain", "warcinfo": "application/warc-fields"}.get(record_type,
                                                                                          "application/octet-stream")
    headers = {"WARC-Type": record_type, "WARC-Record-ID": f"<{record_id}>", "WARC-Date": date,
               "WARC-Target-URI": url, "Content-Type": content_type, **(extra_headers or {}),
               "Content-Length": str(len(block))}
    if record_type == "warcinfo":
        headers.pop("WARC-Target-URI")
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"
