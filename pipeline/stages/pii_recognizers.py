"""Recognizers of the PII stage: presidio subclasses, pre-check gates, checksums (no Beam here).

* **Pre-check gates** (:data:`GATES`, :func:`phone_gate_pattern`): one cheap regex per
  entity type, a superset of what its recognizer can match, so a document where none
  fires skips presidio, and python-phonenumbers only sees windows around digit clusters
  long enough to be a number.
* **Recognizers** (:func:`make_recognizer_classes`): presidio's e-mail recognizer with
  tldextract's bundled public-suffix snapshot (never the network; retired TLDs such as
  ``.yu`` and ``.uucp`` still count), its IBAN recognizer without the log line that
  holds the value (and with the bare mod-97 checksum for countries it does not know),
  card numbers in card layouts checked by Luhn and issuer range
  (:func:`card_number_plausible`), and a phone recognizer per region set that runs
  python-phonenumbers on the gate's windows, on clusters cut where a second number
  starts, and on the configured phone shapes.

presidio is imported when a scrubber is built, not when this module is imported
(importing it takes seconds, and the configuration only needs it for unusual entities).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
import regex

from pipeline.config.pii import PHONE_ENTITY
from pipeline.stages.pii_context import split_points

# presidio binds recognizers to a language; all of ours are registered under this one
# code and every document is analysed with it, whatever its language.
AGNOSTIC_LANGUAGE = "xx"

# The entity type whose recognizer is built per region set, not registered once.
PHONE = PHONE_ENTITY

# Pre-check gates: a superset of what the recognizer of the type can match.
GATES: dict[str, regex.Pattern] = {
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

# Everything but digits: removed to compare card digits.
_DIGIT_RUN = regex.compile(r"[^\d]+")


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
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


# Top-level domains absent from the public suffix list that still name real people in old
# changelogs and credits: deleted country codes (Yugoslavia, East Timor, Zaire, Netherlands
# Antilles, Czechoslovakia, East Germany) and the UUCP / BITNET pseudo-domains.
_RETIRED_TLDS = frozenset({"yu", "tp", "zr", "an", "cs", "dd", "uucp", "bitnet"})


def offline_tld_extractor():
    """A tldextract extractor that only uses the public-suffix snapshot bundled in the package."""
    import tldextract

    extractor = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
    extractor("warm.up.example.com")  # loads the snapshot now, not during the first document
    return extractor


def _shortest_number(region: str) -> int:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    lengths = [n for n in (metadata.general_desc.possible_length if metadata else ()) if n > 0]
    return min(lengths) if lengths else 2


@lru_cache(maxsize=1)
def _shortest_anywhere() -> int:
    return min(_shortest_number(r) for r in phonenumbers.SUPPORTED_REGIONS)


def _shortest_idd(region: str) -> int:
    """Digits in the shortest international dialling prefix of ``region`` (00, 011, ...)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
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


def make_recognizer_classes():
    """presidio subclasses that stay offline and never log a found value."""
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
