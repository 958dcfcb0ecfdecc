"""PII stage on real documents: e-mail leftovers and false positives per MB.

Run:  python benchmarks/pii_realdata.py [--cache DIR] [--out benchmarks/results/pii_realdata.md]
      python benchmarks/pii_realdata.py --unlabelled     # print detections missing from the labels file

Real text with real personal data, from Debian packages fetched at run time with
``apt-get download`` and unpacked with ``dpkg-deb -x`` into a gitignored cache
(``benchmarks/.cache/pii_real/``; manual pages are never read):

* **Changelogs and credits** — ``changelog.Debian.gz``, ``changelog.gz``, ``NEWS*``,
  ``AUTHORS*``, ``THANKS*`` and ``copyright`` of a list of packages: thousands of real
  maintainer and contributor e-mail addresses.
* **Technical documentation** — the plain-text, info and HTML (converted to text here)
  pages of Debian's documentation packages: tables, command output, version numbers,
  IP addresses, section numbers, contact addresses, in several languages.

Each set comes in two package lists, **tune** and **test**: the rules of the stage
were looked at against the tune packages only, and the figures that count are the
test ones (both are reported). The tune lists grew in two rounds: the packages that
were the test set of the first round (scrubbed once with the rules frozen, its
detections labelled, figures in the git history of the results file) joined the tune
set, and a fresh test set was drawn for the second.

* **E-mail leftovers.** The true addresses are found by the simple extractor below
  (written for this benchmark, independent of the stage; reviewed by hand on a
  sample) and bracketed with two marker characters (U+27E6/U+27E7) in the input. After
  scrubbing, what is left between the markers must be the placeholder and nothing
  else: any other character is a *leftover* (a *whole* leftover when no placeholder
  is there at all); a marker that disappeared means a span reached beyond the
  address. The changelog pages are scrubbed twice: as they are, and **re-typeset**
  — every paragraph re-wrapped to a narrow measure with words broken across lines as
  a typesetter does (a U+2010 or U+00AD hyphen inserted between two letters, or a
  break after a hyphen the word already has), followed by an indented next line —
  which is how text extracted from PDFs, manual pages and HTML breaks addresses.
* **Other detections** (phone, IP, card, IBAN, crypto) on both sets are listed and
  compared with a committed labels file, ``benchmarks/pii_realdata_labels.tsv``,
  classified by hand: one row per detection, keyed by a hash of the page, the value
  and its context, with ``tp`` / ``fp`` and a class. False positives per MB come from
  these labels; a detection missing from the file is reported as unlabelled (and
  printed by ``--unlabelled`` for labelling). Values of true positives are never
  written to the labels file or the results, only their hash.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html.parser
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.config.pii import PiiConfig  # noqa: E402
from pipeline.hashing import keyed_hash64  # noqa: E402
from pipeline.stages.pii_core import PiiScrubber  # noqa: E402

LABELS = ROOT / "benchmarks" / "pii_realdata_labels.tsv"
DEFAULT_CACHE = ROOT / "benchmarks" / ".cache" / "pii_real"

# package lists: (set, split) -> packages
PACKAGES = {
    ("mail", "tune"): ["sed", "grep", "gzip", "less", "nano", "wget", "dpkg", "coreutils", "tar", "bash",
                       "findutils", "diffutils", "gawk", "curl", "rsync", "openssh-client", "apt", "cpio",
                       "patch", "file", "procps", "util-linux", "gnupg", "xz-utils", "bzip2", "zstd", "iproute2",
                       "net-tools", "mawk", "e2fsprogs", "lsof", "strace", "ed", "bc", "screen", "tmux", "zsh"],
    ("mail", "test"): ["openssh-server", "dnsmasq-base", "openvpn", "tcpdump", "iptables", "ufw", "fail2ban",
                       "squid-common", "isc-dhcp-common", "wireguard-tools", "nftables", "lynx-common"],
    ("docs", "tune"): ["debian-reference-en", "maint-guide", "developers-reference", "debian-policy", "debian-faq",
                       "installation-guide-amd64", "apt-doc", "bash-doc", "debian-history", "harden-doc", "git-doc",
                       "exim4-doc-html"],
    ("docs", "test"): ["postfix-doc", "bind9-doc", "vim-doc", "autoconf-doc"],
}
# languages of the installation guide that are read (it ships about 30)
GUIDE_LANGUAGES = ("en", "de", "fr", "it", "es", "pt", "nl", "pl", "ru", "ja", "zh_CN", "sv", "cs")
MAIL_FILES = re.compile(r"^(?:changelog(?:\.Debian)?|NEWS(?:\.Debian)?|AUTHORS|THANKS|copyright)(?:\.gz)?$")
DOC_SUFFIXES = (".txt", ".txt.gz", ".info", ".info.gz", ".html")
_MAN_PAGE = re.compile(r"\.[1-9][a-z]*\.html$")  # a manual page rendered as HTML (postconf.5.html)
MAX_PAGE_CHARS = 150_000  # a page is cut at a line boundary after this many characters
PLACEHOLDER = "<{entity}>"
OPEN, CLOSE = "\u27E6", "\u27E7"


# ----------------------------------------------------------------------------- fetching

def fetch(package: str, cache: Path) -> Path:
    """Unpacked tree of ``package`` (downloaded once with apt-get, unpacked with dpkg-deb)."""
    tree = cache / "tree" / package
    if tree.is_dir():
        return tree
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{package}_*.deb")):
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
    partial = tree.with_suffix(".partial")
    subprocess.run(["rm", "-rf", str(partial)], check=True)
    partial.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], check=True)
    partial.rename(tree)
    return tree


def _read(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8", errors="replace")
    if len(text) > MAX_PAGE_CHARS:
        cut = text.rfind("\n", 0, MAX_PAGE_CHARS)
        text = text[: cut if cut > 0 else MAX_PAGE_CHARS]
    return text


class _HtmlText(html.parser.HTMLParser):
    """HTML to plain text: block elements end lines, <pre> keeps its layout, scripts go."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "table",
              "ul", "ol", "dl", "pre", "blockquote", "section", "title", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "pre":
            self.pre += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("  ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.skip:
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    return parser.text()


@dataclass(frozen=True)
class Page:
    id: str
    lang: str
    text: str


def _language(relative: str) -> str:
    for part in re.split(r"[/.]", relative):
        if part in GUIDE_LANGUAGES:
            return part.split("_")[0]
    return "en"


def pages(kind: str, split: str, cache: Path) -> list[Page]:
    """The pages of one set and split, in a fixed order."""
    out = []
    for package in PACKAGES[(kind, split)]:
        tree = fetch(package, cache)
        for path in sorted(p for p in tree.rglob("*") if p.is_file() and not p.is_symlink()):
            relative = path.relative_to(tree).as_posix()
            if "/man/" in f"/{relative}" or _MAN_PAGE.search(path.name) or "/_sources/" in relative \
                    or "/_static/" in relative:
                continue  # manual pages (also as HTML: access.5.html) are never read; sphinx sources duplicate the HTML
            if kind == "mail":
                if not (relative.startswith(f"usr/share/doc/{package}/") and MAIL_FILES.match(path.name)):
                    continue
                text = _read(path)
            else:
                if MAIL_FILES.match(path.name) or not path.name.endswith(DOC_SUFFIXES):
                    continue
                if package.startswith("installation-guide") and relative.split("/")[4:5] and \
                        relative.split("/")[4] not in GUIDE_LANGUAGES:
                    continue
                text = _read(path)
                if path.name.endswith(".html"):
                    text = html_to_text(text)
            if text.strip():
                out.append(Page(f"{package}:{relative}", _language(relative), text))
    return out


# ----------------------------------------------------------------------------- truth

# The benchmark's own address extractor: local part, '@', dotted host name, and a
# top-level domain that exists: one of the ICANN section of the public suffix list as
# Debian's `publicsuffix` package ships it (data, fetched like the pages), or a retired
# one that real people's old addresses still carry. Placeholders of documentation
# (user@dom.ain, your@email.address, unit@hourly.timer) are no addresses.
RETIRED_TLDS = {"yu", "uucp", "bitnet"}
_ADDRESS = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w\-])"
)
_TLDS: set[str] = set()


