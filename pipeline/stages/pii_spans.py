"""Span geometry for the PII stage: soft line breaks and span edges (no presidio here).

* **Soft line breaks.** Text extracted from PDFs, manual pages and HTML breaks long
  words across lines: ``nicolas.fran‐⏎ cois@example.net`` (a typesetter's hyphen
  U+2010), ``jean-⏎ luc@example.fr`` (a hyphen of the value itself), ``nico­las``
  (a soft hyphen U+00AD). :func:`joined_view` gives a *detection view* with those breaks
  closed — typographic hyphens (U+2010, U+00AD) are removed with the line break and the
  indentation after it, an ASCII hyphen is kept and only the line break and
  indentation go — plus a map back to the original offsets, so a value found in the
  view is replaced whole in the original.
* **Spans** (:class:`Span`): offsets into the original text, never the value;
  :func:`resolve_overlaps` keeps the best of overlapping candidates.
* **Separated view** (:func:`separated_view`): letters of scripts written without
  spaces (CJK, Thai, Arabic, ...) blanked one for one, so values glued to them are
  seen by word-bounded patterns.
* **Span edges.** A value is replaced without the whitespace or the unpaired bracket
  a recognizer may take along (python-phonenumbers reads ``(3332996195)`` as
  ``(3332996195`` and ``/ 0171 2345678`` as `` 0171 2345678``): :func:`trim_span`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable

import regex

# A break inside a word: a typographic hyphen (removed) or an ASCII hyphen (kept) at the
# end of a line, then the line break and the next line's indentation. Both sides must be
# word characters, so rules ("-----"), list dashes and hyphens before a blank line stay.
_SOFT_BREAK = regex.compile(
    r"(?<=[^\W_])(?:(?P<soft>[\u2010\u00AD])|(?P<hard>-))[ \t]*\r?\n[ \t]*(?=[^\W_])"
    r"|(?<=[^\W_])(?P<shy>\u00AD)(?=[^\W_])"
)

# A superset of _SOFT_BREAK that the regex engine scans for quickly.
_ANY_BREAK = regex.compile(r"[\-\u2010\u00AD][ \t]*\r?\n|\u00AD")

_OPENERS = "([{（［｛"
_CLOSERS = ")]}）］｝"
_PAIRS = dict(zip(_OPENERS, _CLOSERS))


@dataclass(frozen=True)
class JoinedView:
    """``text`` with soft line breaks closed, and the way back to original offsets.

    ``cuts`` are (view offset, original characters removed before it so far) pairs,
    sorted by view offset; ``breaks`` are (original start, whitespace) of every closed
    line break: the line break with the spaces around it, without the hyphen.
    """

    text: str
    cuts: tuple[tuple[int, int], ...]
    breaks: tuple[tuple[int, str], ...]

    def original(self, position: int, *, end: bool = False) -> int:
        """Original offset of view offset ``position`` (``end=True`` for an exclusive end)."""
        if end and position > 0:
            return self.original(position - 1) + 1
        i = bisect_right(self.cuts, (position, float("inf"))) - 1
        return position + (self.cuts[i][1] if i >= 0 else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the view span (start, end)."""
        return self.original(start), self.original(end, end=True)

    def breaks_within(self, start: int, end: int) -> str:
        """The line breaks (with their indentation) closed inside the original span
        (start, end), concatenated: what a replacement keeps so the lines stay as they were."""
        return "".join(ws for at, ws in self.breaks if start < at < end)


def joined_view(text: str) -> JoinedView | None:
    """The detection view of ``text``, or None when it has no soft line break."""
    if _ANY_BREAK.search(text) is None:
        return None  # the usual case, found with one quick scan
    pieces: list[str] = []
    cuts: list[tuple[int, int]] = []
    breaks: list[tuple[int, str]] = []
    position = 0
    removed = 0
    for match in _SOFT_BREAK.finditer(text):
        start, end = match.span()
        if match.group("hard"):
            start += 1  # the ASCII hyphen belongs to the value: keep it in the view
        pieces.append(text[position:start])
        removed += end - start
        position = end
        cuts.append((end - removed, removed))
        if match.group("shy") is None:
            ws_start = match.start() + 1  # after the hyphen
            breaks.append((ws_start, text[ws_start:end]))
    if not cuts:
        return None
    pieces.append(text[position:])
    return JoinedView("".join(pieces), tuple(cuts), tuple(breaks))


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) without surrounding whitespace and without a bracket whose partner
    is outside the span: ``(3332996195`` -> ``3332996195``, `` 0171 2345678`` ->
    ``0171 2345678``; ``(0115) 496 0960`` keeps its balanced parentheses."""
    while True:
        old = (start, end)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end and text[start] in _OPENERS and _PAIRS[text[start]] not in text[start + 1 : end]:
            start += 1
        if start < end and text[end - 1] in _CLOSERS:
            opener = _OPENERS[_CLOSERS.index(text[end - 1])]
            if opener not in text[start : end - 1]:
                end -= 1
        if (start, end) == old:
            return start, end


@dataclass(frozen=True)
class Span:
    """One scrubbed (or kept) PII span: offsets into the original text, never the value."""

    entity: str
    start: int
    end: int
    score: float
    # line breaks (with indentation) inside the span that the replacement keeps: a value
    # broken across lines ("jean-⏎ luc@example.fr") is replaced whole, its lines stay
    layout: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans, preferring higher score, then longer; sorted by start."""
    ordered = sorted(spans, key=lambda s: (-s.score, -s.length, s.start, s.entity))
    chosen: list[Span] = []
    for span in ordered:
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    chosen.sort(key=lambda s: (s.start, s.end))
    return chosen


# Letters (and their marks) of scripts whose words are not space-delimited from Latin
# values: CJK, Thai, Arabic, Devanagari, ... (see PiiScrubber.find).
_OTHER_SCRIPT_LETTER = regex.compile(
    r"(?V1)[[\p{L}\p{M}]--[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Inherited}\p{Script=Common}]]"
)


def separated_view(text: str) -> str | None:
    """``text`` with letters of scripts other than Latin, Greek and Cyrillic replaced by
    spaces, one for one; None when there are none (the usual case for Latin text)."""
    if not _OTHER_SCRIPT_LETTER.search(text):
        return None
    return _OTHER_SCRIPT_LETTER.sub(" ", text)
