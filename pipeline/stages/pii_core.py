"""PII detection and replacement with presidio-analyzer, fully offline (no Beam here).

Design, in the order a document meets it:

1. **Pre-check.** One cheap regex per entity type says whether the type can occur at
   all ('@' for e-mail, four dotted numbers or two colons for IP, 13+ digits for cards,
   ...). Only recognizers whose pre-check fires are run; a document where none fires
   skips presidio entirely, and python-phonenumbers only sees windows around digit
   clusters long enough to be a number. Each gate is a superset of what its recognizer
   can match, so the pre-check never changes the output (tested).
2. **Presidio.** One ``AnalyzerEngine`` with ``NoOpNlpEngine`` (no spaCy model is ever
   loaded) and pattern/checksum recognizers registered under one language-agnostic
   code, so they run for every document language. E-mail validation uses tldextract's
   bundled public-suffix snapshot (never the network). Phone numbers are found with
   python-phonenumbers using region hints from the document language (de -> DE, AT,
   CH; ja -> JP; ...); +CC numbers are found whatever the region, and need only a
   possible length for their country, not a valid one. Text with CJK,
   Thai, Arabic, ... letters is analysed a second time with those letters blanked, so
   values glued to them are found too (see :meth:`PiiScrubber.find`).
   Text with soft line breaks (``jean-⏎ luc@example.fr``, U+2010 / U+00AD hyphens)
   is analysed on a joined view and the spans mapped back (see ``pii_spans``); digit
   clusters holding two numbers are cut where the second starts (see ``pii_context``).
3. **Overlaps** are resolved by score, then length (then position, then entity name,
   so the result never depends on recognizer order); span edges lose blanks and
   unpaired brackets first.
4. **Keep rules**: non-global IPs (private, loopback, reserved, documentation, ...),
   version-number-like and section-number dotted quads, and phone candidates that are
   dates, amounts, versions, identifiers, postcodes, table cells, or written like a
   count (394 027 865, 5622557125, pages 397-409) with no phone word (tel, 電話, ...)
   nearby are left alone.
5. **Replacement** with a placeholder, a consistent fake value from a keyed hash, or a
   decision to drop the document.

Found values are never logged or stored: results carry entity types and offsets only.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import regex

from pipeline.config.pii import DEFAULT_ENTITIES, PiiConfig
from pipeline.hashing import keyed_hash64
from pipeline.stages.pii_context import (
    glued_to_number,
    identifier_like,
    in_number_table,
    labelled_value,
    postcode_like,
    ratio_like,
    section_number,
    split_points,
    version_suffix_after,
    word_hyphen_before,
)
from pipeline.stages.pii_spans import joined_view, trim_span
from pipeline.records import UNDETERMINED, Doc, Dropped

STAGE = "pii"

# presidio binds recognizers to a language; all of ours are registered under this one
# code and every document is analysed with it, whatever its language.
AGNOSTIC_LANGUAGE = "xx"

# Document language (ISO 639-1/3 base code) -> phone regions tried for it, before the
# fallback regions. Overridable per language with ``pii.phone_regions``.
DEFAULT_PHONE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB"), "de": ("DE", "AT", "CH"), "fr": ("FR", "BE", "CH"), "es": ("ES", "MX"),
    "it": ("IT",), "nl": ("NL", "BE"), "pl": ("PL",), "pt": ("BR", "PT"), "ja": ("JP",),
    "zh": ("CN", "TW", "HK"), "ko": ("KR",), "ru": ("RU",), "uk": ("UA",), "be": ("BY",),
    "ar": ("SA", "EG", "AE", "MA"), "fa": ("IR",), "he": ("IL",), "tr": ("TR",), "el": ("GR",),
    "hi": ("IN",), "bn": ("BD", "IN"), "ur": ("PK",), "ta": ("IN", "LK"), "te": ("IN",),
    "mr": ("IN",), "th": ("TH",), "vi": ("VN",), "id": ("ID",), "ms": ("MY",), "tl": ("PH",),
    "sv": ("SE",), "da": ("DK",), "nb": ("NO",), "nn": ("NO",), "no": ("NO",), "fi": ("FI",),
    "is": ("IS",), "et": ("EE",), "lv": ("LV",), "lt": ("LT",), "cs": ("CZ",), "sk": ("SK",),
    "hu": ("HU",), "ro": ("RO",), "bg": ("BG",), "hr": ("HR",), "sr": ("RS",), "bs": ("BA",),
    "sl": ("SI",), "mk": ("MK",), "sq": ("AL",), "ca": ("ES",), "eu": ("ES",), "gl": ("ES",),
    "ga": ("IE",), "cy": ("GB",), "ka": ("GE",), "hy": ("AM",), "az": ("AZ",), "kk": ("KZ",),
    "uz": ("UZ",), "sw": ("KE", "TZ"), "am": ("ET",), "af": ("ZA",), "zu": ("ZA",),
    "km": ("KH",), "lo": ("LA",), "my": ("MM",), "si": ("LK",), "ne": ("NP",), "mn": ("MN",),
}

# Recognizer of each default entity type that is not a plain presidio pattern recognizer.
_PHONE = "PHONE_NUMBER"

# Pre-check gates: a superset of what the recognizer of the type can match.
_GATES: dict[str, regex.Pattern] = {
    # presidio's pattern needs '@' literally
    "EMAIL_ADDRESS": regex.compile(r"@"),
    # dotted quad (IPv4, also embedded in IPv6) or two colons around <= 4 hex digits (IPv6)
    "IP_ADDRESS": regex.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d|:[0-9A-Fa-f]{0,4}:"),
    # 12+ digits with single '-' or ' ' between them (Maestro has 12)
    "CREDIT_CARD": regex.compile(r"\d(?:[- ]?\d){11}"),
    # country code + check digits (presidio's IBAN pattern is case-sensitive)
    "IBAN_CODE": regex.compile(r"[A-Z]{2}[0-9]{2}"),
    # prefix + 25 more address characters
    "CRYPTO": regex.compile(r"(?:bc1|[13])[a-z0-9]{25}", regex.IGNORECASE),
}

# Letters (and their marks) of scripts whose words are not space-delimited from Latin
# values: CJK, Thai, Arabic, Devanagari, ... (see PiiScrubber.find).
_OTHER_SCRIPT_LETTER = regex.compile(
    r"(?V1)[[\p{L}\p{M}]--[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Inherited}\p{Script=Common}]]"
)

# A dotted quad that continues a longer dotted number (1.2.3.4.5, OIDs).
_DIGIT = regex.compile(r"\d")
_DIGIT_RUN = regex.compile(r"[^\d]+")
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
    import phonenumbers

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


# Card layouts: contiguous, groups of four (the last one shorter), or 4-6-5 / 4-6-4
# (American Express, Diners). A Luhn-valid "6981245546 200" is not a card.
_CARD = regex.compile(
    r"(?<![\w.,+\uFF0B\-])"
    r"(?:\d{12,19}"
    r"|\d{4}(?P<g>[ \-])\d{4}(?P=g)\d{4}(?:(?P=g)\d{1,4}){0,2}"
    r"|\d{4}(?P<a>[ \-])\d{6}(?P=a)\d{4,5})"
    r"(?![\w\-]|[.,]\d)"
)


def card_number_plausible(digits: str) -> bool:
    """Luhn-valid, 13-19 digits starting with 3-6 (Amex, Visa, Discover, JCB, UnionPay,
    Diners, ...), a 2-series number of the length its issuer uses (Mastercard 2221-2720:
    16; Mir 2200-2204: 16-19; JCB 2131: 15), 16-19 starting with 81/82 (UnionPay, RuPay),
    15 starting with 1 (UATP), or 12 with a Maestro prefix. A 14-digit time stamp
    (20190221142057) is no card: no issuer gives 14-digit numbers starting with 1 or 2."""
    n = len(digits)
    if not 12 <= n <= 19 or not digits.isdigit() or not _luhn_ok(digits):
        return False
    if n >= 13 and digits[0] in "3456":
        return True
    if digits[0] == "2":
        iin = int(digits[:4])
        return (n == 16 and 2221 <= iin <= 2720) or (n >= 16 and 2200 <= iin <= 2204) or (n == 15 and iin == 2131)
    if n >= 16 and digits[:2] in ("81", "82"):
        return True
    if n == 15 and digits[0] == "1":
        return True
    return n == 12 and digits.startswith(_MAESTRO_PREFIXES)


_MAESTRO_PREFIXES = ("50", "56", "57", "58", "6304", "6390", "67", "0604")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_checksum_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1
    except ValueError:
        return False


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.SUPPORTED_REGIONS)


# Top-level domains absent from the public suffix list that still name real people in old
# changelogs and credits: deleted country codes (Yugoslavia, East Timor, Zaire, Netherlands
# Antilles, Czechoslovakia, East Germany) and the UUCP / BITNET pseudo-domains.
_RETIRED_TLDS = frozenset({"yu", "tp", "zr", "an", "cs", "dd", "uucp", "bitnet"})

# Values are found in a snippet that may be cut anywhere: these catch the halves.
_SNIPPET_EMAIL = regex.compile(r"[^\s<>@\"']*@[^\s<>@\"']+")
_SNIPPET_DIGITS = regex.compile(r"[+(]?\d(?:[\s\-./()]{0,2}\d){6,}")


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


@dataclass(frozen=True)
class ScrubResult:
    """What :meth:`PiiScrubber.scrub` found and did.

    ``text`` is the rewritten text (the input when nothing was found or when the
    document is to be dropped); ``counts`` maps entity type -> spans replaced;
    ``ignored`` maps keep-rule -> candidates left alone (``private_ip``,
    ``version_like``, ``malformed_ip``, ``date_like``, ``amount_like``, ``count_like``,
    ``table_like``, ``identifier_like``, ``postcode_like``); ``drop_reason`` is set when
    the document must be dropped.
    """

    text: str
    spans: tuple[Span, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)
    skipped_presidio: bool = False
    drop_reason: str | None = None

    @property
    def n_spans(self) -> int:
        return len(self.spans)


@dataclass(frozen=True)
class _LanguageSettings:
    entities: tuple[str, ...]
    min_score: float
    max_spans: int | None
    regions: tuple[str, ...]


def base_language(lang: str) -> str:
    """'pt-BR' -> 'pt', 'zh_Hant' -> 'zh', 'DE' -> 'de'."""
    return regex.split(r"[-_]", lang or "", maxsplit=1)[0].lower()


@lru_cache(maxsize=1)
def _presidio_pattern_recognizers() -> dict[str, type]:
    """Entity type -> presidio pattern-recognizer class, for every one presidio ships."""
    import inspect

    import presidio_analyzer.predefined_recognizers as predefined
    from presidio_analyzer import PatternRecognizer

    table: dict[str, type] = {}
    for name in sorted(predefined.__all__):
        cls = getattr(predefined, name, None)
        if not (inspect.isclass(cls) and issubclass(cls, PatternRecognizer)):
            continue
        param = inspect.signature(cls.__init__).parameters.get("supported_entity")
        if param is None or not isinstance(param.default, str):
            continue
        table.setdefault(param.default, cls)
    return table


def available_entities() -> frozenset[str]:
    """Entity types that can be switched on in ``pii.entities``."""
    return frozenset(_presidio_pattern_recognizers()) | {_PHONE}


def offline_tld_extractor():
    """A tldextract extractor that only uses the public-suffix snapshot bundled in the package."""
    import tldextract

    extractor = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
    extractor("warm.up.example.com")  # loads the snapshot now, not during the first document
    return extractor


def _shortest_number(region: str) -> int:
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region)
    lengths = [n for n in (metadata.general_desc.possible_length if metadata else ()) if n > 0]
    return min(lengths) if lengths else 2


@lru_cache(maxsize=1)
def _shortest_anywhere() -> int:
    import phonenumbers

    return min(_shortest_number(r) for r in phonenumbers.SUPPORTED_REGIONS)


def _shortest_idd(region: str) -> int:
    """Digits in the shortest international dialling prefix of ``region`` (00, 011, ...)."""
    import re

    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region)
    pattern = metadata.international_prefix if metadata else None
    if not pattern:
        return 99
    for n in (1, 2):
        if any(re.fullmatch(pattern, str(i).zfill(n)) for i in range(10**n)):
            return n
    return 3


def phone_gate_pattern(regions: tuple[str, ...]) -> str:
    """A regex that every phone number found with ``regions`` matches (a superset).

    A number written with '+' has a country code (1+ digits) and a national number of
    at least the shortest length of any region; one written with an international
    dialling prefix (00, 011, ...) has that prefix too; one written nationally has at
    least its region's shortest length. Digits of one number are at most 4
    characters apart (python-phonenumbers' punctuation limit). The quantifiers are
    greedy, so one match spans a whole cluster of digits.
    """
    anywhere = _shortest_anywhere()
    national = min(_shortest_number(r) for r in regions)
    idd = min(_shortest_idd(r) for r in regions) + 1 + anywhere
    plain = max(2, min(national, idd))
    plus = max(2, 1 + anywhere)
    return r"[+\uFF0B]\D{0,4}\d(?:\D{0,4}\d){%d,}|\d(?:\D{0,4}\d){%d,}" % (plus - 1, plain - 1)


def _make_recognizer_classes():
    """presidio subclasses that stay offline and never log a found value."""
    import phonenumbers
    from presidio_analyzer import EntityRecognizer, RecognizerResult
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        PhoneRecognizer,
    )

    class OfflineEmailRecognizer(EmailRecognizer):
        """presidio's e-mail recognizer with tldextract's bundled snapshot, never the network."""

        def __init__(self, extractor, **kwargs):
            self._extractor = extractor
            super().__init__(**kwargs)

        def validate_result(self, pattern_text: str):
            if self._extractor(pattern_text).fqdn != "":
                return True
            # retired domains still name real people (someone@ev.co.yu, chip@fin.uucp)
            host = pattern_text.rsplit("@", 1)[-1].rstrip(".").lower()
            return "." in host and host.rsplit(".", 1)[1] in _RETIRED_TLDS

    class QuietIbanRecognizer(IbanRecognizer):
        """presidio's IBAN recognizer minus its error log line (which contains the value)."""

        _SHAPE = regex.compile(r"[A-Z0-9]+")

        def validate_result(self, pattern_text: str):
            compact = EntityRecognizer.sanitize_value(pattern_text, self.replacement_pairs)
            if not self._SHAPE.fullmatch(compact) or len(compact) < 5:
                return False
            result = super().validate_result(pattern_text)
            if result is False and 15 <= len(compact) <= 34 and compact[:2] in _country_codes() \
                    and compact[2:4].isdigit() and _iban_checksum_ok(compact):
                # checksum-valid, but the country's layout is unknown to presidio (RU, joined
                # the registry in 2022) or the length is off: still an account number
                return True
            return result

    class IinCardRecognizer(CreditCardRecognizer):
        """Card numbers in card layouts, Luhn-valid and of a length their issuer range uses.

        presidio's pattern stops at 17 digits and misses Mastercard 2-series, JCB 2131,
        Maestro (12 digits) and 19-digit Visa; it also takes any 13-17 Luhn-valid digits
        with single separators ("6981245546 200"). A match that fails is retried without
        its trailing groups ("4111 1111 1111 1111 2023").
        """

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
            results = []
            for match in _CARD.finditer(text):
                start, end = match.span()
                while end > start:
                    if card_number_plausible(_DIGIT_RUN.sub("", text[start:end])):
                        results.append(RecognizerResult(
                            entity_type=self.supported_entities[0], start=start, end=end,
                            score=EntityRecognizer.MAX_SCORE,
                            recognition_metadata={
                                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            },
                        ))
                        break
                    end = max(text.rfind(" ", start, end), text.rfind("-", start, end))
            return results

    class RegionalPhoneRecognizer(PhoneRecognizer):
        """presidio's phone recognizer for one set of regions (one instance per set).

        With a ``gate`` (the pre-check), python-phonenumbers only sees windows around
        the digit clusters that can hold a number of these regions, instead of the whole
        text: every phone number lies inside such a cluster (its digits are at most 4
        punctuation characters apart and it has at least ``min_digits`` of them) and
        the matcher looks at most a few characters around a candidate, which the
        window margin covers. Short numbers (days, years, counts) are never parsed.
        """

        # before: lead characters '+', '(' and punctuation, the letter check; after: an
        # extension ("ext. 1234", "доб. 12") and the time-stamp check (":30")
        MARGIN_BEFORE = 16
        MARGIN_AFTER = 32

        def __init__(self, gate=None, shapes=(), shape_gate=None, international_leniency=None, **kwargs):
            self._gate = gate
            self._shapes = shapes
            self._shape_gate = shape_gate
            super().__init__(**kwargs)
            self._international = (
                international_leniency
                if international_leniency is not None and international_leniency < self.leniency else None
            )

        def _matches(self, text, entities, nlp_artifacts):
            results = super().analyze(text, entities, nlp_artifacts)
            if self._international is not None and ("+" in text or "\uFF0B" in text):
                # region "ZZ": only numbers written with '+' and a country code parse
                for match in phonenumbers.PhoneNumberMatcher(text, "ZZ", leniency=self._international):
                    results.append(self._get_recognizer_result(match, text, "ZZ", nlp_artifacts))
            return results

        def analyze(self, text, entities, nlp_artifacts=None):
            results = self._shape_results(text)
            if self._gate is None:
                results += self._matches(text, entities, nlp_artifacts)
                clusters = list(self._shape_gate.finditer(text))
                return EntityRecognizer.remove_duplicates(
                    results + self._split_results(text, results, entities, nlp_artifacts, clusters)
                )
            windows: list[list[int]] = []
            clusters = list(self._gate.finditer(text))
            for match in clusters:
                start = max(0, match.start() - self.MARGIN_BEFORE)
                end = min(len(text), match.end() + self.MARGIN_AFTER)
                if windows and start <= windows[-1][1]:
                    windows[-1][1] = max(windows[-1][1], end)
                else:
                    windows.append([start, end])
            for start, end in windows:
                for result in self._matches(text[start:end], entities, nlp_artifacts):
                    result.start += start
                    result.end += start
                    results.append(result)
            return EntityRecognizer.remove_duplicates(
                results + self._split_results(text, results, entities, nlp_artifacts, clusters)
            )

        # at most this many pieces of a cut cluster are tried together as one number
        MAX_PIECES = 4

        def _split_results(self, text, results, entities, nlp_artifacts, clusters):
            """Numbers in digit clusters cut where a second number starts (see
            :func:`pipeline.stages.pii_context.split_points`): from each piece not yet
            covered, the longest run of pieces in which python-phonenumbers finds a
            number wins, and the search goes on after it."""
            found = []
            for cluster in clusters:
                points = split_points(text, cluster.start(), cluster.end())
                if not points:
                    continue
                starts = [cluster.start()] + [after for _, after in points]
                ends = [gap for gap, _ in points] + [cluster.end()]
                covered = [any(r.start <= s and r.end >= e for r in results) for s, e in zip(starts, ends)]
                i = 0
                while i < len(starts):
                    if covered[i]:
                        i += 1
                        continue
                    lead = max(0, starts[i] - self.MARGIN_BEFORE) if i == 0 else starts[i]
                    for j in range(min(len(starts), i + self.MAX_PIECES) - 1, i - 1, -1):
                        if i == 0 and j == len(starts) - 1:
                            continue  # the whole cluster: already judged
                        hits = [r for r in self._matches(text[lead : ends[j]], entities, nlp_artifacts)
                                if r.end + lead > starts[i]]
                        if hits:
                            for r in hits:
                                r.start += lead
                                r.end += lead
                            found += hits
                            i = j
                            break
                    i += 1
            return found

        def _shape_results(self, text):
            """Numbers laid out like a phone number, valid or not ('(555) 201-4478').

            Only matches that hold a cluster of digits the pre-check recognises count,
            so the pre-check stays exact; they run on the whole text (one regex each).
            """
            results = []
            for shape in self._shapes:
                for match in shape.finditer(text):
                    if match.end() > match.start() and self._shape_gate.search(match.group()):
                        results.append(RecognizerResult(
                            entity_type=self.supported_entities[0],
                            start=match.start(),
                            end=match.end(),
                            score=self.SCORE,
                            recognition_metadata={
                                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            },
                        ))
            return results

    return OfflineEmailRecognizer, QuietIbanRecognizer, RegionalPhoneRecognizer, IinCardRecognizer


class PiiScrubber:
    """Finds and replaces PII in text; built once per worker from ``PiiConfig``.

    >>> scrubber = PiiScrubber(PiiConfig())
    >>> scrubber.scrub("mail me: jane@example.org", "en").text
    'mail me: <EMAIL_ADDRESS>'
    """

    def __init__(self, config: PiiConfig | None = None, seed: int = 0):
        from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine

        # presidio logs every recognizer it loads and, per document, that the no-op NLP
        # engine gives no context: noise on every worker (never PII, but not wanted either)
        logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
        self.config = config if config is not None else PiiConfig()
        self.seed = seed
        cfg = self.config
        email_cls, iban_cls, phone_cls, card_cls = _make_recognizer_classes()
        self._phone_cls = phone_cls
        self._custom = {c.name for c in cfg.custom_recognizers}

        wanted: list[str] = list(cfg.entities)
        for override in cfg.per_language.values():
            for name in override.entities or ():
                if name not in wanted:
                    wanted.append(name)
        for name in sorted(self._custom):
            if name not in wanted:
                wanted.append(name)

        registry = RecognizerRegistry(supported_languages=[AGNOSTIC_LANGUAGE])
        table = _presidio_pattern_recognizers()
        registered: set[str] = set()
        for name in wanted:
            if name == _PHONE or name in self._custom:
                continue
            if name == "EMAIL_ADDRESS":
                recognizer = email_cls(offline_tld_extractor(), supported_language=AGNOSTIC_LANGUAGE)
            elif name == "IBAN_CODE":
                recognizer = iban_cls(supported_language=AGNOSTIC_LANGUAGE)
            elif name == "CREDIT_CARD":
                recognizer = card_cls(supported_language=AGNOSTIC_LANGUAGE)
            elif name in table:
                recognizer = table[name](supported_language=AGNOSTIC_LANGUAGE)
            else:
                raise ValueError(f"pii: unknown entity {name!r}")
            registry.add_recognizer(recognizer)
            registered.add(name)
        for custom in cfg.custom_recognizers:
            registry.add_recognizer(
                PatternRecognizer(
                    supported_entity=custom.name,
                    name=f"custom_{custom.name}",
                    patterns=[Pattern(custom.name, custom.pattern, custom.score)],
                    supported_language=AGNOSTIC_LANGUAGE,
                    global_regex_flags=regex.DOTALL | regex.MULTILINE,
                )
            )
            registered.add(custom.name)
        self._registered = registered
        self._engine = AnalyzerEngine(
            registry=registry,
            nlp_engine=NoOpNlpEngine(models=[{"lang_code": AGNOSTIC_LANGUAGE, "model_name": "none"}]),
            supported_languages=[AGNOSTIC_LANGUAGE],
        )
        self._phone_recognizers: dict[tuple[tuple[str, ...], bool], object] = {}
        self._phone_gates: dict[tuple[str, ...], regex.Pattern] = {}
        self._settings: dict[str, _LanguageSettings] = {}
        self._lock = threading.Lock()
        self._phone_shapes = tuple(regex.compile(p) for p in cfg.phone_shapes)
        self._context_words = _context_word_pattern(
            [(w, "version") for w in cfg.version_context_words] + [(w, "ip") for w in cfg.ip_context_words]
        )
        self._phone_words = _phone_context_pattern(cfg.phone_context_words)

    # ----------------------------------------------------------------- settings

    def settings_for(self, lang: str) -> _LanguageSettings:
        """Entities, thresholds and phone regions for one document language (cached)."""
        cached = self._settings.get(lang)
        if cached is not None:
            return cached
        cfg = self.config
        base = base_language(lang)
        override = cfg.per_language.get(lang) or cfg.per_language.get(base)
        entities = list(override.entities) if override and override.entities is not None else list(cfg.entities)
        for name in sorted(self._custom):
            if name not in entities:
                entities.append(name)
        if override and override.phone_regions is not None:
            lang_regions = tuple(override.phone_regions)
        elif lang in cfg.phone_regions or base in cfg.phone_regions:
            lang_regions = tuple(cfg.phone_regions.get(lang, cfg.phone_regions.get(base, [])))
        else:
            lang_regions = DEFAULT_PHONE_REGIONS.get(base) or tuple(cfg.phone_default_regions)
        regions = tuple(dict.fromkeys(list(lang_regions) + list(cfg.phone_fallback_regions)))
        if not regions:
            regions = ("US",)  # python-phonenumbers needs one region; +CC numbers are found anyway
        settings = _LanguageSettings(
            entities=tuple(entities),
            min_score=override.min_score if override and override.min_score is not None else cfg.min_score,
            max_spans=override.max_spans if override and override.max_spans is not None else cfg.max_spans,
            regions=regions,
        )
        with self._lock:
            self._settings[lang] = settings
        return settings

    def _phone_for(self, regions: tuple[str, ...], windowed: bool):
        """The phone recognizer for a region set: windowed (pre-check on) or whole-text."""
        key = (regions, windowed)
        recognizer = self._phone_recognizers.get(key)
        if recognizer is None:
            gate = self._phone_gate(regions)
            recognizer = self._phone_cls(
                gate=gate if windowed else None,
                shapes=self._phone_shapes,
                shape_gate=gate,
                supported_language=AGNOSTIC_LANGUAGE,
                supported_regions=regions,
                leniency=self.config.phone_leniency,
                international_leniency=self.config.phone_international_leniency,
            )
            with self._lock:
                self._phone_recognizers[key] = recognizer
        return recognizer

    def _phone_gate(self, regions: tuple[str, ...]) -> regex.Pattern:
        gate = self._phone_gates.get(regions)
        if gate is None:
            # greedy: one match spans a whole cluster of digits at most 4 characters apart
            gate = regex.compile(phone_gate_pattern(regions))
            with self._lock:
                self._phone_gates[regions] = gate
        return gate

    def _entities_to_run(self, texts: list[str], entities: Iterable[str], regions: tuple[str, ...],
                         precheck: bool) -> list[str]:
        if not precheck:
            return list(entities)
        out = []
        for name in entities:
            gate = self._phone_gate(regions) if name == _PHONE else _GATES.get(name)
            if gate is None or any(gate.search(t) for t in texts):
                out.append(name)
        return out

    def _analyze(self, text: str, entities: list[str], regions: tuple[str, ...], windowed: bool) -> list:
        if not entities:
            return []
        ad_hoc = [self._phone_for(regions, windowed)] if _PHONE in entities else None
        return self._engine.analyze(
            text=text, language=AGNOSTIC_LANGUAGE, entities=entities, ad_hoc_recognizers=ad_hoc
        )

    def find(self, text: str, lang: str = UNDETERMINED, *, precheck: bool | None = None) -> tuple[list[Span], dict[str, int], bool]:
        """Spans to replace (sorted by start), keep-rule counts, and whether presidio was skipped.

        presidio's patterns use ``\\b``, and letters of any script are word characters,
        so a value written right against Chinese, Japanese, Thai, ... letters
        ("请发邮件到zhang@example.cn联系") is invisible to them. Such documents are
        analysed a second time on a *separated view* in which those letters are
        replaced, one for one, by spaces (offsets are unchanged); candidates of both
        passes compete in the overlap resolution. Phone numbers need no second pass
        (python-phonenumbers already treats non-Latin letters as separators).
        """
        if not text:
            return [], {}, True
        joined = joined_view(text)
        if joined is None:
            return self._find(text, lang, precheck)
        spans, ignored, skipped = self._find(joined.text, lang, precheck)
        mapped = []
        for span in spans:
            start, end = joined.span(span.start, span.end)
            mapped.append(Span(span.entity, start, end, span.score, joined.breaks_within(start, end)))
        return mapped, ignored, skipped

    def _find(self, text: str, lang: str, precheck: bool | None) -> tuple[list[Span], dict[str, int], bool]:
        """:meth:`find` on text without soft line breaks."""
        settings = self.settings_for(lang)
        use_precheck = self.config.precheck if precheck is None else precheck
        view = separated_view(text)
        texts = [text] if view is None else [text, view]
        entities = self._entities_to_run(texts, settings.entities, settings.regions, use_precheck)
        if not entities:
            return [], {}, True
        results = self._analyze(text, entities, settings.regions, use_precheck)
        if view is not None:
            results += self._analyze(view, [e for e in entities if e != _PHONE], settings.regions, use_precheck)
        candidates = [
            Span(r.entity_type, *trim_span(text, r.start, r.end), float(r.score))
            for r in results
            if r.score > 0 and r.score >= settings.min_score and r.end > r.start
            # a Luhn-valid digit run right after '+' is an E.164 phone number, not a card
            and not (r.entity_type == "CREDIT_CARD" and r.start > 0 and text[r.start - 1] in "+\uFF0B")
        ]
        candidates = [span for span in candidates if span.end > span.start]
        chosen = resolve_overlaps(candidates)
        rules = [self._keep_rule(text, span, settings.regions) for span in chosen]
        # one dotted quad, one reading per document: written as a version somewhere
        # ("squid-3.1.12.3"), it is that version everywhere ("updates from 3.1.12.3")
        versions = {text[s.start : s.end] for s, rule in zip(chosen, rules)
                    if s.entity == "IP_ADDRESS" and rule == "version_like"}
        kept: list[Span] = []
        ignored: dict[str, int] = {}
        for span, rule in zip(chosen, rules):
            if rule is None and versions and span.entity == "IP_ADDRESS" and text[span.start : span.end] in versions:
                rule = "version_like"
            if rule:
                ignored[rule] = ignored.get(rule, 0) + 1
            else:
                kept.append(span)
        return kept, ignored, False

    def _keep_rule(self, text: str, span: Span, regions: tuple[str, ...]) -> str | None:
        """Why a candidate is left in the text, or None to scrub it."""
        if span.entity == _PHONE:
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

    # ----------------------------------------------------------------- replacement

    def replacement(self, entity: str, value: str) -> str:
        """The text that replaces ``value`` in the current mode."""
        if self.config.mode == "fake":
            return fake_value(entity, value, self.seed)
        return self.config.placeholder.format(entity=entity)

    def scrub(self, text: str, lang: str = UNDETERMINED, *, precheck: bool | None = None) -> ScrubResult:
        """Find PII in ``text`` (written in ``lang``) and replace it according to the config."""
        spans, ignored, skipped = self.find(text, lang, precheck=precheck)
        counts: dict[str, int] = {}
        for span in spans:
            counts[span.entity] = counts.get(span.entity, 0) + 1
        settings = self.settings_for(lang)
        drop_reason = None
        if settings.max_spans is not None and len(spans) > settings.max_spans:
            drop_reason = f"{STAGE}:too_many"
        elif self.config.mode == "drop_document" and spans:
            drop_reason = f"{STAGE}:contains_pii"
        if not spans or drop_reason:
            return ScrubResult(text, tuple(spans), counts, ignored, skipped, drop_reason)
        pieces = []
        position = 0
        for span in spans:
            pieces.append(text[position : span.start])
            pieces.append(self.replacement(span.entity, text[span.start : span.end]) + span.layout)
            position = span.end
        pieces.append(text[position:])
        return ScrubResult("".join(pieces), tuple(spans), counts, ignored, skipped, None)

    def process(self, doc: Doc) -> tuple[Doc | Dropped, list[tuple[str, int]]]:
        """The stage decision for one document: a rewritten Doc or a Dropped, plus stats."""
        result = self.scrub(doc.text, doc.lang)
        return decision_for(doc, result), stats_for(result, doc.lang)


def decision_for(doc: Doc, result: ScrubResult) -> Doc | Dropped:
    """The document to pass on (the same object when nothing changed) or its Dropped."""
    if result.drop_reason:
        return Dropped(doc, result.drop_reason)
    if not result.spans:
        return doc
    return doc.with_(text=result.text)


def separated_view(text: str) -> str | None:
    """``text`` with letters of scripts other than Latin, Greek and Cyrillic replaced by
    spaces, one for one; None when there are none (the usual case for Latin text)."""
    if not _OTHER_SCRIPT_LETTER.search(text):
        return None
    return _OTHER_SCRIPT_LETTER.sub(" ", text)


def stats_for(result: ScrubResult, lang: str) -> list[tuple[str, int]]:
    """Report figures for one document (no values, only counts)."""
    lang = lang or UNDETERMINED
    stats: list[tuple[str, int]] = [(f"{STAGE}/docs/{lang}", 1)]
    if result.skipped_presidio:
        stats.append((f"{STAGE}/precheck_skipped/{lang}", 1))
    if result.spans:
        stats.append((f"{STAGE}/docs_with_pii/{lang}", 1))
        stats.append((f"{STAGE}/spans/{lang}", len(result.spans)))
    for entity in sorted(result.counts):
        stats.append((f"{STAGE}/entity/{entity}/{lang}", result.counts[entity]))
    for rule in sorted(result.ignored):
        stats.append((f"{STAGE}/ignored/{rule}/{lang}", result.ignored[rule]))
    return stats


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans, preferring higher score, then longer; sorted by start."""
    ordered = sorted(spans, key=lambda s: (-s.score, -s.length, s.start, s.entity))
    chosen: list[Span] = []
    for span in ordered:
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    chosen.sort(key=lambda s: (s.start, s.end))
    return chosen


# ----------------------------------------------------------------------- fake values

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _digits(seed: int, purpose: str, value: str, n: int) -> str:
    out = ""
    i = 0
    while len(out) < n:
        out += f"{keyed_hash64(seed, f'{purpose}/{i}', value):020d}"[1:]
        i += 1
    return out[:n]


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def fake_value(entity: str, value: str, seed: int) -> str:
    """A fake stand-in for ``value``: the same for the same (seed, entity, value), everywhere.

    Fakes come from reserved or unassigned ranges (example.com, the UK drama range
    020 7946 0xxx, documentation IPs, card IIN 0000, IBAN country XX) so that they
    are never someone's real data. Keep the seed secret: whoever knows it can test
    guesses of an original value against its fake.
    """
    purpose = f"{STAGE}/fake/{entity}"
    h = keyed_hash64(seed, purpose, value)
    if entity == "EMAIL_ADDRESS":
        return f"user{h % 10**8:08d}@example.com"
    if entity == "PHONE_NUMBER":
        return f"+44 20 7946 0{h % 1000:03d}"
    if entity == "IP_ADDRESS":
        if ":" in value:
            return f"2001:db8::{(h >> 16) & 0xFFFF:x}:{h & 0xFFFF:x}"
        prefix = ("192.0.2", "198.51.100", "203.0.113")[h % 3]
        return f"{prefix}.{(h >> 8) % 256}"
    if entity == "CREDIT_CARD":
        number = _luhn_complete("0000" + _digits(seed, purpose, value, 11))
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if entity == "IBAN_CODE":
        return "XX00" + _digits(seed, purpose, value, 18)
    if entity == "CRYPTO":
        chars = []
        for i in range(5):
            block = keyed_hash64(seed, f"{purpose}/{i}", value)
            for _ in range(8):
                chars.append(_BECH32[block & 31])
                block >>= 5
        return "bc1q" + "".join(chars[:38])
    return f"<{entity}_{h & 0xFFFFFFFF:08x}>"


# ----------------------------------------------------------------------- snippets

_snippet_scrubber: PiiScrubber | None = None
_snippet_lock = threading.Lock()


def _default_scrubber() -> PiiScrubber:
    global _snippet_scrubber
    if _snippet_scrubber is None:
        with _snippet_lock:
            if _snippet_scrubber is None:
                _snippet_scrubber = PiiScrubber(PiiConfig(entities=list(DEFAULT_ENTITIES)))
    return _snippet_scrubber


def scrub_snippet(text: str, max_chars: int | None = None) -> str:
    """Scrub a short excerpt for rejected/ and dropped/ outputs (placeholders, default entities).

    Stricter than the stage: after the normal scrub, anything with an '@' and any
    run of 7+ digits is masked too, because a cut-off value ("jane@exam", the first
    12 digits of a card) no longer validates but is still personal data. Pass
    ``max_chars`` to cut after scrubbing, so no value is split before it is seen.
    """
    if not text:
        return ""
    window = text if max_chars is None else text[: max_chars + 100]
    scrubbed = _default_scrubber().scrub(window, UNDETERMINED).text
    scrubbed = _SNIPPET_EMAIL.sub("<EMAIL_ADDRESS>", scrubbed)
    scrubbed = _SNIPPET_DIGITS.sub("<NUMBER>", scrubbed)
    return scrubbed if max_chars is None else scrubbed[:max_chars]
