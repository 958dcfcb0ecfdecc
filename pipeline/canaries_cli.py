"""`mixture canaries exposure`: exposure of the injected canaries from model scores.

Wired into pipeline/cli.py with :func:`add_parser` and :func:`main`. Input formats are
described in docs/canaries.md ("Measuring exposure").
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from pipeline.canary_exposure import ExposureError, exposure_of, summarize

EXIT_OK = 0
EXIT_USAGE = 2
GROUP_FIELDS = ("lang", "bin", "repetitions", "type")


class InputError(ValueError):
    """A problem with the user's files: reported in one line, exit code 2."""


def add_parser(subparsers) -> None:
    """Register ``canaries`` (with its sub-command ``exposure``) on the ``mixture`` parser."""
    canaries = subparsers.add_parser("canaries", help="canary tools (exposure)",
                                     description="Tools for the canaries injected by the canaries stage.")
    sub = canaries.add_subparsers(dest="canaries_command", metavar="SUBCOMMAND")
    sub.required = True
    exposure = sub.add_parser(
        "exposure", help="canary exposure (Carlini et al.) from model log-perplexities",
        description="Exposure = log2|R| - log2 rank of each canary among reference candidates of its format, "
                    "with a skew-normal extrapolation when the canary beats every sampled candidate; printed "
                    "per canary and per language, bin, repetition count and type.")
    exposure.add_argument("scores", help="JSONL, one line per canary: {\"id\", \"log_perplexity\", "
                                         "\"candidates\": [...] or \"format\": NAME}")
    exposure.add_argument("--candidates", help="JSONL of candidate sets: {\"format\": NAME, \"log_perplexities\": "
                                               "[...], \"log2_space_size\": optional}")
    exposure.add_argument("--manifest", help="the run's canaries/manifest.jsonl: adds type, language, bin and "
                                             "repetitions to each canary (every scored id must be in it)")
    exposure.add_argument("--method", choices=("auto", "rank", "fit"), default="auto",
                          help="rank: empirical rank; fit: skew-normal fit; auto (default): rank, or the fit "
                               "when the canary beats every candidate")
    exposure.add_argument("--log2-space-size", type=float, dest="log2_space_size",
                          help="log2 |R| for canaries that do not give their own (caps the exposure)")
    exposure.add_argument("--json", action="store_true", help="machine-readable output")


