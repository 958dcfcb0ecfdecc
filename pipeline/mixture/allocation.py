"""From available tokens per (source, language) to a target and a sampling rate per bucket.

1. Sources get ``D · w_s / Σw`` tokens (weights from the config; without weights,
   sources in proportion to their available tokens).
2. Inside a source, languages get shares by ``natural`` (∝ n), ``explicit`` shares,
   ``temperature`` (∝ n^α) or ``unimax`` (uniform, at most N epochs per language);
   optional ``min_share`` / ``max_share`` bounds are then enforced by water-filling.
3. Every bucket is capped at ``max_epochs × available``; what a capped bucket cannot
   take is handled by ``on_shortfall``: ``redistribute`` (to the uncapped languages of
   the same source, in proportion to their shares), ``shrink`` (scale every target down
   by the same factor so that no bucket exceeds the cap: composition kept, budget
   smaller) or ``error``.

The rate of a bucket is ``target / available`` (= its planned epochs). Everything is
plain floats computed in sorted key order, so the plan is the same on every machine.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping

from pipeline.mixture.budget import Budget

Bucket = tuple[str, str]  # (source, lang)

_EPS = 1e-9


@dataclass(frozen=True)
class BucketCounts:
    """What one (source, language) bucket holds after all filters."""

    docs: int = 0
    tokens: int = 0
    chars: int = 0
    bytes: int = 0

    def __add__(self, other: "BucketCounts") -> "BucketCounts":
        return BucketCounts(self.docs + other.docs, self.tokens + other.tokens,
                            self.chars + other.chars, self.bytes + other.bytes)


@dataclass(frozen=True)
class BucketPlan:
    source: str
    lang: str
    available_docs: int
    available_tokens: int
    planned_tokens: float  # the bucket's share of the budget before the epoch cap
    target_tokens: float  # what the sampler aims at
    rate: float  # target / available = planned epochs (0 when nothing is available)
    capped: bool  # the bucket hit max_epochs (or its max_share while taking redistributed tokens)

    @property
    def epochs(self) -> float:
        return self.rate

    @property
    def shortfall_tokens(self) -> float:
        return max(0.0, self.planned_tokens - self.target_tokens)


@dataclass(frozen=True)
class SourcePlan:
    source: str
    weight: float  # normalised weight (share of the budget)
    available_tokens: int
    planned_tokens: float
    target_tokens: float

    @property
    def shortfall_tokens(self) -> float:
        return max(0.0, self.planned_tokens - self.target_tokens)


@dataclass(frozen=True)
class Allocation:
    budget: Budget | None
    buckets: tuple[BucketPlan, ...]
    sources: tuple[SourcePlan, ...]
    on_shortfall: str
    max_epochs: float | None
    warnings: tuple[str, ...] = ()
    _rates: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._rates.update({(b.source, b.lang): b.rate for b in self.buckets})

    def rate(self, source: str, lang: str) -> float:
        """The bucket's sampling rate; unknown buckets get 1 without a budget, else 0."""
        default = 1.0 if self.budget is None else 0.0
        return self._rates.get((source, lang), default)

    def bucket(self, source: str, lang: str) -> BucketPlan | None:
        for b in self.buckets:
            if b.source == source and b.lang == lang:
                return b
        return None

    @property
    def total_target_tokens(self) -> float:
        return math.fsum(b.target_tokens for b in self.buckets)

    @property
    def total_available_tokens(self) -> int:
        return sum(b.available_tokens for b in self.buckets)

    def to_dict(self) -> dict:
        total = self.total_target_tokens
        return {
            "budget": self.budget.to_dict() if self.budget else None,
            "on_shortfall": self.on_shortfall,
            "max_epochs": self.max_epochs,
            "total_available_tokens": self.total_available_tokens,
            "total_target_tokens": total,
            "sources": [dict(asdict(s), shortfall_tokens=s.shortfall_tokens) for s in self.sources],
            "buckets": [
                dict(asdict(b), epochs=b.epochs, shortfall_tokens=b.shortfall_tokens,
                     share=(b.target_tokens / total if total > 0 else 0.0))
                for b in self.buckets
            ],
            "warnings": list(self.warnings),
        }


class ShortfallError(ValueError):
    """``on_shortfall: error`` and some bucket cannot reach its target within max_epochs."""


# ---------------------------------------------------------------- language shares


