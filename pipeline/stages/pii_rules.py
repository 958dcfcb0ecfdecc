"""Keep rules of the PII stage: candidates that are left in the text, and why (no presidio here).

A candidate found by a recognizer is still left alone when it is not personal data:
non-global IPs (private, loopback, reserved, documentation, ...), version-number-like and
section-number dotted quads, and phone candidates that are dates, amounts, versions,
identifiers, postcodes, table cells, or written like a count (394 027 865, 5622557125,
pages 397-409) with no phone word (tel, 電話, ...) nearby — unless the count stands alone
in parentheses or as the value of a label ("Moje dane: 505 715 038.") and is a valid
number of the document's regions. A dotted quad glued to a package name
(``squid-3.1.12.3``) is that release everywhere in the document, except after an IP
word. :class:`KeepRules` applies them; the rules that look
at tables, identifiers and headings around a candidate are in ``pii_context``.
"""

from __future__ import annotations

import ipaddress

import phonenumbers
import regex

from pipeline.config.pii import PiiConfig
from pipeline.stages.pii_context import (
    glued_to_number,
    identifier_like,
    in_number_table,
    labelled_value,
    postcode_like,
    ratio_like,
    section_number,
    version_suffix_after,
    word_hyphen_before,
)
from pipeline.stages.pii_recognizers import PHONE
from pipeline.stages.pii_spans import Span, separated_view

_DIGIT = regex.compile(r"\d")
# A dotted quad that continues a longer dotted number (1.2.3.4.5, OIDs).
_DOTTED_BEFORE = regex.compile(r"\d\.$")
_DOTTED_AFTER = regex.compile(r"\.\d")

# How far before a dotted quad a context word may stand (same line only).
_CONTEXT_WINDOW = 32


def _context_word_pattern(words: list[tuple[str, str]]) -> regex.Pattern | None:
    """One regex for all context words, with a named group per kind (version / ip).

    Words of spaced scripts must be whole tokens ('_' separates tokens, so __version__
    and LIB_VERSION count); words of CJK and other scripts written without spaces
    match anywhere (バージョンは 1.2.3.4, 当前版本为 2.10.1.3).
    """
    groups = []
    for kind in ("version", "ip"):
        alternatives = []
        for word, word_kind in sorted(set(words), key=lambda item: (-len(item[0]), item[0])):
            if word_kind != kind or not word:
                continue
            escaped = regex.escape(word)
            if separated_view(word) is None:
                escaped = rf"(?<![^\W_]){escaped}(?![^\W_])"
            alternatives.append(escaped)
        if alternatives:
            groups.append(f"(?P<{kind}>{'|'.join(alternatives)})")
    return regex.compile("|".join(groups), regex.IGNORECASE) if groups else None

# Dates that python-phonenumbers may accept as numbers: 13.10.1982, 2023/01/15, 1-2-99.
_DATE = regex.compile(
    r"(?:(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"
    r"|(?P<y2>\d{4})(?P<s2>[./-])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2}))"
)


# Money amounts: digits (optionally grouped by thousands) and 1-2 decimals.
_AMOUNT = regex.compile(r"\d{1,3}(?:([.,\u00A0\u202F ])\d{3})*[.,]\d{1,2}|\d+[.,]\d{1,2}")


# A currency right before or after a number makes it an amount.
_CURRENCY_BEFORE = regex.compile(r"(?:\p{Sc}|\b(?:EUR|USD|GBP|CHF|JPY|CNY|PLN|RUB|INR|BRL)|[元円圓])[\s\u00A0]?$")
_CURRENCY_AFTER = regex.compile(
    r"[\s\u00A0]?(?:\p{Sc}|(?:EUR|USD|GBP|CHF|JPY|CNY|PLN|RUB|INR|BRL|euros?|Euro|dollars?|zł|руб|yuan|yen)\b|[元円圓块])"
)


def _next_to_currency(text: str, span: "Span") -> bool:
    return bool(_CURRENCY_BEFORE.search(text, max(0, span.start - 5), span.start)
                or _CURRENCY_AFTER.match(text, span.end))


def _looks_like_date(value: str) -> bool:
    match = _DATE.fullmatch(value.strip())
    if match is None:
        return False
    if match.group("y2"):
        return 1 <= int(match.group("m2")) <= 12 and 1 <= int(match.group("d2")) <= 31
    a, b = int(match.group("a")), int(match.group("b"))
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _continues_dotted_number(text: str, span: "Span") -> bool:
    before = text[max(0, span.start - 2) : span.start]
    after = text[span.end : span.end + 2]
    return bool(_DOTTED_BEFORE.search(before) or _DOTTED_AFTER.match(after))


# A candidate that starts with a dotted number of 3+ parts, one of them a single digit
# (or after a version word), is a version, not a phone number (3.9.209.9813).
_DOTTED_VERSION = regex.compile(r"\d+(?:\.\d+){2,}")
_ONE_DIGIT_PART = regex.compile(r"(?:^|\.)\d(?:\.|$)")

