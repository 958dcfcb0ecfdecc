"""Text normalisation applied to every document right after reading.

:func:`normalize_text` is fast, never raises, and keeps line and paragraph structure:

1. line breaks unified: ``\\r\\n``, ``\\r``, NEL (U+0085), VT, FF and LINE SEPARATOR
   (U+2028) become ``\\n``; PARAGRAPH SEPARATOR (U+2029) becomes a blank line;
2. removed: C0/C1 control characters other than tab and newline, lone surrogates,
   the byte-order mark / ZWNBSP (U+FEFF), soft hyphens (U+00AD) and the
   non-characters U+FFFE/U+FFFF. Zero-width joiners/non-joiners (needed by emoji,
   Persian and Indic text), ZWSP (a word-break hint in Thai, Khmer, Myanmar) and
   bidirectional marks (RLM/LRM, used in Arabic and Hebrew text) are kept;
3. Unicode NFC (composed accents, Hangul syllables; compatibility characters such
   as full-width Latin are *not* folded — that would be NFKC and changes meaning);
4. whitespace: every other space character (tab, NBSP, ideographic space, en/em
   spaces, ...) inside a line becomes one ASCII space, runs are collapsed, trailing
   spaces are stripped; leading indentation is kept (as ASCII spaces, tabs expanded
   to one space each) when ``keep_indentation`` is true, so code stays readable;
   three or more newlines become one blank line; blank lines at the start and end
   of the document are removed.
"""

from __future__ import annotations

import re
import unicodedata

_LINE_BREAKS = {0x0D: "\n", 0x85: "\n", 0x0B: "\n", 0x0C: "\n", 0x2028: "\n", 0x2029: "\n\n",
                0x1C: "\n", 0x1D: "\n", 0x1E: "\n"}
_REMOVED = [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A) and c not in _LINE_BREAKS]
_REMOVED += [0x7F] + [c for c in range(0x80, 0xA0) if c not in _LINE_BREAKS]
_REMOVED += [0xFEFF, 0x00AD, 0xFFFE, 0xFFFF]
_TABLE = {c: None for c in _REMOVED}
_TABLE.update({c: s for c, s in _LINE_BREAKS.items()})
_SPECIAL = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_TABLE)) + "\ud800-\udfff]")
# "\r\n" must become one newline, not two
_CRLF = "\r\n"

_SURROGATE = re.compile("[\ud800-\udfff]")
# horizontal space: tab and every Unicode Zs character (a closed, stable set); after the
# translation above these are exactly the characters ``str.split()`` splits on in a line
_HSPACE = "\t \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_OTHER_HSPACE = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_NEEDS_WORK_ASCII = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|  |\t| \n| $|^ |\n\n\n|^\n|\n$")


def _clean_lines(text: str, keep_indentation: bool) -> str:
    ascii_only = text.isascii()
    out: list[str] = []
    blank_run = 0
    for line in text.split("\n"):
        body = line.strip(_HSPACE)
        if not body:
            blank_run += 1
            continue
        if "  " in body or (ascii_only and "\t" in body) or (
            not ascii_only and _OTHER_HSPACE.search(body) is not None
        ):
            body = " ".join(body.split())
        if out and blank_run:
            out.append("")  # one blank line keeps the paragraph break
        blank_run = 0
        if keep_indentation:
            indent = len(line) - len(line.lstrip(_HSPACE))
            if indent:
                body = " " * indent + body
        out.append(body)
    return "\n".join(out)


def normalize_text(text: object, *, keep_indentation: bool = True) -> str:
    """NFC, control characters removed, whitespace cleaned; never raises (None -> '')."""
    try:
        return _normalize(text, keep_indentation)
    except Exception:  # a guarantee for the reader: a last-resort, lossy but safe path
        try:
            cleaned = str(text).encode("utf-8", "replace").decode("utf-8", "replace")
            return _normalize(cleaned, keep_indentation)
        except Exception:
            return ""


def _normalize(text: object, keep_indentation: bool) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", "replace")
        else:
            text = str(text)
    if not text:
        return ""
    # fast path: plain ASCII text that is already clean
    if keep_indentation and text.isascii() and _NEEDS_WORK_ASCII.search(text) is None:
        return text
    if _SPECIAL.search(text) is not None:  # str.translate is slow on non-ASCII text: only when needed
        if _CRLF in text:
            text = text.replace(_CRLF, "\n")
        text = _SURROGATE.sub("", text.translate(_TABLE))
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    return _clean_lines(text, keep_indentation)