def main(args) -> int:
    if getattr(args, "canaries_command", None) != "exposure":
        print("mixture: error: choose a canaries sub-command: exposure", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = exposure_report(args.scores, candidates_path=args.candidates, manifest_path=args.manifest,
                                 method=args.method, log2_space_size=args.log2_space_size)
    except InputError as exc:
        print(f"mixture: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False))
    else:
        print(render_text(report))
    return EXIT_OK


# ---------------------------------------------------------------------------- input


def _read_jsonl(path: str, what: str) -> list[tuple[int, dict]]:
    from pipeline import files as fs  # lazy: imports Beam (seconds), only for gs:// and s3:// inputs

    try:
        data = fs.read_bytes(fs.normalize_path(path))
    except Exception as exc:  # noqa: BLE001 - any filesystem error is the user's path
        raise InputError(f"{what} '{path}': cannot read ({type(exc).__name__})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} '{path}': not UTF-8 text") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{number}: expected a JSON object")
        rows.append((number, obj))
    if not rows:
        raise InputError(f"{what} '{path}': no records")
    return rows


def _number(value: Any, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: '{name}' must be a finite number")
    return float(value)


def _numbers(value: Any, where: str, name: str) -> list[float]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{where}: '{name}' must be a non-empty list of numbers")
    return [_number(v, where, name) for v in value]


def load_candidates(path: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for number, obj in _read_jsonl(path, "candidates file"):
        where = f"{path}:{number}"
        name = obj.get("format")
        if not isinstance(name, str) or not name:
            raise InputError(f"{where}: 'format' must be a non-empty string")
        if name in out:
            raise InputError(f"{where}: format '{name}' appears twice")
        space = obj.get("log2_space_size")
        out[name] = {"scores": _numbers(obj.get("log_perplexities"), where, "log_perplexities"),
                     "log2_space_size": None if space is None else _number(space, where, "log2_space_size")}
    return out


def load_manifest(path: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for number, obj in _read_jsonl(path, "manifest"):
        cid = obj.get("id")
        if not isinstance(cid, str):
            raise InputError(f"{path}:{number}: manifest entry without a string 'id'")
        out[cid] = {k: obj.get(k) for k in GROUP_FIELDS}
    return out


# ---------------------------------------------------------------------------- computing


def exposure_report(scores_path: str, *, candidates_path: str | None = None, manifest_path: str | None = None,
                    method: str = "auto", log2_space_size: float | None = None) -> dict:
    """{"canaries": [one row per canary], "groups": {key: [rows]}} — see docs/canaries.md."""

    candidate_sets = load_candidates(candidates_path) if candidates_path else {}
    manifest = load_manifest(manifest_path) if manifest_path else None
    rows = []
    seen: set[str] = set()
    for number, obj in _read_jsonl(scores_path, "scores file"):
        where = f"{scores_path}:{number}"
        cid = obj.get("id")
        if not isinstance(cid, str) or not cid:
            raise InputError(f"{where}: 'id' (the canary id of the manifest) must be a non-empty string")
        if cid in seen:
            raise InputError(f"{where}: canary '{cid}' is scored twice")
        seen.add(cid)
        score = _number(obj.get("log_perplexity"), where, "log_perplexity")
        space = obj.get("log2_space_size")
        space = None if space is None else _number(space, where, "log2_space_size")
        if "candidates" in obj:
            candidates = _numbers(obj["candidates"], where, "candidates")
        else:
            name = obj.get("format", cid)
            if not isinstance(name, str) or name not in candidate_sets:
                source = "in the candidates file" if candidates_path else "(no --candidates file given)"
                raise InputError(f"{where}: no candidates for canary '{cid}': give 'candidates', or a 'format' "
                                 f"found {source}")
            candidates = candidate_sets[name]["scores"]
            if space is None:
                space = candidate_sets[name]["log2_space_size"]
        if space is None:
            space = log2_space_size
        info = {k: obj.get(k) for k in GROUP_FIELDS}
        if manifest is not None:
            if cid not in manifest:
                raise InputError(f"{where}: canary '{cid}' is not in the manifest")
            info = {k: manifest[cid].get(k) if manifest[cid].get(k) is not None else v for k, v in info.items()}
        try:
            result = exposure_of(cid, score, candidates, method=method, log2_space_size=space)
        except ExposureError as exc:
            raise InputError(f"{where}: {exc}") from None
        rows.append({"id": cid, **info, "exposure": result.exposure, "method": result.method,
                     "rank": result.rank, "candidates": result.candidates,
                     "rank_exposure": result.rank_exposure, "fit_exposure": result.fit_exposure,
                     "log_perplexity": result.log_perplexity, "log2_space_size": result.log2_space_size})
    rows.sort(key=lambda r: r["id"])
    return {"method": method, "canaries": rows, "groups": summarize(rows, GROUP_FIELDS)}


def render_text(report: dict) -> str:
    def cell(value, width, fmt=None):
        text = "-" if value is None else (format(value, fmt) if fmt else str(value))
        return text.ljust(width)

    lines = ["canary            type        lang    bin    reps  cands    rank  exposure  method"]
    for r in report["canaries"]:
        lines.append(cell(r["id"], 18) + cell(r["type"], 12) + cell(r["lang"], 8) + cell(r["bin"], 7)
                     + cell(r["repetitions"], 6) + cell(r["candidates"], 9) + cell(r["rank"], 6)
                     + cell(r["exposure"], 10, ".2f") + r["method"])
    for key, table in report["groups"].items():
        lines.append("")
        lines.append(f"by {key}:".ljust(20) + "canaries  mean    median  max")
        for row in table:
            lines.append(cell(row[key], 20) + cell(row["canaries"], 10) + cell(row["mean"], 8, ".2f")
                         + cell(row["median"], 8, ".2f") + format(row["max"], ".2f"))
    return "\n".join(lines)