# Numbers written the way counts are: only digits, or thousands groups with one separator
# (394 027 865, 963.142.378, 1,234,567), or a year/serial (1992/02646); never with a
# leading 0 (trunk prefix) or '+'.
_COUNT_LAYOUT = regex.compile(
    r"(?![0\uFF10])\d+"
    r"|(?![0\uFF10])\d{1,3}(?P<sep>[ \u00A0\u2009\u202F.,'\u2019])\d{3}(?:(?P=sep)\d{3})*"
    r"|(?:19|20)\d\d/\d+"
    r"|(?![0\uFF10])\d{1,4}[-\u2013](?![0\uFF10])\d{1,4}"  # ranges: pages 397-409
)

# An ISO date inside a phone candidate ("[0.9.0] - 2018-06-03" in a changelog).
_ISO_DATE = regex.compile(r"(?<!\d)(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)")

# How far before / after a phone number a phone word may stand.
_PHONE_CONTEXT_BEFORE = 40
_PHONE_CONTEXT_AFTER = 16


def _phone_context_pattern(words: list[str]) -> regex.Pattern | None:
    """One regex for all phone context words ('telef*' matches any continuation).

    Words of spaced scripts start at a token boundary (and end at one unless they end
    in '*'); CJK words and symbols (☎) match anywhere.
    """
    alternatives = []
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        core = word.rstrip("*")
        if not core:
            continue
        escaped = regex.escape(core)
        if regex.search(r"\w", core) and separated_view(core) is None:
            escaped = rf"(?<![^\W_]){escaped}" + ("" if word.endswith("*") else r"(?![^\W_])")
        alternatives.append(escaped)
    return regex.compile("|".join(alternatives), regex.IGNORECASE) if alternatives else None


def _valid_national(value: str, regions: tuple[str, ...]) -> bool:
    """A valid number of one of ``regions`` as python-phonenumbers reads it."""
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _in_parentheses(text: str, span: "Span") -> bool:
    """The number stands alone in parentheses: "(3332996195)", "(695 300 991)"."""
    return 0 < span.start and span.end < len(text) and text[span.start - 1] in "(\uFF08" and text[span.end] in ")\uFF09"


# A dotted quad at the start of an IP candidate (IPv4, possibly with a prefix length).
_DOTTED_QUAD = regex.compile(r"\d+\.\d+\.\d+\.\d+")


def _count_layout(value: str) -> bool:
    if value.startswith("(") and ")" not in value:
        value = value[1:]  # "IN (2353433048, ...": python-phonenumbers takes the '(' along
    elif value.endswith(")") and "(" not in value:
        value = value[:-1]
    return _COUNT_LAYOUT.fullmatch(value) is not None


