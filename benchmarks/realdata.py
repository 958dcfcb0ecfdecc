#!/usr/bin/env python
"""Real evaluation data for the benchmarks: documentation pages and English-paired UI strings.

    python benchmarks/realdata.py --summary          # build the cache, print per-language counts
    python benchmarks/realdata.py --cache DIR        # build the cache in DIR

From a benchmark script::

    sys.path.insert(0, os.path.dirname(__file__))
    import realdata
    pages = realdata.docs(split="test")     # [{id, lang, text, source, page, split}, ...]
    pairs = realdata.bitext(split="test")   # [{id, lang, en, text, source, split}, ...]

Everything comes from Debian binary packages fetched with ``apt-get download`` (run as root it
may call ``apt-get update`` once when a package is unknown) and unpacked with ``dpkg-deb -x``
into a cache folder (``benchmarks/.cache/realdata/`` by default, gitignored; override with
``$MIXTURE_BENCH_CACHE`` or ``--cache``). Nothing is read from the live system (/usr/share), so
a fresh machine builds the same records. The parsed records are cached as JSON lines next to
the packages; delete the folder to rebuild.

docs: HTML pages of Debian's DocBook/Sphinx manuals (installation guide, Debian Reference,
Debian FAQ, New Maintainers' Guide, Developer's Reference) and the Mallard pages of GNOME Help
(gnome-user-docs). HTML is turned into plain text with html.parser (one block per line group,
blank line between blocks, <pre> lines kept, navigation header/footer, sidebars and tables of
contents dropped). GNOME Help ships every page in every language with the untranslated
paragraphs left in English: a block whose text equals a block of the English (C) page is
dropped, so only translated text is kept. Pages with fewer than 200 characters are skipped.

bitext: (English msgid, translation) pairs from compiled gettext catalogues (.mo) inside a
fixed list of Debian packages. Header entry, empty and untranslated (identical) entries are
dropped; plural entries keep the singular pair; the gettext context is stripped; in the GUI
catalogues (GTK-style mnemonics) the accelerator marker is removed on both sides ("_Open",
"開く(_O)"). Pairs are capped per (language, catalogue) by a stable hash so no catalogue
dominates.

split: a stable hash of the page path (docs; every translation of a page falls in the same
split) or of the English msgid (bitext) puts ~30% in "tune" and ~70% in "test".

Never used here (reserved for independent evaluation): manual pages (anything under a man/
directory), UDHR translations, Django catalogues.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from html.parser import HTMLParser

FORMAT_VERSION = 1
MIN_PAGE_CHARS = 200
TUNE_PERCENT = 30
PAIR_CAP = 400  # pairs per (language, catalogue)

_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CACHE = os.path.join(_HERE, ".cache", "realdata")

# --------------------------------------------------------------------------- sources

# Documentation packages: package -> how its pages are laid out (see _doc_files).
_LANGS_DEBREF = ["en", "de", "es", "fr", "id", "it", "ja", "pt", "pt-br", "zh-cn", "zh-tw"]
_LANGS_FAQ = ["de", "fr", "it", "ja", "ko", "nl", "pt", "ru", "zh-cn"]
_LANGS_MAINT = ["ca", "de", "es", "fr", "it", "ja", "ru", "vi", "zh-cn", "zh-tw"]
_LANGS_DEVREF = ["de", "fr", "it", "ja", "ru"]

DOC_PACKAGES = (
    ["installation-guide-amd64", "gnome-user-docs", "debian-faq", "maint-guide", "developers-reference"]
    + [f"debian-reference-{l}" for l in _LANGS_DEBREF]
    + [f"debian-faq-{l}" for l in _LANGS_FAQ]
    + [f"maint-guide-{l}" for l in _LANGS_MAINT]
    + [f"developers-reference-{l}" for l in _LANGS_DEVREF]
)

# Catalogue packages and the .mo domains taken from each (None: every domain in the package).
MO_PACKAGES = {
    "apt": None,
    "coreutils": None,
    "dpkg": None,
    "gnome-control-center-data": ["gnome-control-center-2.0"],
    "grep": None,
    "iso-codes": ["iso_3166-1", "iso_639-2"],
    "libglib2.0-data": ["glib20"],
    "libgtk-3-common": ["gtk30"],
    "libpam-runtime": None,
    "nautilus-data": ["nautilus"],
    "packagekit": None,
    "shared-mime-info": None,
    "tar": None,
    "util-linux-locales": None,
    "xdg-user-dirs": None,
}
# Catalogues whose strings carry GTK-style mnemonics ("_Open", "開く(_O)").
MNEMONIC_DOMAINS = {"gtk30", "glib20", "nautilus", "gnome-control-center-2.0", "PackageKit", "xdg-user-dirs"}


# --------------------------------------------------------------------------- language codes

_SCRIPT_VARIANTS = {"latin": "Latn", "cyrillic": "Cyrl", "devanagari": "Deva", "arabic": "Arab"}


def norm_lang(name: str) -> str | None:
    """Directory/file language name -> normalised code ("zh_CN" -> "zh-Hans", "pt_BR" -> "pt-BR",
    "sr@latin" -> "sr-Latn", "C" -> "en"). None for names that are not languages."""
    name = name.strip()
    if name in ("C", "POSIX"):
        return "en"
    m = re.fullmatch(r"([A-Za-z]{2,3})(?:[_-]([A-Za-z]{2}|[0-9]{3}))?(?:@([A-Za-z]+))?", name)
    if not m:
        return None
    lang, region, variant = m.group(1).lower(), m.group(2), m.group(3)
    if lang == "zh":
        region = (region or "").upper()
        if region in ("TW", "HK", "MO"):
            return "zh-Hant"
        return "zh-Hans"
    code = lang
    if variant:
        v = variant.lower()
        code += "-" + _SCRIPT_VARIANTS.get(v, v.title() if len(v) == 4 else v)
    if region:
        code += "-" + region.upper()
    return code


# --------------------------------------------------------------------------- fetching

def cache_dir(cache: str | None = None) -> str:
    return os.path.abspath(cache or os.environ.get("MIXTURE_BENCH_CACHE") or DEFAULT_CACHE)


def _deb_path(debs: str, pkg: str) -> str | None:
    found = sorted(glob.glob(os.path.join(debs, f"{pkg}_*.deb")))
    return found[-1] if found else None


def fetch_packages(packages: list[str], cache: str) -> dict[str, str]:
    """apt-get download the packages not yet in the cache, unpack each into root/<pkg>/.
    Returns {package: unpacked root}."""
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    missing = [p for p in packages if _deb_path(debs, p) is None]
    if missing:
        cmd = ["apt-get", "download", *missing]
        r = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
        if r.returncode != 0 and os.geteuid() == 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            r = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"apt-get download failed for {missing}:\n{r.stderr.strip()}")
    roots = {}
    for p in packages:
        deb = _deb_path(debs, p)
        if deb is None:
            raise RuntimeError(f"package {p} was not downloaded")
        root = os.path.join(cache, "root", p)
        stamp = os.path.join(root, ".from")
        if not (os.path.exists(stamp) and open(stamp).read() == os.path.basename(deb)):
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
            subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
            with open(stamp, "w") as f:
                f.write(os.path.basename(deb))
        roots[p] = root
    return roots


def package_versions(cache: str | None = None) -> dict[str, str]:
    debs = os.path.join(cache_dir(cache), "debs")
    out = {}
    for path in sorted(glob.glob(os.path.join(debs, "*.deb"))):
        name, version = os.path.basename(path).split("_")[:2]
        out[name] = version.replace("%3a", ":")
    return out


# --------------------------------------------------------------------------- HTML -> text

_BLOCK_TAGS = {
    "p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "table",
    "blockquote", "ul", "ol", "dl", "section", "article", "caption", "figcaption", "hr",
    "address", "body", "td", "th",
}
_SKIP_TAGS = {"head", "script", "style", "noscript", "nav"}
_SKIP_CLASSES = {
    "navheader", "navfooter", "header", "footer", "related", "sphinxsidebar", "toc",
    "headerlink", "searchformwrapper", "breadcrumbs", "list-of-tables", "list-of-examples",
    "list-of-figures",
}
_VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
_NL = "\x00"  # a kept line break inside a block (from <br>)


class _HTMLText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.cur: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.pre = 0
        self.table = 0

    def _flush(self):
        text = "".join(self.cur)
        self.cur = []
        if self.pre:
            lines = [ln.rstrip() for ln in text.replace(_NL, "\n").split("\n")]
            while lines and not lines[0].strip():
                lines.pop(0)
            while lines and not lines[-1].strip():
                lines.pop()
            text = "\n".join(lines)
        else:
            text = re.sub(r"[ \t\r\n\f\v\u00a0]+", " ", text)
            text = "\n".join(ln.strip() for ln in text.split(_NL) if ln.strip())
        if text:
            self.blocks.append(text)

    def handle_starttag(self, tag, attrs):
        if self.skip_tag is not None:
            if tag == self.skip_tag and tag not in _VOID:
                self.skip_depth += 1
            return
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        summary = (a.get("summary") or "").lower()
        if tag in _SKIP_TAGS or classes & _SKIP_CLASSES or summary.startswith("navigation"):
            if tag not in _VOID:
                self.skip_tag, self.skip_depth = tag, 1
            return
        if tag == "br":
            self.cur.append(_NL)
        elif tag in ("td", "th"):
            # table cells of one row stay on one line
            self.cur.append(" ")
        elif tag == "table":
            # a table is one block, one line per row
            if not self.table:
                self._flush()
            self.table += 1
        elif tag in _BLOCK_TAGS:
            if self.table:
                self.cur.append(_NL)
            else:
                self._flush()
            if tag == "pre":
                self.pre += 1

    def handle_endtag(self, tag):
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag in ("td", "th"):
            self.cur.append(" ")
        elif tag == "table" and self.table:
            self.table -= 1
            if not self.table:
                self._flush()
        elif tag in _BLOCK_TAGS:
            if self.table:
                self.cur.append(_NL)
            else:
                self._flush()
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data):
        if self.skip_tag is None:
            self.cur.append(data)

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self.blocks)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML page: blocks separated by blank lines, <pre> lines kept,
    navigation (DocBook nav header/footer, Sphinx sidebar/related bars, tables of contents) dropped."""
    p = _HTMLText()
    p.feed(markup)
    p.close()
    return unicodedata.normalize("NFC", p.text())


