"""PII detection and replacement with presidio-analyzer, fully offline (no Beam here).

Design, in the order a document meets it:

1. **Pre-check.** One cheap regex per entity type says whether the type can occur at
   all ('@' for e-mail, four dotted numbers or two colons for IP, 13+ digits for cards,
   ...). Only recognizers whose pre-check fires are run; a document where none fires
   skips presidio entirely, and python-phonenumbers only sees windows around digit
   clusters long enough to be a number. Each gate is a superset of what its recognizer
   can match, so the pre-check never changes the output (tested). Gates and
   recognizers are in ``pii_recognizers``.
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
   nearby are left alone (see ``pii_rules``).
5. **Replacement** with a placeholder, a consistent fake value from a keyed hash
   (``pii_fake``), or a decision to drop the document.

Found values are never logged or stored: results carry entity types and offsets only.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Iterable

import regex

from pipeline.config.pii import DEFAULT_ENTITIES, PiiConfig, presidio_pattern_recognizers
from pipeline.records import UNDETERMINED, Doc, Dropped
from pipeline.stats import PiiEntity, PiiIgnored, PiiLang
from pipeline.stages.pii_fake import fake_value
from pipeline.stages.pii_recognizers import (
    AGNOSTIC_LANGUAGE,
    GATES,
    PHONE,
    make_recognizer_classes,
    offline_tld_extractor,
    phone_gate_pattern,
)
from pipeline.stages.pii_rules import KeepRules
from pipeline.stages.pii_spans import Span, joined_view, resolve_overlaps, separated_view, trim_span

STAGE = "pii"

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

# Values are found in a snippet that may be cut anywhere: these catch the halves.
_SNIPPET_EMAIL = regex.compile(r"[^\s<>@\"']*@[^\s<>@\"']+")
_SNIPPET_DIGITS = regex.compile(r"[+(]?\d(?:[\s\-./()]{0,2}\d){6,}")


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
        email_cls, iban_cls, phone_cls, card_cls = make_recognizer_classes()
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
        table = presidio_pattern_recognizers()
        registered: set[str] = set()
        for name in wanted:
            if name == PHONE or name in self._custom:
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
        self._rules = KeepRules(cfg)

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
            gate = self._phone_gate(regions) if name == PHONE else GATES.get(name)
            if gate is None or any(gate.search(t) for t in texts):
                out.append(name)
        return out

    def _analyze(self, text: str, entities: list[str], regions: tuple[str, ...], windowed: bool) -> list:
        if not entities:
            return []
        ad_hoc = [self._phone_for(regions, windowed)] if PHONE in entities else None
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
            results += self._analyze(view, [e for e in entities if e != PHONE], settings.regions, use_precheck)
        candidates = [
            Span(r.entity_type, *trim_span(text, r.start, r.end), float(r.score))
            for r in results
            if r.score > 0 and r.score >= settings.min_score and r.end > r.start
            # a Luhn-valid digit run right after '+' is an E.164 phone number, not a card
            and not (r.entity_type == "CREDIT_CARD" and r.start > 0 and text[r.start - 1] in "+\uFF0B")
        ]
        candidates = [span for span in candidates if span.end > span.start]
        chosen = resolve_overlaps(candidates)
        kept, ignored = self._rules.judge(text, chosen, settings.regions)
        return kept, ignored, False

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


def stats_for(result: ScrubResult, lang: str) -> list[tuple[str, int]]:
    """Report figures for one document (no values, only counts)."""
    lang = lang or UNDETERMINED
    stats: list[tuple[str, int]] = [(PiiLang("docs", lang).key, 1)]
    if result.skipped_presidio:
        stats.append((PiiLang("precheck_skipped", lang).key, 1))
    if result.spans:
        stats.append((PiiLang("docs_with_pii", lang).key, 1))
        stats.append((PiiLang("spans", lang).key, len(result.spans)))
    for entity in sorted(result.counts):
        stats.append((PiiEntity(entity, lang).key, result.counts[entity]))
    for rule in sorted(result.ignored):
        stats.append((PiiIgnored(rule, lang).key, result.ignored[rule]))
    return stats


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