class KeepRules:
    """The keep rules of one configuration (context words compiled once)."""

    def __init__(self, config: PiiConfig):
        self.config = config
        self._context_words = _context_word_pattern(
            [(w, "version") for w in config.version_context_words] + [(w, "ip") for w in config.ip_context_words]
        )
        self._phone_words = _phone_context_pattern(config.phone_context_words)

    def judge(self, text: str, chosen: list[Span], regions: tuple[str, ...]) -> tuple[list[Span], dict[str, int]]:
        """The candidates to scrub, and keep-rule -> candidates left alone."""
        rules = [self.keep_rule(text, span, regions) for span in chosen]
        # one dotted quad, one reading per document: named as a package's release somewhere
        # ("squid-3.1.12.3"), it is that release everywhere ("updates from 3.1.12.3") —
        # unless an IP word stands before it ("address=/example.com/1.2.3.4")
        releases = {text[s.start : s.end] for s, rule in zip(chosen, rules)
                    if s.entity == "IP_ADDRESS" and rule == "version_like" and word_hyphen_before(text, s.start)}
        kept: list[Span] = []
        ignored: dict[str, int] = {}
        for span, rule in zip(chosen, rules):
            if rule is None and releases and span.entity == "IP_ADDRESS" and text[span.start : span.end] in releases \
                    and self._context_before(text[max(0, span.start - _CONTEXT_WINDOW) : span.start]) != "ip":
                rule = "version_like"
            if rule:
                ignored[rule] = ignored.get(rule, 0) + 1
            else:
                kept.append(span)
        return kept, ignored

    def keep_rule(self, text: str, span: Span, regions: tuple[str, ...]) -> str | None:
        """Why a candidate is left in the text, or None to scrub it."""
        if span.entity == PHONE:
            value = text[span.start : span.end]
            if _continues_dotted_number(text, span) or glued_to_number(text, span.start):
                return "version_like"  # "gcc 5.17.13 20230110": the tail of a version; "325.318/0.000"
            if identifier_like(text, span.start, span.end):
                return "identifier_like"  # CVE-2026-119741, lib-2023-01/0070.html, 4.6.0+git+20190510-2
            if postcode_like(text, span.start, span.end):
                return "postcode_like"  # "Boston, MA 02110-1301"
            if ratio_like(value):
                return "count_like"  # "Checking out files: 100% (21549/21549)"
            if _looks_like_date(value) or _ISO_DATE.search(value):
                return "date_like"
            if _AMOUNT.fullmatch(value) or _next_to_currency(text, span):
                return "amount_like"  # 3469.50, 1.234,56, 81326358元, € 12 345 678
            lead = _DOTTED_VERSION.match(value)
            if lead and (
                _ONE_DIGIT_PART.search(lead.group())
                or self._context_before(text[max(0, span.start - _CONTEXT_WINDOW) : span.start]) == "version"
            ):
                return "version_like"  # "Wersja 12.5.32.2681", "3.9.209.9813", "gcc version 0.2.8 20230615"
            if self._phone_word_near(text, span) or value.startswith(("+", "\uFF0B")):
                return None
            if in_number_table(text, span.start, span.end):
                return "table_like"  # "020 16 10 DLE" in an ASCII table, a calendar row
            if (
                self.config.phone_counts_need_context
                and _count_layout(value)
                and len(_DIGIT.findall(value)) <= self.config.phone_count_max_digits
                and not _in_parentheses(text, span)
                and not (labelled_value(text, span.start, span.end) and _valid_national(value, regions))
            ):
                return "count_like"  # "liczy 394 027 865 mieszkańców", "MAX_ROWS = 5622557125"
            return None
        if span.entity != "IP_ADDRESS":
            return None
        value = text[span.start : span.end]
        try:
            interface = ipaddress.ip_interface(value)
        except ValueError:
            # "010.001.002.003": a dotted quad with leading zeros is no written address
            return "malformed_ip" if _DOTTED_QUAD.match(value) else None
        address = interface.ip
        if isinstance(address, ipaddress.IPv6Address) and sum(1 for g in value.split("/", 1)[0].split(":") if g) < 3:
            return "malformed_ip"  # "RFC 2822::", "12::": fewer than three groups written
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if self.config.keep_version_like_ips and isinstance(address, ipaddress.IPv4Address):
            if self._version_like(text, span, value, interface):
                return "version_like"
        if self.config.keep_private_ips and (
            not address.is_global or address.is_multicast or address.is_reserved
        ):
            return "private_ip"
        return None

    def _version_like(self, text: str, span: Span, value: str, interface) -> bool:
        if _continues_dotted_number(text, span):
            return True  # part of a longer dotted number (1.2.3.4.5, OIDs)
        if version_suffix_after(text, span.end):
            return True  # "4.6.0.152-fe9c", "1.2.3.4-1", "1.2.3.4~rc1": a version with a suffix
        if word_hyphen_before(text, span.start):
            return True  # "squid-3.2.0.19": a release of a named package
        if section_number(text, span.start, span.end):
            return True  # "5.10.2.1. Recompilation or binary-only NMU": a heading's number
        before = text[max(0, span.start - _CONTEXT_WINDOW) : span.start]
        if before.endswith(("@", "==", ">=", "<=", "~=", "!=", "-v", "_v")):
            return True  # package pins: python@3.11.2.1, pkg==1.20.3.4
        context = self._context_before(before)
        if context is not None:
            return context == "version"
        if "/" in value and interface.ip != interface.network.network_address and all(
            int(part) < 100 for part in value.split("/", 1)[0].split(".")
        ):
            return True  # "C11 7.21.6.2/10": section 7.21.6.2, paragraph 10 (host bits set, small parts)
        parts = value.split("/", 1)[0].split(".")
        return len(parts) == 4 and all(len(p) == 1 for p in parts)  # 1.2.3.4, 2.7.0.1

    def _phone_word_near(self, text: str, span: Span) -> bool:
        """A phone context word shortly before the number (or after it), with no digit in between."""
        if self._phone_words is None:
            return False
        before = text[max(0, span.start - _PHONE_CONTEXT_BEFORE) : span.start]
        last = None
        for last in self._phone_words.finditer(before):
            pass
        if last is not None and not _DIGIT.search(before, last.end()):
            return True
        after = text[span.end : span.end + _PHONE_CONTEXT_AFTER]
        first = self._phone_words.search(after)
        return first is not None and not _DIGIT.search(after, 0, first.start())

    def _context_before(self, before: str) -> str | None:
        """'version' or 'ip' when the nearest context word on the same line precedes the
        number with no other number in between ("__version__ = '9.11.3.1'", "server 8.8.4.4")."""
        if self._context_words is None:
            return None
        line = before.rsplit("\n", 1)[-1]
        last = None
        for last in self._context_words.finditer(line):
            pass
        if last is None or _DIGIT.search(line, last.end()):
            return None
        return last.lastgroup
