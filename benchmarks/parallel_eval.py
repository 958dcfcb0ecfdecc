"""Parallel stage on real bitext: true pairs kept, synthetic negatives dropped.

Run:  python benchmarks/parallel_eval.py [--split test] [--per-lang 300] [--out benchmarks/results/parallel.md]
      python benchmarks/parallel_eval.py --calibrate [--split tune]   # length weights and a threshold sweep

**Data.** Real English -> X pairs from the gettext catalogues of Debian packages
(``benchmarks/realdata.py``: ``bitext(split)``, fetched with ``apt-get download`` at
benchmark time and cached under ``benchmarks/.cache/``; split by a stable hash of the
English msgid, ~30% tune / 70% test). Up to ``--per-lang`` pairs per language are
taken (a keyed hash orders them), among languages with at least 50 pairs.

**Negatives** (built here from the same catalogues, so every side is a real string
of the declared or the stated language):

* ``third`` — a true pair whose translation is replaced by the translation of the
  same msgid in another language (a different base language, chosen by hash);
* ``english_copy`` — the translation replaced by the English msgid itself (an
  untranslated entry);
* ``english_other`` — the translation replaced by the English msgid of another entry;
* ``mismatch`` — the translation replaced by the translation, in the same language,
  of another entry (a different msgid, and a different translation);
* ``mismatch_hard`` — the same, but the other entry is chosen among those with the
  same non-empty multiset of placeholders (``%s``, ``{0}``, ``<b>``...), so the
  placeholder check cannot tell them apart.

The stage is run through :class:`pipeline.stages.parallel_core.PairFilter` with the
product's defaults (bundled lid.176 model, default token counter, PII off): each pair
is kept or dropped with its reason, exactly as in a pipeline run.

Per-check figures: each correspondence check is also run alone on every true and
``mismatch`` pair of the split; its precision is the share of its drops that are
mismatches when true and mismatched pairs are equally many (one of each per entry).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for path in (ROOT, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from pipeline.config import parse_config  # noqa: E402
from pipeline.hashing import stable_digest  # noqa: E402
from pipeline.records import Dropped  # noqa: E402
from pipeline.stages.parallel_checks import CHECKS, failing_check, placeholders  # noqa: E402
from pipeline.stages.parallel_core import BitextPair, PairFilter, normalize_for_dedup  # noqa: E402
from pipeline.text.langcodes import base_language  # noqa: E402

# Languages evaluated by default: the big languages of the catalogues, in every script the stage must handle.
LANGS = ("ar", "de", "el", "es", "fa", "fr", "he", "hi", "id", "it", "ja", "km", "ko", "nl", "pl", "pt", "pt-BR",
         "ru", "sv", "th", "tr", "uk", "vi", "zh-Hans", "zh-Hant")
KINDS = ("true", "third", "english_copy", "english_other", "mismatch", "mismatch_hard")
MIN_PAIRS = 50


def _key(*parts) -> str:
    return stable_digest("parallel_eval", *map(str, parts), length=16)


def load(split: str, per_lang: int, langs=LANGS) -> dict[str, list[dict]]:
    """Language -> up to per_lang real pairs (ordered by keyed hash), languages with >= MIN_PAIRS pairs."""
    import realdata

    by_lang: dict[str, list[dict]] = defaultdict(list)
    for record in realdata.bitext(split):
        if record["lang"] in langs and record["en"].strip() and record["text"].strip():
            by_lang[record["lang"]].append(record)
    out = {}
    for lang in sorted(by_lang):
        records = sorted(by_lang[lang], key=lambda r: _key(r["id"]))
        if len(records) >= MIN_PAIRS:
            out[lang] = records[:per_lang]
    return out


def build_cases(data: dict[str, list[dict]]) -> list[tuple[str, str, BitextPair]]:
    """(kind, lang, pair) for every true pair and its negatives."""
    by_msgid: dict[str, dict[str, str]] = defaultdict(dict)
    for lang, records in data.items():
        for r in records:
            by_msgid[r["en"]][lang] = r["text"]
    cases = []
    for lang, records in sorted(data.items()):
        holders = defaultdict(list)
        for r in records:
            ph = placeholders(r["en"])
            if ph:
                holders[tuple(sorted(ph.items()))].append(r)
        for i, r in enumerate(records):
            base = dict(source="bitext", lang_a="en", lang_b=lang, file="realdata", line=i)

            def pair(kind, text):
                return BitextPair(id=f"{kind}-{r['id']}", text_a=r["en"], text_b=text, **base)

            cases.append(("true", lang, pair("true", r["text"])))
            others = sorted((l for l in by_msgid[r["en"]] if base_language(l) != base_language(lang)),
                            key=lambda l: _key("third", r["id"], l))
            if others:
                cases.append(("third", lang, pair("third", by_msgid[r["en"]][others[0]])))
            cases.append(("english_copy", lang, pair("english_copy", r["en"])))
            other = _other_entry(records, r, "english")
            if other is not None:
                cases.append(("english_other", lang, pair("english_other", other["en"])))
            other = _other_entry(records, r, "mismatch")
            if other is not None:
                cases.append(("mismatch", lang, pair("mismatch", other["text"])))
            ph = placeholders(r["en"])
            if ph:
                other = _other_entry(holders[tuple(sorted(ph.items()))], r, "hard")
                if other is not None:
                    cases.append(("mismatch_hard", lang, pair("mismatch_hard", other["text"])))
    return cases


def _other_entry(candidates: list[dict], r: dict, purpose: str) -> dict | None:
    """Another entry: different English and different translation (normalised), chosen by hash."""
    en, text = normalize_for_dedup(r["en"]), normalize_for_dedup(r["text"])
    ordered = sorted(candidates, key=lambda c: _key(purpose, r["id"], c["id"]))
    for c in ordered:
        if normalize_for_dedup(c["en"]) != en and normalize_for_dedup(c["text"]) != text:
            return c
    return None


class CachingIdentifier:
    """The stage's identifier with its answers remembered (sweeps ask about the same sides again)."""

    def __init__(self, identifier):
        self.identifier = identifier
        self.cache = {}

    def labels(self):
        return self.identifier.labels()

    def predict_one(self, text, script=None):
        if text not in self.cache:
            self.cache[text] = self.identifier.predict_one(text)
        return self.cache[text]


