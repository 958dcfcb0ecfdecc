#!/usr/bin/env python
"""Derive benchmarks/data/fineweb2_thresholds.json from a checkout of huggingface/fineweb-2.

    python benchmarks/fineweb2_table.py /path/to/fineweb-2      # a git checkout or bare clone

FineWeb-2's per-language filter settings live in its repository as configs/<lang>_<Script>.yml
(read by fineweb-2-pipeline.py: stop words and thresholds for GopherRepetitionFilter,
FineWebQualityFilter and GopherQualityFilter). They do not ship in any installable package,
so bench_peers.py reads the few languages it needs from this derived table; the table names
the repository commit it was read from. Only the languages of the real documentation set
(benchmarks/realdata.py) and of bench_peers.py's generated corpus are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import yaml

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "fineweb2_thresholds.json")

# realdata language code -> FineWeb-2 config name (ISO 639-3 + script, as FineWeb-2 names them)
FINEWEB2_CODES = {
    "ar": "arb_Arab", "as": "asm_Beng", "ca": "cat_Latn", "cs": "ces_Latn", "da": "dan_Latn", "de": "deu_Latn",
    "el": "ell_Grek", "es": "spa_Latn", "fa": "fas_Arab", "fi": "fin_Latn", "fr": "fra_Latn",
    "gl": "glg_Latn", "gu": "guj_Gujr", "hi": "hin_Deva", "hr": "hrv_Latn", "hu": "hun_Latn",
    "id": "ind_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "kn": "kan_Knda", "ko": "kor_Hang",
    "lt": "lit_Latn", "lv": "lvs_Latn", "mr": "mar_Deva", "nl": "nld_Latn", "pl": "pol_Latn",
    "pt": "por_Latn", "pt-BR": "por_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl", "sl": "slv_Latn",
    "sr": "srp_Cyrl", "sr-Latn": "srp_Latn", "sv": "swe_Latn", "ta": "tam_Taml", "te": "tel_Telu",
    "tr": "tur_Latn", "uk": "ukr_Cyrl", "vi": "vie_Latn", "zh-Hans": "cmn_Hani", "zh-Hant": "cmn_Hani",
    # the generated corpus's languages (language ID labels) not listed above
    "sw": "swh_Latn", "th": "tha_Thai", "zh": "cmn_Hani",
}


def _git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", _git_dir(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def _git_dir(repo: str) -> str:
    return os.path.join(repo, ".git") if os.path.isdir(os.path.join(repo, ".git")) else repo


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", help="checkout or bare clone of https://github.com/huggingface/fineweb-2")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args(argv)
    commit = _git(args.repo, "rev-parse", "HEAD").strip()
    configs = {}
    for code in sorted(set(FINEWEB2_CODES.values())):
        configs[code] = yaml.safe_load(_git(args.repo, "show", f"HEAD:configs/{code}.yml"))
    table = {
        "source": "https://github.com/huggingface/fineweb-2",
        "commit": commit,
        "files": "configs/<code>.yml, as read by fineweb-2-pipeline.py",
        "derived_by": "python benchmarks/fineweb2_table.py <checkout>",
        "languages": FINEWEB2_CODES,
        "configs": configs,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    # one line per language config: small, diffable
    body = json.dumps({k: v for k, v in table.items() if k != "configs"}, ensure_ascii=False, indent=1,
                      sort_keys=True)[:-2]
    rows = ",\n".join(f"  {json.dumps(c)}: {json.dumps(configs[c], ensure_ascii=False, sort_keys=True)}"
                       for c in sorted(configs))
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(body + ',\n "configs": {\n' + rows + "\n }\n}\n")
    print(f"{len(configs)} FineWeb-2 configs from {commit} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