# --------------------------------------------------------------------------- Mallard -> blocks

_MAL_BLOCK = {"title", "subtitle", "p", "screen", "code", "desc"}
_MAL_SKIP = {"info", "media", "comment", "include"}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def mallard_blocks(path: str) -> list[str]:
    """Text blocks of a Mallard .page file (page info/credits left out), in document order."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return []
    out: list[str] = []

    def walk(el, top=False):
        name = _local(el.tag)
        if name in _MAL_SKIP:
            return
        if name in _MAL_BLOCK and not (top and name == "desc"):
            raw = "".join(el.itertext())
            if name in ("screen", "code"):
                lines = [ln.rstrip() for ln in raw.split("\n")]
                text = "\n".join(lines).strip("\n")
            else:
                text = re.sub(r"\s+", " ", raw).strip()
            if text:
                out.append(unicodedata.normalize("NFC", text))
            return
        for child in el:
            walk(child)

    walk(root, top=True)
    return out


# --------------------------------------------------------------------------- docs

def _split_of(key: str) -> str:
    h = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return "tune" if h % 100 < TUNE_PERCENT else "test"


def _doc_files(pkg: str, root: str):
    """Yield (lang name as shipped, page path without the language part, file path) for a package."""
    share = os.path.join(root, "usr", "share")

    def files(pattern):
        for f in sorted(glob.glob(os.path.join(share, pattern))):
            if not os.path.islink(f) and "/man/" not in f and os.path.isfile(f):
                yield f

    if pkg == "installation-guide-amd64":
        for f in files("doc/installation-guide-amd64/*/*.html"):
            lang = f.split("/")[-2]
            yield lang, f"doc/installation-guide-amd64/{os.path.basename(f)}", f
    elif pkg == "gnome-user-docs":
        for f in files("help/*/gnome-help/*.page"):
            lang = f.split("/")[-3]
            yield lang, f"help/gnome-help/{os.path.basename(f)}", f
    elif pkg.startswith("debian-reference-"):
        for f in files("debian-reference/*.html"):
            stem, lang, _ = os.path.basename(f).rsplit(".", 2)
            yield lang, f"debian-reference/{stem}.html", f
    elif pkg.startswith("debian-faq"):
        for f in files("doc/debian/FAQ/*.html") if pkg == "debian-faq" else files("doc/debian/FAQ/*/*.html"):
            stem, lang, _ = os.path.basename(f).rsplit(".", 2)
            yield lang, f"doc/debian/FAQ/{stem}.html", f
    elif pkg.startswith("maint-guide"):
        for f in files(f"doc/{pkg}/html/*.html"):
            stem, lang, _ = os.path.basename(f).rsplit(".", 2)
            yield lang, f"doc/maint-guide/html/{stem}.html", f
    elif pkg == "developers-reference":
        for f in files("developers-reference/*.html"):
            yield "en", f"developers-reference/{os.path.basename(f)}", f
    elif pkg.startswith("developers-reference-"):
        for f in files("developers-reference/*/*.html"):
            yield f.split("/")[-2], f"developers-reference/{os.path.basename(f)}", f
    else:
        raise ValueError(f"no page layout known for package {pkg}")


_SKIP_PAGES = {"search.html", "genindex.html", "py-modindex.html"}


def _build_docs(cache: str) -> list[dict]:
    roots = fetch_packages(DOC_PACKAGES, cache)
    records = []
    for pkg in sorted(DOC_PACKAGES):
        entries = list(_doc_files(pkg, roots[pkg]))
        english_blocks: dict[str, set] = {}
        if pkg == "gnome-user-docs":
            for lang, page, f in entries:
                if lang == "C":
                    english_blocks[page] = set(mallard_blocks(f))
        for lang_name, page, f in entries:
            if os.path.basename(page) in _SKIP_PAGES:
                continue
            lang = norm_lang(lang_name)
            if lang is None:
                continue
            if f.endswith(".page"):
                blocks = mallard_blocks(f)
                if lang != "en":
                    known = english_blocks.get(page, set())
                    blocks = [b for b in blocks if b not in known]
                text = "\n\n".join(blocks)
            else:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    text = html_to_text(fh.read())
            if len(text) < MIN_PAGE_CHARS:
                continue
            records.append({
                "id": f"{pkg}/{lang}/{page}", "lang": lang, "text": text, "source": pkg,
                "page": page, "split": _split_of(page),
            })
    records.sort(key=lambda r: r["id"])
    return records


# --------------------------------------------------------------------------- .mo catalogues

def read_mo(path: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) entries of a compiled gettext catalogue, in file order. Plural entries
    give (singular msgid, first msgstr form); contexts stay as "ctx\\x04msgid"."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 28:
        raise ValueError(f"{path}: too short for a .mo file")
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if end is None:
        raise ValueError(f"{path}: not a .mo file")
    _, n, o_orig, o_trans = struct.unpack(end + "4I", data[4:20])
    raw = []
    for i in range(n):
        ln, off = struct.unpack(end + "2I", data[o_orig + 8 * i:o_orig + 8 * i + 8])
        tl, toff = struct.unpack(end + "2I", data[o_trans + 8 * i:o_trans + 8 * i + 8])
        raw.append((data[off:off + ln], data[toff:toff + tl]))
    charset = "utf-8"
    for k, v in raw:
        if k == b"":
            m = re.search(rb"charset=([\w.-]+)", v)
            if m:
                charset = m.group(1).decode("ascii")
    out = []
    for k, v in raw:
        try:
            msgid = k.split(b"\x00")[0].decode(charset)
            msgstr = v.split(b"\x00")[0].decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
        out.append((msgid, msgstr))
    return out


_MNEMONIC_PAREN = re.compile(r"\s?\(_[A-Za-z0-9]\)")
_MNEMONIC = re.compile(r"_(?=[^\W_])")


def strip_mnemonic(s: str) -> str:
    """Remove a GTK accelerator marker: "开(_O)" -> "开", "_Open" -> "Open", "Sa_ve" -> "Save"."""
    s = _MNEMONIC_PAREN.sub("", s)
    return _MNEMONIC.sub("", s, count=1)


def _mo_files(pkg: str, root: str, domains):
    for f in sorted(glob.glob(os.path.join(root, "usr", "share", "locale", "*", "LC_MESSAGES", "*.mo"))):
        domain = os.path.basename(f)[:-3]
        if domains is not None and domain not in domains:
            continue
        yield f.split("/")[-3], domain, f


def _build_bitext(cache: str) -> list[dict]:
    roots = fetch_packages(sorted(MO_PACKAGES), cache)
    by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for pkg in sorted(MO_PACKAGES):
        for lang_name, domain, f in _mo_files(pkg, roots[pkg], MO_PACKAGES[pkg]):
            lang = norm_lang(lang_name)
            if lang is None or lang == "en" or lang.startswith("en-"):
                continue
            seen = set()
            for key, msgstr in read_mo(f):
                if not key or not msgstr:
                    continue
                msgid = key.split("\x04", 1)[-1]
                en, tr = msgid, msgstr
                if domain in MNEMONIC_DOMAINS:
                    en, tr = strip_mnemonic(en), strip_mnemonic(tr)
                en = unicodedata.normalize("NFC", en).strip()
                tr = unicodedata.normalize("NFC", tr).strip()
                if not en or not tr or en == tr or not any(c.isalpha() for c in en):
                    continue
                if (en, tr) in seen:
                    continue
                seen.add((en, tr))
                digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
                by_key[(lang, domain)].append({
                    "id": f"{domain}/{lang}/{digest}", "lang": lang, "en": en, "text": tr,
                    "source": domain, "split": _split_of(en),
                })
    records = []
    for (lang, domain), recs in sorted(by_key.items()):
        # the same catalogue may ship in two packages' locale trees: one record per id
        uniq = {r["id"]: r for r in recs}
        ranked = sorted(uniq.values(), key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
        records.extend(ranked[:PAIR_CAP])
    records.sort(key=lambda r: r["id"])
    return records


# --------------------------------------------------------------------------- public API

def _load(kind: str, builder, cache: str | None) -> list[dict]:
    root = cache_dir(cache)
    path = os.path.join(root, f"{kind}.v{FORMAT_VERSION}.jsonl")
    if not os.path.exists(path):
        records = builder(root)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _select(records: list[dict], split: str) -> list[dict]:
    if split not in ("tune", "test", "all"):
        raise ValueError(f"split must be 'tune', 'test' or 'all', not {split!r}")
    return records if split == "all" else [r for r in records if r["split"] == split]


def docs(split: str = "test", cache: str | None = None) -> list[dict]:
    """Real documentation pages: dicts with id, lang, text, source, page, split (sorted by id)."""
    return _select(_load("docs", _build_docs, cache), split)


def bitext(split: str = "test", cache: str | None = None) -> list[dict]:
    """Real English-paired catalogue entries: dicts with id, lang, en, text, source, split."""
    return _select(_load("bitext", _build_bitext, cache), split)


# --------------------------------------------------------------------------- CLI

def _self_check(d: list[dict], b: list[dict]) -> list[str]:
    """Invariants the consumers rely on; returns a list of problems (empty when all hold)."""
    problems = []
    for kind, recs in (("docs", d), ("bitext", b)):
        ids = [r["id"] for r in recs]
        if len(set(ids)) != len(ids):
            problems.append(f"{kind}: duplicate ids")
        if ids != sorted(ids):
            problems.append(f"{kind}: records not sorted by id")
        if any(r["text"] != unicodedata.normalize("NFC", r["text"]) for r in recs):
            problems.append(f"{kind}: text not NFC")
    if any(len(r["text"]) < MIN_PAGE_CHARS for r in d):
        problems.append("docs: page shorter than the minimum")
    if any("/man/" in r["page"] for r in d):
        problems.append("docs: manual page included")
    split_of_page = {}
    for r in d:
        if split_of_page.setdefault(r["page"], r["split"]) != r["split"]:
            problems.append(f"docs: page {r['page']} in two splits")
            break
    if any(r["en"] == r["text"] for r in b):
        problems.append("bitext: identical pair")
    if any("\x04" in r["en"] for r in b):
        problems.append("bitext: gettext context left in msgid")
    langs_d = {r["lang"] for r in d}
    langs_b = {r["lang"] for r in b}
    if len(langs_d) < 20:
        problems.append(f"docs: only {len(langs_d)} languages")
    if len(langs_b) < 15:
        problems.append(f"bitext: only {len(langs_b)} languages")
    return problems


def _summary(cache: str | None) -> int:
    d = docs("all", cache)
    b = bitext("all", cache)
    print(f"cache: {cache_dir(cache)}")
    for kind, recs, unit in (("docs", d, "pages"), ("bitext", b, "pairs")):
        table = defaultdict(lambda: [0, 0, 0, 0])
        for r in recs:
            t = table[r["lang"]]
            i = 0 if r["split"] == "tune" else 2
            t[i] += 1
            t[i + 1] += len(r["text"])
        print(f"\n{kind}: {len(recs)} {unit}, {len(table)} languages, "
              f"sources: {', '.join(sorted({r['source'] for r in recs}))}")
        print(f"{'lang':10} {'tune ' + unit:>11} {'tune chars':>11} {'test ' + unit:>11} {'test chars':>11}")
        for lang in sorted(table):
            t = table[lang]
            print(f"{lang:10} {t[0]:>11} {t[1]:>11} {t[2]:>11} {t[3]:>11}")
    problems = _self_check(d, b)
    print("\nself-check: " + ("ok" if not problems else "FAILED\n  " + "\n  ".join(problems)))
    return 1 if problems else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", help=f"cache folder (default $MIXTURE_BENCH_CACHE or {DEFAULT_CACHE})")
    ap.add_argument("--summary", action="store_true", help="print per-language counts and self-check")
    args = ap.parse_args(argv)
    if args.summary:
        return _summary(args.cache)
    d, b = docs("all", args.cache), bitext("all", args.cache)
    print(f"{len(d)} pages, {len(b)} pairs in {cache_dir(args.cache)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