def make_filter(overrides: dict | None = None, identifier=None) -> PairFilter:
    config = parse_config({
        "name": "parallel-eval", "seed": 1,
        "sources": [{"name": "bitext", "kind": "parallel", "paths": ["unused.tsv"]}],
        "parallel": {"enabled": True, **(overrides or {})},
        "pii": {"enabled": False},
    }, check_paths=False)
    return PairFilter(config, identifier=identifier)


def run(cases, pair_filter: PairFilter) -> list[tuple[str, str, str]]:
    """(kind, lang, outcome) with outcome 'kept' or the drop reason."""
    out = []
    for kind, lang, pair in cases:
        result, _ = pair_filter.check(pair)
        out.append((kind, lang, result.reason.split(":", 1)[1] if isinstance(result, Dropped) else "kept"))
    return out


def summary(results) -> dict[str, float]:
    """Overall % true kept, the lowest language's, and % dropped per negative kind."""
    count = defaultdict(Counter)
    for kind, lang, outcome in results:
        count[(kind, lang)][outcome] += 1
        count[(kind, "")][outcome] += 1
    out = {"true": 100.0 * count[("true", "")]["kept"] / max(1, sum(count[("true", "")].values()))}
    langs = {lang for kind, lang, _ in results if kind == "true"}
    out["worst"] = min(100.0 * count[("true", l)]["kept"] / sum(count[("true", l)].values()) for l in langs)
    for kind in KINDS[1:]:
        c = count[(kind, "")]
        out[kind] = 100.0 * (sum(c.values()) - c["kept"]) / max(1, sum(c.values()))
    return out


def sweep(cases, grid: dict[str, list], base: dict) -> list[str]:
    import itertools

    from pipeline.stages.parallel_core import _make_identifier

    identifier = CachingIdentifier(_make_identifier(make_filter(base).config))
    names = sorted(grid)
    lines = ["| " + " | ".join(names + ["% true kept", "worst lang", *KINDS[1:]]) + " |",
             "|" + "---|" * (len(names) + 2 + len(KINDS) - 1)]
    for values in itertools.product(*(grid[n] for n in names)):
        overrides = {**base, **dict(zip(names, values))}
        s = summary(run(cases, make_filter(overrides, identifier)))
        lines.append("| " + " | ".join([str(v) for v in values] + [f"{s['true']:.1f}", f"{s['worst']:.1f}"]
                                       + [f"{s[k]:.1f}" for k in KINDS[1:]]) + " |")
        print(lines[-1], flush=True)
    return lines


def pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:.1f}" if d else "–"


