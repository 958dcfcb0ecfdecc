"""Context rules of the PII stage that look beyond a candidate (no presidio here).

* **Tables and calendars** (:func:`in_number_table`): rows of short numbers — an ASCII
  code table (``020 16 10 DLE``), a calendar (`` 8  9 10 11 12 13 14``), a matrix of
  figures — hold digit groups that python-phonenumbers reads as phone numbers with a
  trunk 0. A phone candidate written only with digits and spaces that sits in such a
  row is not a phone number (unless a phone word or a '+' says otherwise; the caller
  checks those).
* **Identifiers, postcodes, section numbers** (:func:`identifier_like`,
  :func:`postcode_like`, :func:`section_number`, :func:`version_suffix_after`,
  :func:`glued_to_number`): digits glued to a word (``CVE-2026-119741``,
  ``lib-2023-01/0070.html``, ``4.6.0+git+20190510-2``), a US ZIP+4 after a state
  (``MA 02110-1301``), a dotted quad that numbers a heading (``5.10.2.1. Porter
  tools``) or carries a version suffix (``4.6.0.152-fe9c``), the tail of a decimal
  series (``325.318/0.000``).
* **A number right after a phone number** (:func:`split_points`): in
  ``tel. 08-437 20 05 192.67.188.228`` or ``+44 20 7946 0958 2023-05-01`` the digits of
  both numbers form one cluster, which python-phonenumbers rejects whole. The places
  where another number (a date, a dotted quad, a card, a ``+`` number, an alternative
  after ``/``) starts are where the cluster is cut, so that each piece is judged on
  its own.
"""

from __future__ import annotations

import regex

# A whitespace-delimited token that is a number (digits with inner punctuation).
_NUMBER_TOKEN = regex.compile(r"(?<!\S)[(\[+]?\d[\d.,:/\-]*[)\]]?(?!\S)")
_TOKEN = regex.compile(r"\S+")

# Digits and blanks only: how tables and calendars write their numbers.
_SPACED_DIGITS = regex.compile(r"[\d \t\u00A0]+")

# A row of a table: at least this many number tokens, making up at least half of the
# row's tokens (a line of prose with a phone number and a few figures is no row).
_ROW_MIN_NUMBERS = 3
_ROW_MIN_SHARE = 0.5


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end < 0 else line_end


def _number_row(line: str) -> bool:
    tokens = len(_TOKEN.findall(line))
    numbers = len(_NUMBER_TOKEN.findall(line))
    return numbers >= _ROW_MIN_NUMBERS and numbers >= _ROW_MIN_SHARE * tokens


def _neighbour_line(text: str, line_start: int, line_end: int, step: int) -> str | None:
    """The nearest non-blank line above (step -1) or below (step 1), or None."""
    if step < 0:
        end = line_start - 1
        while end > 0:
            start = text.rfind("\n", 0, end) + 1
            if text[start:end].strip():
                return text[start:end]
            end = start - 1
        return None
    start = line_end + 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].strip():
            return text[start:end]
        start = end + 1
    return None


def in_number_table(text: str, start: int, end: int) -> bool:
    """Whether the candidate text[start:end], written with digits and blanks only, is a
    cell group of a table or calendar: its line is a row of numbers (three or more, half
    of its tokens or more) and so is the nearest line above or below, or the rest of its
    line is such a row; or a sequence of five or more single digits."""
    if not _SPACED_DIGITS.fullmatch(text, start, end):
        return False
    groups = text[start:end].split()
    if len(groups) >= 5 and all(len(g) == 1 for g in groups):
        return True  # "0 1 2 3 4 5 6 7 8 9 0": a sequence written digit by digit
    line_start, line_end = _line_bounds(text, start, end)
    line = text[line_start:line_end]
    if not _number_row(line):
        return False
    if _number_row(text[line_start:start] + " " + text[end:line_end]):
        return True  # three more numbers besides it, and numbers are most of the line
    return any(
        (neighbour := _neighbour_line(text, line_start, line_end, step)) is not None and _number_row(neighbour)
        for step in (-1, 1)
    )


# What starts another number after a phone number: an ISO or day-month-year date, a
# dotted quad, a card layout (4 groups of 4, or 12+ digits), a '+' number.
_NEXT_NUMBER = regex.compile(
    r"(?:(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d\d"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
    r"|\d{4}[ \-]\d{4}[ \-]\d{4}"
    r"|\d{12}"
    r"|[+\uFF0B]\d)"
    r"(?!\d)"
)
# Separators between two numbers: blanks, or a slash with optional blanks around it.
_GAP = regex.compile(r"[ \t\u00A0\u3000]*[/\uFF0F|][ \t\u00A0\u3000]*|[ \t\u00A0\u3000]+")
# After a slash, a piece long enough to be a phone number of its own (not "12/05").
_PHONE_AFTER_SLASH = regex.compile(r"[+\uFF0B(]?\d(?:[\d \-.()]){5,}")


