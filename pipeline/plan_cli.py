"""`mixture plan CONFIG`: the token budget and the per-bucket sampling plan, printed as a
table or JSON, without writing shards. Counts come from a finished run (``--from``) or
from the counting-only graph (:mod:`pipeline.graph.count`)."""

from __future__ import annotations

import json
import math
import sys
from typing import TextIO

from pipeline.config import load_config
from pipeline.graph.count import count_available
from pipeline.mixture.allocation import ShortfallError, allocate
from pipeline.mixture.budget import budget_from_config
from pipeline.mixture.plan import available_from_stats, load_run_stats, render_table
from pipeline.mixture.tokens import MissingTokenizerPackage

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def run_plan(config_path: str, *, compute_flops: float | None = None, params: float | None = None,
             tokens: float | None = None, as_json: bool = False, from_dir: str | None = None,
             out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`mixture plan CONFIG`: print the plan; 0 on success, 1 on a failed count or shortfall
    error, 2 on a usage error (raises ConfigError for a bad config, which the CLI prints)."""
    out = out or sys.stdout
    err = err or sys.stderr
    config = load_config(config_path, check_paths=from_dir is None)
    try:
        budget = budget_from_config(config.mixture.budget, tokens=tokens, compute_flops=compute_flops, params=params)
    except ValueError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    try:
        if from_dir is not None:
            available = available_from_stats(load_run_stats(from_dir))
            if not available:
                print(f"error: {from_dir}: the stats hold no per-language counts", file=err)
                return EXIT_FAILED
        else:
            available = count_available(config)
    except (OSError, ValueError, MissingTokenizerPackage) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FAILED
    try:
        allocation = allocate(available, config.mixture, budget, [s.name for s in config.sources])
    except ShortfallError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FAILED
    if as_json:
        data = allocation.to_dict()
        data["config"] = config_path
        data["counts_from"] = from_dir or "counting run"
        json.dump(_finite(data), out, indent=1, sort_keys=True, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(render_table(allocation))
    return EXIT_OK


def _finite(value):
    """JSON has no infinity: replace non-finite floats by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
