"""Canary exposure (Carlini et al., "The Secret Sharer", 2019): pure core, no Beam.

    exposure(s) = log2 |R| − log2 rank(s)

R is the set of candidate sequences of the canary's format and rank(s) the position of
the canary's model log-perplexity among them (1 = lowest). With a uniform sample of m
candidates of R, the rank among the sample estimates the fraction of R the canary beats:

    exposure ≈ −log2( rank / (m + 1) ),   rank = 1 + #{candidates with log-ppl ≤ canary's}

(ties count against the canary, so exposure is never overstated). That estimate saturates
at log2(m + 1) when the canary beats every sampled candidate; then, as in the paper, a
skew-normal distribution is fitted to the candidates' log-perplexities and

    exposure ≈ −log2 P(X ≤ canary's log-ppl),   X ~ SkewNormal(ξ, ω, α)

capped at log2 |R| when the size of R is known. The fit is by the method of moments
(sample mean, variance and skewness; |skewness| clipped to 0.99, the family's limit is
≈ 0.995) and its CDF is integrated in log space, so far-tail probabilities (2^-100) keep
their precision; no scipy needed. With symmetric candidates (skewness 0) the fit is the
normal approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

MIN_FIT_CANDIDATES = 10
MAX_ABS_SKEWNESS = 0.99
METHODS = ("auto", "rank", "fit")
GROUP_KEYS = ("lang", "bin", "repetitions", "type")
_LN2 = math.log(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_ERFC = np.vectorize(math.erfc, otypes=[np.float64])


class ExposureError(ValueError):
    """Scores that cannot give an exposure (no candidates, non-finite values, ...)."""


# ---------------------------------------------------------------------------- rank


def rank_of(canary: float, candidates: Sequence[float]) -> int:
    """1 + number of candidates whose log-perplexity is ≤ the canary's."""
    return 1 + sum(1 for c in candidates if c <= canary)


def rank_exposure(canary: float, candidates: Sequence[float]) -> float:
    """log2(m + 1) − log2 rank: exact when the candidates are all of R but the canary."""
    return math.log2(len(candidates) + 1) - math.log2(rank_of(canary, candidates))


# ---------------------------------------------------------------------------- skew-normal


@dataclass(frozen=True)
class SkewNormal:
    """X = xi + omega · Z, Z with density 2 φ(z) Φ(alpha z)."""

    xi: float
    omega: float
    alpha: float

    @property
    def delta(self) -> float:
        return self.alpha / math.sqrt(1.0 + self.alpha * self.alpha)

    def mean(self) -> float:
        return self.xi + self.omega * self.delta * math.sqrt(2.0 / math.pi)

    def log_cdf(self, x: float) -> float:
        """Natural log of P(X ≤ x)."""
        return skew_normal_log_cdf((x - self.xi) / self.omega, self.alpha)


def fit_skew_normal(values: Sequence[float]) -> SkewNormal:
    """Method-of-moments skew-normal fit of ``values`` (at least 3, not all equal)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 3:
        raise ExposureError(f"a skew-normal fit needs at least 3 values (got {x.size})")
    mean = float(x.mean())
    sd = float(x.std())
    if not sd > 0:
        raise ExposureError("a skew-normal fit needs values that are not all equal")
    skew = float(((x - mean) ** 3).mean() / sd**3)
    skew = max(-MAX_ABS_SKEWNESS, min(MAX_ABS_SKEWNESS, skew))
    g = abs(skew) ** (2.0 / 3.0)
    delta = math.copysign(math.sqrt((math.pi / 2.0) * g / (g + ((4.0 - math.pi) / 2.0) ** (2.0 / 3.0))), skew)
    alpha = delta / math.sqrt(1.0 - delta * delta)
    omega = sd / math.sqrt(1.0 - 2.0 * delta * delta / math.pi)
    xi = mean - omega * delta * math.sqrt(2.0 / math.pi)
    return SkewNormal(xi, omega, alpha)


def _log_norm_cdf(x: np.ndarray) -> np.ndarray:
    """log Φ(x), accurate in the far left tail (asymptotic series below −30)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    far = x < -30.0
    near = ~far
    out[near] = np.log(np.clip(_ERFC(-x[near] / math.sqrt(2.0)) * 0.5, 1e-300, None))
    xf = x[far]
    out[far] = -0.5 * xf * xf - np.log(-xf) - _LOG_SQRT_2PI + np.log1p(-1.0 / (xf * xf) + 3.0 / xf**4)
    return out


