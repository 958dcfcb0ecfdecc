"""The token budget D of a mixture, given directly or derived from compute with C ≈ 6·N·D.

Compute-optimal models grow N and D in equal proportion (Chinchilla, PaLM 2): with a
fixed ratio k = D/N (default 20 tokens per parameter), C = 6·N·(k·N) gives
N = sqrt(C / (6k)) and D = k·N. E.g. C = 1e22, k = 20 → N ≈ 9.13e9, D ≈ 1.83e11.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

FLOPS_PER_PARAM_TOKEN = 6.0
DEFAULT_TOKENS_PER_PARAM = 20.0


@dataclass(frozen=True)
class Budget:
    """A resolved budget: D tokens; N parameters and C FLOPs when they are known."""

    tokens: float
    params: float | None
    compute_flops: float | None
    how: str  # which inputs D came from, for the plan's header

    def to_dict(self) -> dict:
        return asdict(self)


def plan_budget(*, tokens: float | None = None, compute_flops: float | None = None,
                params: float | None = None,
                tokens_per_param: float = DEFAULT_TOKENS_PER_PARAM) -> Budget:
    """Resolve D (and N, C where possible) from any consistent set of inputs.

    * ``tokens``: D as given; N from ``params``, else from C/(6D), else D/k.
    * ``compute_flops`` + ``params``: D = C / (6N).
    * ``compute_flops`` alone: compute-optimal N = sqrt(C / (6k)), D = k·N.
    * ``params`` alone: D = k·N (compute-optimal data for that model).
    """
    for label, value in (("tokens", tokens), ("compute_flops", compute_flops), ("params", params),
                         ("tokens_per_param", tokens_per_param)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise ValueError(f"budget {label} must be a positive number (got {value})")
    k = tokens_per_param
    if tokens is not None:
        if compute_flops is not None and params is not None:
            raise ValueError("tokens, compute_flops and params together over-determine C = 6·N·D")
        if params is not None:
            return Budget(tokens, params, FLOPS_PER_PARAM_TOKEN * params * tokens, "tokens + params")
        if compute_flops is not None:
            return Budget(tokens, compute_flops / (FLOPS_PER_PARAM_TOKEN * tokens), compute_flops,
                          "tokens + compute_flops")
        return Budget(tokens, tokens / k, FLOPS_PER_PARAM_TOKEN * (tokens / k) * tokens,
                      f"tokens ({k:g} tokens/param for N)")
    if compute_flops is not None:
        if params is not None:
            return Budget(compute_flops / (FLOPS_PER_PARAM_TOKEN * params), params, compute_flops,
                          "compute_flops + params")
        n = math.sqrt(compute_flops / (FLOPS_PER_PARAM_TOKEN * k))
        return Budget(k * n, n, compute_flops, f"compute_flops, {k:g} tokens/param")
    if params is not None:
        d = k * params
        return Budget(d, params, FLOPS_PER_PARAM_TOKEN * params * d, f"params, {k:g} tokens/param")
    raise ValueError("a budget needs tokens, compute_flops or params")


def budget_from_config(budget_config, *, tokens: float | None = None, compute_flops: float | None = None,
                       params: float | None = None) -> Budget | None:
    """The budget of a ``BudgetConfig`` (None when absent); explicit arguments override it.

    When any of ``tokens`` / ``compute_flops`` / ``params`` is given (command line), they
    replace the config's inputs; the config's ``tokens_per_param`` still applies.
    """
    k = budget_config.tokens_per_param if budget_config is not None else DEFAULT_TOKENS_PER_PARAM
    if tokens is not None or compute_flops is not None or params is not None:
        return plan_budget(tokens=tokens, compute_flops=compute_flops, params=params, tokens_per_param=k)
    if budget_config is None:
        return None
    return plan_budget(tokens=budget_config.tokens, compute_flops=budget_config.compute_flops,
                       params=budget_config.params, tokens_per_param=k)