def _normalise(values: Mapping[str, float]) -> dict[str, float]:
    keys = sorted(values)
    total = math.fsum(values[k] for k in keys)
    if total <= 0:
        return {k: 0.0 for k in keys}
    return {k: values[k] / total for k in keys}


def natural_shares(sizes: Mapping[str, float]) -> dict[str, float]:
    """p(lang) ∝ available tokens."""
    return _normalise({k: max(0.0, float(v)) for k, v in sizes.items()})


def temperature_shares(sizes: Mapping[str, float], alpha: float) -> dict[str, float]:
    """p(lang) ∝ n^α (α = 1: natural; α → 0: uniform over languages with data)."""
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0 (got {alpha})")
    return _normalise({k: (float(v) ** alpha if v > 0 else 0.0) for k, v in sizes.items()})


def explicit_shares(sizes: Mapping[str, float], shares: Mapping[str, float]) -> dict[str, float]:
    """The given shares, normalised; listed languages without data keep their share (a
    shortfall later), unlisted languages get 0."""
    out = _normalise({k: float(v) for k, v in shares.items()})
    for lang in sizes:
        out.setdefault(lang, 0.0)
    return dict(sorted(out.items()))


def unimax_allocation(sizes: Mapping[str, float], budget: float, max_epochs: float) -> dict[str, float]:
    """UniMax (Chung et al. 2023): tokens per language, uniform but ≤ max_epochs × size.

    Languages are visited from the smallest up; each gets an equal part of what is left,
    at most ``max_epochs`` times its size. Ties in size are broken by language code.
    """
    if budget < 0 or not max_epochs > 0:
        raise ValueError("budget must be >= 0 and max_epochs > 0")
    order = sorted(sizes, key=lambda lang: (float(sizes[lang]), lang))
    remaining = float(budget)
    allocated: dict[str, float] = {}
    for i, lang in enumerate(order):
        share = remaining / (len(order) - i)
        u = min(share, max_epochs * max(0.0, float(sizes[lang])))
        allocated[lang] = u
        remaining -= u
    return dict(sorted(allocated.items()))


def unimax_shares(sizes: Mapping[str, float], budget: float, max_epochs: float) -> dict[str, float]:
    """p(lang) = u / Σu of :func:`unimax_allocation`."""
    return _normalise(unimax_allocation(sizes, budget, max_epochs))