def tables(results, cases, split: str, per_lang: int) -> list[str]:
    langs = sorted({lang for _, lang, _ in results})
    count = defaultdict(Counter)  # (kind, lang) -> outcome counts
    for kind, lang, outcome in results:
        count[(kind, lang)][outcome] += 1
    lines = [f"Split `{split}` of `benchmarks/realdata.py` bitext (English msgid -> translation from the gettext "
             f"catalogues of Debian packages: GTK, GLib, Nautilus, GNOME Control Center, coreutils, dpkg, apt, tar, "
             f"iso-codes, ...), up to {per_lang} true pairs per language (chosen by keyed hash). The stage runs with "
             "its defaults (bundled lid.176, default token counter, PII off) through `PairFilter.check`, exactly as "
             "in a pipeline run. Thresholds were chosen on split `tune`; this table is another split unless it says "
             "`tune`.", "",
             "Negatives, built from the same entries (every side is a real catalogue string):", "",
             "* `third`: the translation replaced by the same msgid's translation in another base language "
             "(chosen by hash among the evaluated languages);",
             "* `english_copy`: the translation replaced by the English msgid (an untranslated entry);",
             "* `english_other`: the translation replaced by another entry's English msgid;",
             "* `mismatch`: the translation replaced by another entry's translation in the same language "
             "(different msgid and different translation);",
             "* `mismatch_hard`: the same, among entries whose English has the same non-empty multiset of "
             "placeholders (so the placeholder check cannot tell them apart).", ""]
    header = ["lang", "true pairs", "% true kept", *[f"% {k} dropped" for k in KINDS[1:]]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    totals = defaultdict(Counter)
    for lang in langs + ["all"]:
        row = [lang]
        for kind in KINDS:
            c = totals[kind] if lang == "all" else count[(kind, lang)]
            if lang != "all":
                totals[kind].update(c)
            n = sum(c.values())
            if kind == "true":
                row += [str(n), pct(c["kept"], n)]
            else:
                row.append(f"{pct(n - c['kept'], n)} ({n})" if n else "–")
        if lang == "all":
            row = [f"**{x}**" for x in row]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Drop reasons per kind of pair (all languages):", ""]
    reasons = sorted({o for _, _, o in results if o != "kept"})
    header = ["reason", *KINDS]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for reason in reasons:
        lines.append("| " + " | ".join([f"`parallel:{reason}`"] + [str(totals[k][reason]) for k in KINDS]) + " |")
    lines += ["", "True pairs dropped, per language and reason:", ""]
    true_reasons = sorted({o for k, _, o in results if k == "true" and o != "kept"})
    header = ["lang", *[f"`{r}`" for r in true_reasons]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for lang in langs:
        c = count[("true", lang)]
        lines.append("| " + " | ".join([lang] + [str(c[r]) for r in true_reasons]) + " |")
    lines += ["", "Mismatched pairs (`mismatch`) dropped, per language and reason:", ""]
    mis_reasons = sorted({o for k, _, o in results if k == "mismatch" and o != "kept"})
    header = ["lang", *[f"`{r}`" for r in mis_reasons]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for lang in langs:
        c = count[("mismatch", lang)]
        lines.append("| " + " | ".join([lang] + [str(c[r]) for r in mis_reasons]) + " |")
    lines += ["", "Each correspondence check alone on all true and `mismatch` pairs (one mismatch per entry, so "
              "precision is at a 1:1 ratio):", ""]
    per = {k: [p for kind, _, p in cases if kind == k] for k in ("true", "mismatch")}
    lines += ["| check | true pairs dropped | mismatches dropped | precision |", "|---|---|---|---|"]
    for name in CHECKS:
        t = sum(1 for p in per["true"] if failing_check(p.text_a, p.text_b, p.lang_b, [name]))
        m = sum(1 for p in per["mismatch"] if failing_check(p.text_a, p.text_b, p.lang_b, [name]))
        lines.append(f"| `{name}` | {t} of {len(per['true'])} ({pct(t, len(per['true']))}%) | "
                     f"{m} of {len(per['mismatch'])} ({pct(m, len(per['mismatch']))}%) | "
                     f"{(m / (m + t)):.3f} |" if m + t else f"| `{name}` | 0 | 0 | – |")
    return lines


CALIBRATION_LANGS = ("ja", "km", "lo", "my", "th", "zh-Hans", "zh-Hant")


def calibrate(data: dict[str, list[dict]]) -> list[str]:
    """Word-like units per letter of each spaceless script, from pairs whose English side
    has at least 3 words: per pair (English words - the translation's words) / its
    letters of the script, median over pairs where that script is the translation's only
    spaceless one. Japanese kana: Han taken at the Chinese median, the rest per kana letter."""
    from pipeline.mixture.tokens import count_units
    from pipeline.stages.parallel_checks import length_units, strip_placeholders
    from pipeline.text.script import SPACELESS_SCRIPTS, script_counts

    samples = defaultdict(list)
    mixed = []
    for lang, records in data.items():
        for r in records:
            en = length_units(r["en"], {}, 1.0)
            if en < 3:
                continue
            text = strip_placeholders(r["text"])
            counts = script_counts(text)
            spaceless = {s: n for s, n in counts.items() if s in SPACELESS_SCRIPTS}
            if not spaceless:
                continue
            rest = max(0.0, en - count_units(text).words)
            if len(spaceless) == 1:
                (script, letters), = spaceless.items()
                samples[script].append(rest / letters)
            elif lang == "ja":
                mixed.append((rest, spaceless.get("Hani", 0), spaceless.get("Hira", 0) + spaceless.get("Kana", 0)))
    weights = {script: statistics.median(v) for script, v in samples.items() if len(v) >= 20}
    if "Hani" in weights and mixed:
        kana = [max(0.0, rest - weights["Hani"] * han) / k for rest, han, k in mixed if k]
        weights["Hira+Kana (in Japanese with Han)"] = statistics.median(kana)
        samples["Hira+Kana (in Japanese with Han)"] = kana
    lines = ["Units per letter of the scripts written without spaces:", "",
             "| script | pairs | median units per letter |", "|---|---|---|"]
    for script in sorted(weights):
        lines.append(f"| {script} | {len(samples[script])} | {weights[script]:.3f} |")
    return lines


def calibrate_languages(data: dict[str, list[dict]]) -> list[str]:
    """Per language, the median of English units / the translation's units with the
    default char_weights (pairs whose English side has at least 3 words)."""
    from pipeline.config.parallel import DEFAULT_CHAR_WEIGHTS
    from pipeline.stages.parallel_checks import length_units

    lines = ["Per language, English length / translation length in word-like units (default `char_weights`):", "",
             "| language | pairs | median | 10th percentile | 90th percentile |", "|---|---|---|---|---|"]
    for lang, records in sorted(data.items()):
        ratios = []
        for r in records:
            en = length_units(r["en"], {}, 1.0)
            other = length_units(r["text"], DEFAULT_CHAR_WEIGHTS, 1.0)
            if en >= 3 and other > 0:
                ratios.append(en / other)
        if len(ratios) >= 20:
            deciles = statistics.quantiles(ratios, n=10)
            lines.append(f"| {lang} | {len(ratios)} | {statistics.median(ratios):.2f} | {deciles[0]:.2f} | "
                         f"{deciles[-1]:.2f} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--split", default=None, help="tune | test (default: test; --calibrate: tune)")
    parser.add_argument("--per-lang", type=int, default=300)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="parallel setting for this run (YAML value), e.g. --set margin=0.2")
    parser.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                        help="sweep: run every combination of these parallel settings (YAML values)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    split = args.split or ("tune" if args.calibrate else "test")
    import yaml

    overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    data = load(split, args.per_lang, tuple(sorted(set(CALIBRATION_LANGS) | set(LANGS))) if args.calibrate
                else LANGS)
    if args.grid:
        grid = {k: [yaml.safe_load(x) for x in v.split(",")] for k, v in (g.split("=", 1) for g in args.grid)}
        lines = [f"# Parallel stage: threshold sweep on split `{split}`", ""] + sweep(build_cases(data), grid,
                                                                                       overrides)
    elif args.calibrate:
        lines = (["# Parallel stage: length-unit calibration", "",
                  f"Split `{split}` of `benchmarks/realdata.py` bitext, up to {args.per_lang} pairs per language.", ""]
                 + calibrate({k: v for k, v in data.items() if k in CALIBRATION_LANGS}) + [""]
                 + calibrate_languages(data))
    else:
        cases = build_cases(data)
        results = run(cases, make_filter(overrides))
        title = "# Parallel data on real bitext"
        settings = f" Settings changed: {overrides}." if overrides else ""
        lines = [title, ""] + tables(results, cases, split, args.per_lang)
        lines[2] += settings
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