def split_points(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(gap start, next number start) of every place in the digit cluster text[start:end]
    where a second number begins: after a slash, or where a date, dotted quad, card or
    '+' number starts after blanks."""
    points = []
    for gap in _GAP.finditer(text, start, end):
        after = gap.end()
        if after >= end or not text[gap.start() - 1 : gap.start()].strip() or not text[after].strip():
            continue
        slash = any(ch in gap.group() for ch in "/\uFF0F|")
        if (slash and _PHONE_AFTER_SLASH.match(text, after, end)) or (not slash and _NEXT_NUMBER.match(text, after)):
            points.append((gap.start(), after))
    return points


# Before a candidate: a Latin word and a hyphen (CVE-, lib-), or a word character, '.' or
# '~' right before a leading '+' (git+20190510).
_WORD_HYPHEN_BEFORE = regex.compile(r"[A-Za-z]-$")
_GLUED_PLUS_BEFORE = regex.compile(r"[A-Za-z0-9.~]$")
# After a candidate: a file-name extension (".gz", ".html") or a hyphen and a letter.
_EXTENSION_AFTER = regex.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}(?![\w])|-[A-Za-z]")


def word_hyphen_before(text: str, start: int) -> bool:
    """A letter and a hyphen right before ``start``: the number is glued to a name
    (``CVE-2026-119741``, ``squid-3.2.0.19``)."""
    return _WORD_HYPHEN_BEFORE.search(text[max(0, start - 2) : start]) is not None


def identifier_like(text: str, start: int, end: int) -> bool:
    """Digits glued to a word: part of an identifier, a file name or a URL path."""
    before = text[max(0, start - 2) : start]
    if word_hyphen_before(text, start):
        return True
    if text[start] in "+\uFF0B" and (_GLUED_PLUS_BEFORE.search(before) or text[start + 1 : start + 2].isspace()):
        return True  # git+20190510; "* 49853 + 49882/49883": a '+' then a space is no country prefix
    return _EXTENSION_AFTER.match(text, end) is not None


# A US ZIP+4 right after a state code ("Boston, MA 02110-1301").
_ZIP4 = regex.compile(r"\d{5}-\d{4}")
_STATE_BEFORE = regex.compile(r"(?<![\w])[A-Z]{2},?[ \u00A0]{1,2}$")


def postcode_like(text: str, start: int, end: int) -> bool:
    return _ZIP4.fullmatch(text, start, end) is not None and _STATE_BEFORE.search(text[max(0, start - 6) : start]) is not None


# A decimal number and a slash right before the candidate ("min/avg/max = 325.318/325.318/0.000").
_DECIMAL_SLASH_BEFORE = regex.compile(r"\d\.\d+/$")


def glued_to_number(text: str, start: int) -> bool:
    return _DECIMAL_SLASH_BEFORE.search(text[max(0, start - 12) : start]) is not None


# After a dotted quad: a version suffix (-1, -fe9c, ~rc1, +dfsg), not an address range (-192.0.2.9).
# A dotted quad followed by ".g<hash>" is `git describe` output (2.20.1.155.g426c96fcdb); one
# followed by '.' and a letter is part of a host name (43.62.168.192.blackholes.example.org,
# 4.3.2.1.in-addr.arpa): not an address as written.
_VERSION_SUFFIX = regex.compile(r"[~+][0-9A-Za-z]|-[0-9A-Za-z]+(?![.\d\w])|\.g[0-9a-f]{7,40}(?![\w])|\.[A-Za-z][\w\-]*\.")


def version_suffix_after(text: str, end: int) -> bool:
    return _VERSION_SUFFIX.match(text, end) is not None


# A heading number: after a section word, or first on its line (after indentation or a bullet) and followed by
# '. ' (then any title), the end of the line, a capitalised word or ', ' and another
# section number; every part below 100.
_LINE_START = regex.compile(r"(?:^|\n)[ \t]*(?:[*\-\u2022][ \t]+)?$")
_HEADING_AFTER = regex.compile(r"\.(?:[ \t]|$)|,[ \t]*\d+\.\d|[ \t]*$|[ \t]+\p{Lu}", regex.MULTILINE)


# Words that name a section right before its number ("see Section 12.1.1.12", "第 5.14.3.1 节").
_SECTION_WORD_BEFORE = regex.compile(
    r"(?:(?<![^\W_])(?:sections?|sect|sec|chapters?|chap|appendix|clause|paragraphs?|para|abschnitt|kapitel|anhang"
    r"|secci[oó]n|cap[ií]tulo|se[cç][cç]?[aã]o|sezione|capitolo|chapitre|paragraphe|rozdzia[lł]|sekcja|hoofdstuk"
    r"|paragraaf|sectie|раздел|глава|пункт)\.?|§|第)[ \t\u00A0]*$",
    regex.IGNORECASE,
)


def section_number(text: str, start: int, end: int) -> bool:
    value = text[start:end]
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 100 for p in parts):
        return False
    if _SECTION_WORD_BEFORE.search(text[max(0, start - 16) : start]):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if not _LINE_START.search(text[max(0, line_start - 1) : start]):
        return False
    return _HEADING_AFTER.match(text, end) is not None


# A progress counter or score: two digit runs of the same length around a slash (21549/21549).
_RATIO = regex.compile(r"([1-9]\d*)/([1-9]\d*)")


def ratio_like(value: str) -> bool:
    match = _RATIO.fullmatch(value)
    return match is not None and len(match.group(1)) == len(match.group(2))


# A label before the number ("Moje dane: ", "Dati: "): a letter, a colon and blanks; and
# the end of a clause after it: the end of the line, or '.', ',', ';', '!', '?', ')' then
# a blank or the end of the line.
_LABEL_BEFORE = regex.compile(r"[^\W\d_][:\uFF1A][ \t\u00A0]*$")
_CLAUSE_END_AFTER = regex.compile(r"[ \t\u00A0]*(?:[.,;!?)\uFF09\u3002\uFF0C](?=\s|$)|\r?\n|$)")


def labelled_value(text: str, start: int, end: int) -> bool:
    """The number is the whole value of a label: a word and a colon before it, the end
    of the clause after it ("Moje dane: 505 715 038.", "I miei dati: 333990925.")."""
    return (_LABEL_BEFORE.search(text[max(0, start - 8) : start]) is not None
            and _CLAUSE_END_AFTER.match(text, end) is not None)