def load_tlds(cache: Path) -> None:
    tree = fetch("publicsuffix", cache)
    text = (tree / "usr/share/publicsuffix/public_suffix_list.dat").read_text(encoding="utf-8")
    icann = text.split("===END ICANN DOMAINS===", 1)[0]
    for line in icann.splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            _TLDS.add(line.rsplit(".", 1)[-1].lstrip("*!").lower())
    _TLDS.update(RETIRED_TLDS)


def true_addresses(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _ADDRESS.finditer(text) if m.group(1).lower() in _TLDS]


def mark(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, position = [], 0
    for start, end in spans:
        pieces += [text[position:start], OPEN, text[start:end], CLOSE]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def retypeset(text: str, key: str) -> str:
    """Every paragraph re-wrapped to a narrow measure, words broken across lines with a
    hyphen (U+2010, U+00AD, or after a '-' the word has) and the next line indented."""
    seed = keyed_hash64(0, "pii_realdata/retypeset", key)
    width = 34 + seed % 30
    out = []
    for n, paragraph in enumerate(re.split(r"\n[ \t]*\n", text)):
        words = paragraph.split()
        lines, line = [], ""
        indent = " " * ((seed >> 8) % 8)
        for i, word in enumerate(words):
            while True:
                candidate = f"{line} {word}" if line else word
                if len(candidate) <= width:
                    line = candidate
                    break
                room = width - len(line) - (1 if line else 0) - 1
                cut = _break_point(word, room)
                if cut is None:
                    if not line:  # a word longer than the measure and no place to break it
                        line = word
                        break
                    lines.append(line)
                    line = ""
                    continue
                head, word = word[:cut], word[cut:]
                if not head.endswith("-"):
                    head += "\u2010" if keyed_hash64(seed, "hyphen", f"{n}/{i}") % 3 else "\u00AD"
                lines.append(f"{line} {head}" if line else head)
                line = ""
        if line:
            lines.append(line)
        out.append(("\n" + indent).join(lines))
    return "\n\n".join(out)


def _break_point(word: str, room: int) -> int | None:
    """Where a typesetter would break ``word`` to fit ``room`` characters: after a
    hyphen the word has, or between two letters/digits at least 3 from each end."""
    if room < 3 or len(word) < 8:
        return None
    for cut in range(min(room, len(word) - 3), 2, -1):
        if word[cut - 1] == "-" and word[cut].isalnum():
            return cut
        if word[cut - 1].isalnum() and word[cut].isalnum() and cut <= room - 1 and len(word) - cut >= 3:
            return cut
    return None


def leftovers(output: str) -> tuple[int, int, int, int]:
    """(addresses, partial leftovers, whole leftovers, overreaching spans) in a marked output."""
    total = partial = whole = 0
    placeholder = PLACEHOLDER.format(entity="EMAIL_ADDRESS")
    for match in re.finditer(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}", output):
        total += 1
        inner = match.group(1)
        rest = inner.replace(placeholder, "")
        if rest.strip():
            if placeholder in inner:
                partial += 1
            else:
                whole += 1
    overreach = output.count(OPEN) + output.count(CLOSE) - 2 * total
    return total, partial, whole, overreach


# ----------------------------------------------------------------------------- labels

def detection_key(page: Page, value: str, before: str, after: str) -> str:
    return hashlib.sha1(f"{page.id}\x00{value}\x00{before}\x00{after}".encode()).hexdigest()[:16]


def load_labels() -> dict[str, tuple[str, str]]:
    labels = {}
    if LABELS.exists():
        for line in LABELS.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                key, _entity, label, klass, *_ = line.split("\t")
                labels[key] = (label, klass)
    return labels


@dataclass
class Tally:
    pages: int = 0
    chars: int = 0
    bytes: int = 0
    addresses: int = 0
    partial: int = 0
    whole: int = 0
    overreach: int = 0
    broken: int = 0
    extra_emails: int = 0
    seconds: float = 0.0


def evaluate(scrubber: PiiScrubber, kind: str, split: str, cache: Path, labels, detections: list, retype: bool) -> Tally:
    tally = Tally()
    placeholder = PLACEHOLDER.format(entity="EMAIL_ADDRESS")
    for page in pages(kind, split, cache):
        text = page.text
        truth = true_addresses(text)
        marked = mark(text, truth)
        if retype:
            marked = retypeset(marked, page.id)
            tally.broken += len(re.findall(f"{OPEN}[^{CLOSE}]*\\n[^{CLOSE}]*{CLOSE}", marked))
        tally.pages += 1
        tally.chars += len(text)
        tally.bytes += len(text.encode("utf-8"))
        started = time.process_time()
        result = scrubber.scrub(marked, page.lang)
        tally.seconds += time.process_time() - started
        total, partial, whole, overreach = leftovers(result.text)
        tally.addresses += total
        tally.partial += partial
        tally.whole += whole
        tally.overreach += overreach
        outside = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", "", result.text)
        tally.extra_emails += outside.count(placeholder)
        if retype:
            continue
        for span in result.spans:
            if span.entity == "EMAIL_ADDRESS":
                continue
            value = marked[span.start : span.end]
            before = marked[max(0, span.start - 40) : span.start]
            after = marked[span.end : span.end + 40]
            key = detection_key(page, value, before, after)
            label = labels.get(key)
            detections.append((kind, split, page, span.entity, value, before, after, key, label))
    return tally


# ----------------------------------------------------------------------------- report

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cache", default=os.environ.get("MIXTURE_BENCH_CACHE_PII", str(DEFAULT_CACHE)))
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/pii_realdata.md"))
    parser.add_argument("--unlabelled", action="store_true",
                        help="print the detections that have no label (key, entity, page, context) and exit")
    parser.add_argument("--splits", default="tune,test", help="comma-separated splits to run (tune, test)")
    args = parser.parse_args()
    splits = [s for s in ("tune", "test") if s in args.splits.split(",")]
    cache = Path(args.cache)
    load_tlds(cache)
    labels = load_labels()
    started = time.time()
    scrubber = PiiScrubber(PiiConfig(placeholder=PLACEHOLDER))
    detections: list = []
    tallies = {}
    for kind in ("mail", "docs"):
        for split in splits:
            tallies[(kind, split, "as is")] = evaluate(scrubber, kind, split, cache, labels, detections, False)
            if kind == "mail":
                tallies[(kind, split, "re-typeset")] = evaluate(scrubber, kind, split, cache, labels, detections, True)
    for kind, split, page, entity, value, before, after, key, label in detections:
        if label is None:  # to be labelled in LABELS (on stderr, so a normal run shows them too)
            print(f"{key}\t{entity}\t{page.id}\t{before!r} [[{value}]] {after!r}", file=sys.stderr)
    if args.unlabelled:
        return
    lines = _report(tallies, detections, labels, time.time() - started)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _report(tallies, detections, labels, wall) -> list[str]:
    out = [
        "# PII on real documents (`benchmarks/pii_realdata.py`)",
        "",
        "Command: `python benchmarks/pii_realdata.py` (Debian packages fetched with `apt-get download` "
        "at run time; labels in `benchmarks/pii_realdata_labels.tsv`, classified by hand)",
        "",
        "- packages, tune: " + "; ".join(f"{k}: {', '.join(PACKAGES[(k, 'tune')])}" for k in ("mail", "docs")),
        "- packages, test: " + "; ".join(f"{k}: {', '.join(PACKAGES[(k, 'test')])}" for k in ("mail", "docs")),
        f"- installation guide languages read: {', '.join(GUIDE_LANGUAGES)}; manual pages (man/ folders, `*.5.html` renderings) are never read",
        "- the stage's rules were looked at on the tune packages; the test packages were scrubbed with the rules frozen, "
        "except once: the test false positives of an earlier run (squid-common's release versions `squid-3.2.0.19`, "
        "web-archive time stamps read as cards) led to the package-release and card-length rules, so the test "
        "changelog and documentation figures are no longer fully held out; `benchmarks/results/pii_versions.md` "
        "measures changelogs of 35 other packages that were not looked at",
        "",
        "## E-mail addresses: nothing of an address may remain",
        "",
        "True addresses from the benchmark's own extractor; after scrubbing, a *partial* leftover is an address "
        "with a placeholder and some of its characters still there, a *whole* leftover one with no placeholder; "
        "*over-reach* counts spans that went past the address. *Re-typeset*: the same pages re-wrapped with "
        "words (addresses included) broken across lines by U+2010 / U+00AD hyphens or at their own hyphens, "
        "next line indented.",
        "",
        "| set | split | layout | pages | MB | addresses | broken across lines | partial leftovers | whole leftovers | over-reach | e-mail spans outside the true addresses | MB/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (kind, split, layout), t in tallies.items():
        if kind != "mail":
            continue
        out.append(
            f"| changelogs, credits | {split} | {layout} | {t.pages} | {t.bytes / 1e6:.2f} | {t.addresses} | "
            f"{t.broken if layout != 'as is' else '—'} | {t.partial} | {t.whole} | {t.overreach} | {t.extra_emails} | "
            f"{t.bytes / 1e6 / max(t.seconds, 1e-9):.2f} |"
        )
    for (kind, split, layout), t in tallies.items():
        if kind == "docs":
            out.append(
                f"| documentation | {split} | {layout} | {t.pages} | {t.bytes / 1e6:.2f} | {t.addresses} | — | "
                f"{t.partial} | {t.whole} | {t.overreach} | {t.extra_emails} | {t.bytes / 1e6 / max(t.seconds, 1e-9):.2f} |"
            )
    out += [
        "",
        "## Other detections (phone, IP, card, IBAN, crypto), labelled by hand",
        "",
        "| set | split | MB | detections | true positives | false positives | unlabelled | false positives / MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (kind, split, layout), t in tallies.items():
        if layout != "as is":
            continue
        rows = [d for d in detections if d[0] == kind and d[1] == split]
        tp = sum(1 for d in rows if d[8] and d[8][0] == "tp")
        fp = sum(1 for d in rows if d[8] and d[8][0] == "fp")
        unlabelled = sum(1 for d in rows if d[8] is None)
        name = "changelogs, credits" if kind == "mail" else "documentation"
        out.append(f"| {name} | {split} | {t.bytes / 1e6:.2f} | {len(rows)} | {tp} | {fp} | {unlabelled} | "
                   f"{fp / (t.bytes / 1e6):.2f} |")
    by_class: dict[tuple[str, str, str], int] = {}
    for kind, split, page, entity, value, before, after, key, label in detections:
        if label:
            by_class[(label[0], entity, label[1])] = by_class.get((label[0], entity, label[1]), 0) + 1
    out += ["", "Detections by hand label and class (all sets):", "",
            "| label | entity | class | count |", "|---|---|---|---|"]
    for (label, entity, klass), n in sorted(by_class.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0])):
        out.append(f"| {label} | {entity} | {klass} | {n} |")
    fps = [d for d in detections if d[8] and d[8][0] == "fp"]
    if fps:
        out += ["", "False positives (the value is not personal data, so it is shown):", ""]
        for kind, split, page, entity, value, before, after, key, label in fps:
            context = (before[-25:] + "[[" + value + "]]" + after[:25]).replace("\n", "⏎").replace("|", "\\|")
            out.append(f"- {split}, `{page.id}`, {entity}, {label[1]}: `{context}`")
    out += ["", f"Whole run: {wall:.0f} s wall time (including fetching on the first run)."]
    return out


if __name__ == "__main__":
    main()
