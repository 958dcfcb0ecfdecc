#!/usr/bin/env python
"""Mixed-script documents on real data: language labels, quality keep rates, near-dup recall, unknown scripts.

    python benchmarks/mixed_script_eval.py                 # split "test", writes benchmarks/results/mixed_script.md
    python benchmarks/mixed_script_eval.py --split tune    # the tuning split, printed only
    python benchmarks/mixed_script_eval.py --before /work/main
        # also runs the same measurements on another checkout of the pipeline (PYTHONPATH=that
        # checkout, in a subprocess) and adds a before/after table of the headline figures

Data (fetched from package registries at benchmark time, cached under benchmarks/.cache/):

* documentation pages: ``realdata.docs(split)`` — Debian manuals and GNOME Help in ~40
  languages (zh-Hans, zh-Hant, ja, ko, ...), see benchmarks/realdata.py;
* text in scripts the bundled lid.176 model has no language for: the CLDR locale data shipped
  in the ``babel`` wheel (``pip download --no-deps babel``): for every locale whose script no
  model label is written in (Cherokee, Yi, N'Ko, Vai, Ol Chiki, Tifinagh, Adlam, ...), its
  localised names of languages, territories, months and days, cut into documents of ~40 names.

Every figure is the output of the pipeline's stage cores with the default config:

1. **labels**: :func:`pipeline.stages.langid_core.identify_batch` on every page; a page is
   right when its label's language is the page's language (``zh-Hant`` pages: ``zh-Hant``
   when ``langid.chinese_variants`` is on); ``zh-Latn`` labels are counted;
2. **keep rate**: pages kept by language ID then :class:`QualityChecker` (labels and scripts as
   language ID set them), per page language, and its ratio to the median language's;
3. **near duplicates**: every zh/ja page plus an edited copy with one English header line and one
   English footer line (lines taken from the English pages), deduplicated by
   :func:`deduplicate_in_memory`; recall = planted pairs put in one cluster, precision = merged
   pairs that are planted (distinct pages merged count against it);
4. **unknown scripts**: share of those documents given a real language with a score at or
   above ``langid.min_score`` (the rest are ``und``).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import realdata  # noqa: E402

from pipeline.config import DedupConfig, LangIdConfig  # noqa: E402
from pipeline.config.quality import QualityConfig  # noqa: E402
from pipeline.records import Doc  # noqa: E402
from pipeline.stages.dedup_core import deduplicate_in_memory, resolve_settings  # noqa: E402
from pipeline.stages.langid_core import LanguageIdentifier, identify_batch, load_model  # noqa: E402
from pipeline.stages.quality_core import QualityChecker  # noqa: E402
from pipeline.text.langcodes import known_scripts, normalize_lang, _usual_script  # noqa: E402

RESULTS = os.path.join(HERE, "results", "mixed_script.md")
CACHE = os.environ.get("MIXTURE_BENCH_CACHE", os.path.join(HERE, ".cache", "realdata"))
BABEL_VERSION = "2.18.0"
MIN_PAGES = 20  # languages with fewer test pages are listed but not part of the keep-rate spread
CJK = ("zh", "zh-Hant", "ja")


def base(code: str) -> str:
    return code.split("-", 1)[0]


def langid_config(**values):
    section = LangIdConfig()
    for key, value in values.items():
        if key in type(section).model_fields:  # an older pipeline may lack a switch
            setattr(section, key, value)
    return section


def to_docs(pages: list[dict]) -> list[Doc]:
    return [Doc(id=p["id"], text=p["text"], source="docs", lang="und") for p in pages]


def run_langid(model, pages: list[dict], **values):
    section = langid_config(**values)
    identifier = LanguageIdentifier.from_config(section, model=model)
    results, stats = identify_batch(identifier, section, to_docs(pages))
    return results, stats


# --------------------------------------------------------------------------- 1 + 2: labels and keep rates


def label_table(pages, results, variant_results):
    rows = defaultdict(Counter)
    for page, result, variant in zip(pages, results, variant_results):
        gold = normalize_lang(page["lang"])
        doc = getattr(result, "doc", result)
        row = rows[gold]
        row["pages"] += 1
        label = doc.lang
        row["right"] += base(label) == base(gold)
        row["exact"] += label == gold
        row["zh-Latn"] += label == "zh-Latn"
        row["und"] += label == "und"
        vdoc = getattr(variant, "doc", variant)
        row["variant_exact"] += vdoc.lang == gold
    return rows


def keep_rates(pages, results, checker):
    kept = Counter()
    total = Counter()
    for page, result in zip(pages, results):
        gold = normalize_lang(page["lang"])
        total[gold] += 1
        if hasattr(result, "reason"):  # dropped by language ID
            continue
        if checker.check(result.text, result.lang, result.script).kept:
            kept[gold] += 1
    return {lang: (kept[lang], total[lang]) for lang in total}


# --------------------------------------------------------------------------- 3: near duplicates


def english_lines(pages: list[dict]) -> list[str]:
    """First lines of English pages (page titles): real English header/footer lines."""
    lines = []
    for page in pages:
        if page["lang"] == "en":
            first = page["text"].strip().split("\n", 1)[0].strip()
            if 3 <= len(first.split()) <= 12:
                lines.append(first)
    return sorted(set(lines))


def pick(lines: list[str], key: str) -> str:
    return lines[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(lines)]


def near_dup(pages: list[dict], results, header_pool: list[str]):
    docs = []
    truth = {}
    page_of = {}
    for page, result in zip(pages, results):
        doc = getattr(result, "doc", result)
        if normalize_lang(page["lang"]) not in CJK:
            continue
        edited = pick(header_pool, page["id"] + "/h") + "\n\n" + page["text"] + "\n\n" + pick(header_pool, page["id"] + "/f")
        original = Doc(id=page["id"], text=page["text"], source="docs", lang=doc.lang, script=doc.script)
        copy_id = page["id"] + "#edited"
        docs.append(original)
        docs.append(Doc(id=copy_id, text=edited, source="docs", lang=doc.lang, script=doc.script))
        truth[page["id"]] = copy_id
        page_of[page["id"]] = page_of[copy_id] = page["id"]
    settings = resolve_settings(DedupConfig(), 0)
    outcome = deduplicate_in_memory(docs, settings)
    rep = {d.id: d.id for d in docs}
    for doc_id, (_, representative) in outcome.dropped.items():
        rep[doc_id] = representative

    def root(x):
        while rep[x] != x:
            x = rep[x]
        return x

    found = sum(1 for a, b in truth.items() if root(a) == root(b))
    merged = len(outcome.dropped)
    right = sum(1 for doc_id, (_, r) in outcome.dropped.items() if page_of[doc_id] == page_of[r])
    by_lang = Counter()
    by_lang_found = Counter()
    lang_of = {p["id"]: normalize_lang(p["lang"]) for p in pages}
    for a, b in truth.items():
        by_lang[lang_of[a]] += 1
        by_lang_found[lang_of[a]] += root(a) == root(b)
    return {"pairs": len(truth), "found": found, "merged": merged, "right": right,
            "by_lang": {k: (by_lang_found[k], by_lang[k]) for k in sorted(by_lang)}}


# --------------------------------------------------------------------------- 4: unknown scripts


def babel_wheel() -> str:
    folder = os.path.join(CACHE, "pypi")
    os.makedirs(folder, exist_ok=True)
    found = glob.glob(os.path.join(folder, f"babel-{BABEL_VERSION}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", folder,
                        f"babel=={BABEL_VERSION}"], check=True)
        found = glob.glob(os.path.join(folder, f"babel-{BABEL_VERSION}-*.whl"))
    return found[0]


def covered_scripts(model) -> set[str]:
    """Every script a language of the model is written in (CLDR), families included."""
    from pipeline.stages.langid_core import model_labels, label_to_lang

    scripts: set[str] = set()
    for label in model_labels(model):
        code = base(label_to_lang(label))
        usual = _usual_script(code)
        if usual:
            scripts.add(usual)
        scripts.update(known_scripts(code))
    families = {"Jpan": {"Hani", "Hira", "Kana"}, "Kore": {"Hang", "Hani"}, "Hans": {"Hani"}, "Hant": {"Hani"}}
    for script in list(scripts):
        scripts.update(families.get(script, ()))
    return scripts


def unknown_script_docs(model, per_doc: int = 40) -> list[dict]:
    """Documents of CLDR-localised names in scripts no model language is written in."""
    from pipeline.text.script import dominant_script

    covered = covered_scripts(model)
    out = []
    with zipfile.ZipFile(babel_wheel()) as wheel:
        names = sorted(n for n in wheel.namelist() if n.startswith("babel/locale-data/") and n.endswith(".dat"))
        for name in names:
            locale = os.path.basename(name)[:-4]
            data = pickle.loads(wheel.read(name))
            pieces = []
            for key in ("languages", "territories", "scripts"):
                table = data.get(key)
                if isinstance(table, dict):
                    pieces.extend(str(v) for _, v in sorted(table.items()) if isinstance(v, str))
            for key in ("months", "days"):
                contexts = data.get(key)
                for context in sorted(contexts) if isinstance(contexts, dict) else ():
                    widths = contexts[context]
                    for width in sorted(widths) if isinstance(widths, dict) else ():
                        names = widths[width]
                        if isinstance(names, dict):
                            pieces.extend(str(v) for _, v in sorted(names.items()) if isinstance(v, str))
            pieces = list(dict.fromkeys(p for p in pieces if p))
            if len(pieces) < per_doc:
                continue
            script = dominant_script(" ".join(pieces))
            if script in covered or script in ("Zyyy", "Latn"):
                continue
            for i in range(0, len(pieces) - per_doc + 1, per_doc):
                text = " ".join(pieces[i:i + per_doc])
                if dominant_script(text) == script:
                    out.append({"id": f"{locale}/{i // per_doc}", "locale": locale, "script": script, "text": text})
    return out


def unknown_script_labels(model, docs: list[dict]):
    section = langid_config()
    identifier = LanguageIdentifier.from_config(section, model=model)
    results, stats = identify_batch(identifier, section, [Doc(id=d["id"], text=d["text"], source="cldr") for d in docs])
    per_script = defaultdict(Counter)
    for d, result in zip(docs, results):
        doc = getattr(result, "doc", result)
        row = per_script[d["script"]]
        row["docs"] += 1
        confident = not hasattr(result, "reason") and doc.lang != "und"
        row["confident"] += confident
        if confident:
            row[f"label:{doc.lang}"] += 1
    return per_script, stats


# --------------------------------------------------------------------------- report


def fmt_rate(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--split", default="test", choices=["tune", "test", "all"])
    parser.add_argument("--stdout", action="store_true", help="print instead of writing the results file")
    parser.add_argument("--label", default="this version", help="name of the pipeline version measured")
    parser.add_argument("--before", metavar="CHECKOUT", help="another checkout of the repository to compare with")
    parser.add_argument("--before-label", help="how to name that version (default: its git commit)")
    parser.add_argument("--json", action="store_true", help="print the headline figures as JSON only")
    args = parser.parse_args(argv)

    pages = realdata.docs(split=args.split, cache=CACHE)
    model = load_model("bundled")
    results, _ = run_langid(model, pages)
    variant_results, _ = run_langid(model, pages, chinese_variants=True)
    labels = label_table(pages, results, variant_results)
    checker = QualityChecker(QualityConfig())
    keeps = keep_rates(pages, results, checker)
    all_pages = realdata.docs(split="all", cache=CACHE)
    near = near_dup(pages, results, english_lines(all_pages))
    unknown = unknown_script_docs(model)
    per_script, _ = unknown_script_labels(model, unknown)

    measured = {lang: k / t for lang, (k, t) in keeps.items() if t >= MIN_PAGES}
    median = statistics.median(measured.values()) if measured else 0.0
    zh_pages = sum(labels[l]["pages"] for l in ("zh", "zh-Hant") if l in labels)
    zh_right = sum(labels[l]["right"] for l in ("zh", "zh-Hant") if l in labels)
    zh_latn = sum(row["zh-Latn"] for row in labels.values())
    unknown_docs = sum(row["docs"] for row in per_script.values())
    unknown_conf = sum(row["confident"] for row in per_script.values())
    ratios = {lang: rate / median for lang, rate in measured.items()} if median else {}
    headline = {
        "Chinese pages labelled zh/zh-Hant": f"{zh_right}/{zh_pages}",
        "zh-Latn labels": zh_latn,
        "zh-Hant pages labelled zh-Hant (chinese_variants on)": "{}/{}".format(
            labels["zh-Hant"]["variant_exact"], labels["zh-Hant"]["pages"]) if "zh-Hant" in labels else "-",
        "keep rate: zh / ja / en / median": " / ".join(
            fmt_rate(*keeps[l]) if l in keeps else "-" for l in ("zh", "ja", "en")) + f" / {median:.3f}",
        "keep-rate ratio to median, min – max": f"{min(ratios.values()):.2f} – {max(ratios.values()):.2f}" if ratios else "-",
        "near-dup recall, zh/ja + one English header/footer line": f"{near['found']}/{near['pairs']} = {fmt_rate(near['found'], near['pairs'])}",
        "near-dup precision": f"{near['right']}/{near['merged']} = {fmt_rate(near['right'], near['merged'])}",
        "unknown-script documents confidently labelled": f"{unknown_conf}/{unknown_docs} = {fmt_rate(unknown_conf, unknown_docs)}",
    }
    if args.json:
        print(json.dumps(headline))
        return 0
    before = None
    if args.before:
        env = dict(os.environ, PYTHONPATH=os.path.abspath(args.before))
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--split", args.split, "--json"],
                              env=env, capture_output=True, text=True, check=True)
        before = json.loads(done.stdout.strip().splitlines()[-1])
        commit = args.before_label or subprocess.run(["git", "-C", args.before, "rev-parse", "--short", "HEAD"],
                                                     capture_output=True, text=True).stdout.strip()

    out = []
    out.append("# Mixed-script documents on real data\n")
    out.append(f"`python benchmarks/mixed_script_eval.py` ({args.label}); pages: `realdata.docs(split=\"{args.split}\")` "
               f"({len(pages)} pages of Debian manuals and GNOME Help, {len(labels)} languages; thresholds were "
               "chosen on split \"tune\", never on these pages). Default config throughout; every figure is "
               "what the stage cores output.\n")
    if before is not None:
        out.append(f"## Headline: before ({commit}, the same script run on that version) and after\n")
        out.append("| figure | before | after |")
        out.append("|---|---|---|")
        for key, value in headline.items():
            out.append(f"| {key} | {before.get(key, '-')} | {value} |")
        out.append("")
    out.append("## Language labels and keep rate after quality filtering, per page language\n")
    out.append(f"Keep rate = pages kept by language ID then quality / pages. Median keep rate over the "
               f"{len(measured)} languages with at least {MIN_PAGES} pages: **{median:.3f}**; ratio = keep rate / median "
               "(target ½–2).\n")
    out.append("| language | pages | label right | exact tag | zh-Latn | und | exact tag, chinese_variants on | kept | keep rate | ratio |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    outside = []
    for lang in sorted(labels):
        row = labels[lang]
        k, t = keeps[lang]
        ratio = (k / t) / median if median and t >= MIN_PAGES else None
        if ratio is not None and not 0.5 <= ratio <= 2.0:
            outside.append(lang)
        out.append(f"| {lang} | {row['pages']} | {fmt_rate(row['right'], row['pages'])} | "
                   f"{fmt_rate(row['exact'], row['pages'])} | {row['zh-Latn']} | {row['und']} | "
                   f"{fmt_rate(row['variant_exact'], row['pages'])} | {k} | {fmt_rate(k, t)} | "
                   f"{'-' if ratio is None else f'{ratio:.2f}'} |")
    out.append("")
    out.append(f"Chinese pages labelled `zh`/`zh-Hant`: **{zh_right}/{zh_pages} = {fmt_rate(zh_right, zh_pages)}**; "
               f"`zh-Latn` labels on any page: **{zh_latn}**. Languages whose keep-rate ratio is outside ½–2: "
               f"**{', '.join(outside) or 'none'}**.\n")

    out.append("## Near duplicates: zh/ja pages and a copy with one English header and footer line\n")
    out.append(f"Default dedup config; {near['pairs']} planted pairs among {2 * near['pairs']} documents.\n")
    out.append("| pages | planted pairs | found | recall |")
    out.append("|---|---:|---:|---:|")
    for lang, (found, total) in near["by_lang"].items():
        out.append(f"| {lang} | {total} | {found} | {fmt_rate(found, total)} |")
    out.append(f"| all | {near['pairs']} | {near['found']} | **{fmt_rate(near['found'], near['pairs'])}** |")
    out.append("")
    out.append(f"Precision: {near['right']} of {near['merged']} documents removed as duplicates were removed for "
               f"their own planted copy = **{fmt_rate(near['right'], near['merged'])}**.\n")

    out.append("## Text in scripts the language-ID model has no language for\n")
    out.append(f"CLDR locale data from the babel {BABEL_VERSION} wheel: localised names of languages, territories, "
               "scripts, months and days, 40 names per document, for every locale whose script no lid.176 "
               "language is written in. Confident = given a language other than `und` (score at or above "
               "`langid.min_score`, and no script mismatch).\n")
    out.append("| script | documents | confidently labelled | share | labels given |")
    out.append("|---|---:|---:|---:|---|")
    total_docs = total_conf = 0
    for script in sorted(per_script):
        row = per_script[script]
        total_docs += row["docs"]
        total_conf += row["confident"]
        given = ", ".join(f"{k[6:]} {v}" for k, v in sorted(row.items()) if k.startswith("label:"))
        out.append(f"| {script} | {row['docs']} | {row['confident']} | {fmt_rate(row['confident'], row['docs'])} | {given or '-'} |")
    out.append(f"| all | {total_docs} | {total_conf} | **{fmt_rate(total_conf, total_docs)}** | |")
    out.append("")
    text = "\n".join(out) + "\n"
    if args.stdout or args.split != "test":
        print(text)
    else:
        with open(RESULTS, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(text)
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