def skew_normal_log_cdf(z: float, alpha: float) -> float:
    """log P(Z ≤ z) for the standard skew-normal with shape ``alpha``.

    ∫_{-∞}^{z} 2 φ(t) Φ(αt) dt by Simpson's rule on a fine grid, summed in log space.
    """
    if not math.isfinite(z):
        return 0.0 if z > 0 else -math.inf
    if z > 40.0:
        return 0.0
    # The integrand is log-concave and falls at least like φ(t) to the left: at
    # u = sqrt(m² + 144) − m below min(z, 0) (m = max(−z, 0)) it is e^-72 of its value
    # at the top. The step keeps h · |d log f / dt| ≤ 0.25 everywhere on the grid.
    m = max(-z, 0.0)
    lower = min(z, 0.0) - (math.sqrt(m * m + 144.0) - m)
    rate = abs(lower) * (1.0 + alpha * alpha) + 1.0
    step = min(0.01, 0.25 / rate)
    n = int(min(200_000, math.ceil((z - lower) / step)))
    n += n % 2  # Simpson needs an even number of intervals
    t = np.linspace(lower, z, n + 1)
    log_f = math.log(2.0) - 0.5 * t * t - _LOG_SQRT_2PI + _log_norm_cdf(alpha * t)
    weights = np.ones(n + 1)
    weights[1:-1:2] = 4.0
    weights[2:-1:2] = 2.0
    peak = float(log_f.max())
    total = float((weights * np.exp(log_f - peak)).sum()) * (z - lower) / (3.0 * n)
    return min(0.0, peak + math.log(total))


def fit_exposure(canary: float, candidates: Sequence[float], log2_space_size: float | None = None) -> float:
    """−log2 P(X ≤ canary) under a skew-normal fitted to ``candidates``, capped at log2|R|."""
    fit = fit_skew_normal(candidates)
    exposure = max(0.0, -fit.log_cdf(canary) / _LN2)
    if log2_space_size is not None:
        exposure = min(exposure, log2_space_size)
    return exposure


# ---------------------------------------------------------------------------- one canary


@dataclass(frozen=True)
class ExposureResult:
    id: str
    exposure: float
    method: str  # "rank" or "fit"
    rank: int
    candidates: int
    rank_exposure: float
    fit_exposure: float | None
    log_perplexity: float
    log2_space_size: float | None = None


def _check_scores(canary_id: str, canary: float, candidates: Sequence[float]) -> None:
    if not math.isfinite(canary):
        raise ExposureError(f"canary '{canary_id}': log-perplexity is not a finite number")
    if not candidates:
        raise ExposureError(f"canary '{canary_id}': no reference candidates")
    if not all(math.isfinite(c) for c in candidates):
        raise ExposureError(f"canary '{canary_id}': a candidate log-perplexity is not a finite number")


def exposure_of(canary_id: str, canary: float, candidates: Sequence[float], *, method: str = "auto",
                log2_space_size: float | None = None) -> ExposureResult:
    """Exposure of one canary. ``method``: 'rank' (empirical), 'fit' (skew-normal), or
    'auto' — the rank estimate unless the canary beats every candidate, then the fit
    (when there are at least MIN_FIT_CANDIDATES distinct-valued candidates)."""
    if method not in METHODS:
        raise ExposureError(f"unknown method '{method}' (choose from {', '.join(METHODS)})")
    candidates = [float(c) for c in candidates]
    canary = float(canary)
    _check_scores(canary_id, canary, candidates)
    if log2_space_size is not None and not (math.isfinite(log2_space_size) and log2_space_size >= 0):
        raise ExposureError(f"canary '{canary_id}': log2 of the candidate space size must be a number >= 0")
    rank = rank_of(canary, candidates)
    by_rank = rank_exposure(canary, candidates)
    can_fit = len(candidates) >= MIN_FIT_CANDIDATES and max(candidates) > min(candidates)
    by_fit = fit_exposure(canary, candidates, log2_space_size) if can_fit else None
    if method == "fit":
        if by_fit is None:
            raise ExposureError(f"canary '{canary_id}': a fit needs at least {MIN_FIT_CANDIDATES} candidates "
                                "that are not all equal")
        chosen, used = by_fit, "fit"
    elif method == "auto" and rank == 1 and by_fit is not None:
        chosen, used = max(by_fit, by_rank), "fit"
    else:
        chosen, used = by_rank, "rank"
    if log2_space_size is not None:
        chosen = min(chosen, log2_space_size)
    return ExposureResult(canary_id, chosen, used, rank, len(candidates), by_rank, by_fit, canary, log2_space_size)


# ---------------------------------------------------------------------------- groups


def summarize(rows: Iterable[dict], keys: Sequence[str] = GROUP_KEYS) -> dict[str, list[dict]]:
    """Per key (lang, bin, repetitions, type): for each value, canaries, mean, median, max
    exposure. Rows without the key (or with None) are left out of that key's table."""
    rows = list(rows)
    out: dict[str, list[dict]] = {}
    for key in keys:
        groups: dict[str, list[float]] = {}
        for row in rows:
            value = row.get(key)
            if value is None:
                continue
            groups.setdefault(str(value), []).append(float(row["exposure"]))
        table = []
        for value in sorted(groups, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v)):
            xs = sorted(groups[value])
            table.append({key: value, "canaries": len(xs), "mean": sum(xs) / len(xs),
                          "median": float(np.median(xs)), "max": xs[-1]})
        if table:
            out[key] = table
    return out