def apply_share_bounds(shares: Mapping[str, float], bounds: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """Shares moved into [lo, hi] per language, keeping the free ones in proportion.

    Water-filling: languages outside their bounds are pinned to the bound, the rest of
    the mass is re-spread over the free languages, until nothing is outside. When even
    every upper bound together is below 1, every language sits at its upper bound and
    the shares sum to less than 1 (the rest is unallocated); when the lower bounds sum
    above 1 they are scaled down to sum to 1.
    """
    langs = sorted(shares)
    lo = {k: bounds.get(k, (0.0, 1.0))[0] for k in langs}
    hi = {k: bounds.get(k, (0.0, 1.0))[1] for k in langs}
    if not langs:
        return {}
    if math.fsum(hi.values()) <= 1.0 + _EPS:
        return dict(hi)
    lo_total = math.fsum(lo.values())
    if lo_total >= 1.0 - _EPS:
        return {k: lo[k] / lo_total for k in langs}
    fixed: dict[str, float] = {}
    while True:
        free = [k for k in langs if k not in fixed]
        remaining = 1.0 - math.fsum(fixed.values())
        base = math.fsum(shares[k] for k in free)
        if not free:
            return dict(sorted(fixed.items()))
        if base > 0:
            q = {k: remaining * shares[k] / base for k in free}
        else:
            q = {k: remaining / len(free) for k in free}
        over = [k for k in free if q[k] > hi[k] + _EPS]
        under = [k for k in free if q[k] < lo[k] - _EPS]
        if not over and not under:
            fixed.update(q)
            return dict(sorted(fixed.items()))
        excess = math.fsum(q[k] - hi[k] for k in over)
        deficit = math.fsum(lo[k] - q[k] for k in under)
        if excess >= deficit:
            fixed.update({k: hi[k] for k in over})
        else:
            fixed.update({k: lo[k] for k in under})


def language_shares(settings, sizes: Mapping[str, float], source_target: float) -> dict[str, float]:
    """Shares of one source's languages under ``settings`` (a LanguagesConfig)."""
    method = settings.sampling
    if method == "natural":
        shares = natural_shares(sizes)
    elif method == "temperature":
        shares = temperature_shares(sizes, settings.alpha)
    elif method == "explicit":
        shares = explicit_shares(sizes, settings.shares)
    elif method == "unimax":
        shares = unimax_shares(sizes, source_target, settings.max_epochs)
    else:
        raise ValueError(f"unknown language sampling '{method}'")
    bounded = {k: v for k, v in shares.items() if v > 0 or sizes.get(k, 0) > 0}
    bounds = {k: settings.bounds(k) for k in bounded}
    if any(b != (0.0, 1.0) for b in bounds.values()):
        bounded = apply_share_bounds(bounded, bounds)
    return {k: bounded.get(k, 0.0) for k in sorted(set(shares) | set(bounded))}


# ---------------------------------------------------------------- the allocation


def _cap_source(planned: dict[str, float], shares: dict[str, float], caps: dict[str, float],
                limits: dict[str, float], redistribute: bool) -> tuple[dict[str, float], set[str]]:
    """Targets of one source's languages after the epoch cap (and redistribution)."""
    targets = dict(planned)
    capped: set[str] = set()
    while True:
        over = {k: targets[k] - caps[k] for k in sorted(targets) if targets[k] > caps[k] * (1 + _EPS) + _EPS}
        if not over:
            break
        for k, amount in over.items():
            targets[k] = caps[k]
            capped.add(k)
        if not redistribute:
            break
        excess = math.fsum(over.values())
        receivers = [k for k in sorted(targets) if k not in capped and shares.get(k, 0) > 0
                     and targets[k] < limits[k] - _EPS]
        if not receivers:
            break
        weight = math.fsum(shares[k] for k in receivers)
        for k in receivers:
            targets[k] += excess * shares[k] / weight
        # a receiver pushed over its max_share limit is capped at it in the next round
        caps = {k: (min(caps[k], limits[k]) if k in receivers else caps[k]) for k in caps}
    return targets, capped


def _snap(rate: float) -> float:
    """Integer rates stay integers (so '2 epochs' means exactly 2 copies of each doc)."""
    nearest = round(rate)
    return float(nearest) if abs(rate - nearest) < 1e-9 else rate


def _epoch_cap(mixture, settings) -> float | None:
    """The epochs a bucket may reach: the global max_epochs, and UniMax's own cap."""
    caps = [e for e in (mixture.max_epochs, settings.max_epochs if settings.sampling == "unimax" else None)
            if e is not None]
    return min(caps) if caps else None


def _as_counts(value) -> BucketCounts:
    if isinstance(value, BucketCounts):
        return value
    if isinstance(value, (int, float)):
        return BucketCounts(docs=0, tokens=int(value))
    if isinstance(value, Mapping):
        return BucketCounts(**{k: int(value.get(k, 0)) for k in ("docs", "tokens", "chars", "bytes")})
    return BucketCounts(*value)


def allocate(available: Mapping[Bucket, BucketCounts | int], mixture, budget: Budget | None,
             sources: Iterable[str] = ()) -> Allocation:
    """The per-bucket plan for ``available`` tokens under a MixtureConfig and a budget.

    ``sources`` lists every configured source, so that a weighted source without any
    data shows up as a shortfall rather than vanishing. Without a budget every bucket
    keeps rate 1 (every document once).
    """
    counts = {key: _as_counts(v) for key, v in sorted(available.items())}
    by_source: dict[str, dict[str, BucketCounts]] = {}
    for (source, lang), c in counts.items():
        by_source.setdefault(source, {})[lang] = c
    for name in sorted(set(sources) | set(mixture.weights)):
        by_source.setdefault(name, {})
    source_names = sorted(by_source)
    source_tokens = {s: sum(c.tokens for c in by_source[s].values()) for s in source_names}
    warnings: list[str] = []

    if budget is None:
        buckets = tuple(
            BucketPlan(s, lang, c.docs, c.tokens, float(c.tokens), float(c.tokens), 1.0, False)
            for s in source_names for lang, c in sorted(by_source[s].items())
        )
        total = sum(source_tokens.values())
        plans = tuple(SourcePlan(s, (source_tokens[s] / total if total else 0.0), source_tokens[s],
                                 float(source_tokens[s]), float(source_tokens[s])) for s in source_names)
        if mixture.weights:
            warnings.append("mixture.weights are ignored without mixture.budget: every document is kept once")
        return Allocation(None, buckets, plans, mixture.on_shortfall, mixture.max_epochs, tuple(warnings))

    if mixture.weights:
        raw = {s: float(mixture.weights.get(s, 0.0)) for s in source_names}
        left_out = [s for s in source_names if s not in mixture.weights and source_tokens[s] > 0]
        if left_out:
            warnings.append(f"sources without a weight are left out of the mixture: {', '.join(left_out)}")
    else:
        raw = {s: float(source_tokens[s]) for s in source_names}
    weights = _normalise(raw)

    redistribute = mixture.on_shortfall == "redistribute"
    shortfalls: list[str] = []
    plans_by_source: dict[str, dict[str, tuple[float, float, bool]]] = {}
    for s in source_names:
        source_target = budget.tokens * weights[s]
        langs = by_source[s]
        sizes = {lang: float(c.tokens) for lang, c in langs.items()}
        settings = mixture.languages.for_source(s)
        shares = language_shares(settings, sizes, source_target) if source_target > 0 else {k: 0.0 for k in sizes}
        planned = {lang: source_target * p for lang, p in shares.items()}
        cap = _epoch_cap(mixture, settings)
        caps, limits = {}, {}
        for lang in planned:
            n = sizes.get(lang, 0.0)
            caps[lang] = cap * n if cap is not None else math.inf
            limits[lang] = min(caps[lang], settings.bounds(lang)[1] * source_target)
        if mixture.on_shortfall == "error":
            bad = [(lang, planned[lang], caps[lang]) for lang in sorted(planned)
                   if planned[lang] > caps[lang] * (1 + _EPS) + _EPS]
            shortfalls += [f"{s}/{lang}: target {t:,.0f} tokens > {c:,.0f} available within the epoch cap"
                           for lang, t, c in bad]
        if mixture.on_shortfall == "shrink":
            targets, capped = dict(planned), set()
        else:
            targets, capped = _cap_source(planned, shares, caps, limits, redistribute)
        plans_by_source[s] = {lang: (planned[lang], targets[lang], lang in capped) for lang in planned}

    if shortfalls:
        raise ShortfallError("not enough data (mixture.on_shortfall: error):\n  " + "\n  ".join(shortfalls))
    if mixture.on_shortfall == "shrink":
        factor = 1.0
        for s in source_names:
            for lang, (planned_t, target, _) in plans_by_source[s].items():
                n = by_source[s].get(lang, BucketCounts()).tokens
                cap = _epoch_cap(mixture, mixture.languages.for_source(s))
                if target > 0 and n > 0 and cap is not None:
                    factor = min(factor, cap * n / target)
        if factor < 1.0:
            warnings.append(f"budget shrunk to {factor:.4f} of its size so that no bucket exceeds max_epochs")
        for s in source_names:
            plans_by_source[s] = {
                lang: (planned_t, target * factor if by_source[s].get(lang, BucketCounts()).tokens > 0 else 0.0,
                       planned_t > 0 and by_source[s].get(lang, BucketCounts()).tokens == 0)
                for lang, (planned_t, target, _) in plans_by_source[s].items()
            }

    buckets = []
    source_plans = []
    for s in source_names:
        target_sum = 0.0
        planned_sum = 0.0
        cap = _epoch_cap(mixture, mixture.languages.for_source(s))
        for lang, (planned_t, target, capped) in sorted(plans_by_source[s].items()):
            c = by_source[s].get(lang, BucketCounts())
            rate = _snap(target / c.tokens) if c.tokens > 0 else 0.0
            capped = capped or (cap is not None and c.tokens > 0 and rate >= cap * (1 - 1e-9))
            if c.tokens == 0:
                target = 0.0
            if planned_t <= 0 and c.tokens == 0:
                continue  # a language the source does not have and nobody asked for
            buckets.append(BucketPlan(s, lang, c.docs, c.tokens, planned_t, target, rate, capped))
            target_sum += target
            planned_sum += planned_t
        source_plans.append(SourcePlan(s, weights[s], source_tokens[s], budget.tokens * weights[s], target_sum))
        short = budget.tokens * weights[s] - target_sum
        if short > max(1.0, 1e-6 * budget.tokens) and mixture.on_shortfall == "redistribute":
            warnings.append(f"source '{s}' is {short:,.0f} tokens short of its target even after redistribution")
    return Allocation(budget, tuple(buckets), tuple(source_plans), mixture.on_shortfall,
                      mixture.max_epochs, tuple(warnings))
