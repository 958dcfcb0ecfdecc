"""The 6ND budget planner."""

from __future__ import annotations

import math

import pytest

from pipeline.config.mixture import BudgetConfig
from pipeline.mixture.budget import budget_from_config, plan_budget


def test_chinchilla_example():
    b = plan_budget(compute_flops=1e22, tokens_per_param=20)
    # docs/mixture.md's figures, to three significant digits: N ≈ 9.13e9, D ≈ 1.83e11
    assert f"{b.params:.3g}" == "9.13e+09"
    assert f"{b.tokens:.3g}" == "1.83e+11"
    assert b.tokens == pytest.approx(20 * b.params)
    assert 6 * b.params * b.tokens == pytest.approx(1e22)


def test_compute_and_params():
    b = plan_budget(compute_flops=1e22, params=1e10)
    assert b.tokens == pytest.approx(1e22 / 6e10)
    assert b.params == 1e10


def test_params_alone_and_tokens_alone():
    b = plan_budget(params=1e9, tokens_per_param=20)
    assert b.tokens == 2e10
    assert b.compute_flops == pytest.approx(6 * 1e9 * 2e10)
    t = plan_budget(tokens=2e6)
    assert t.tokens == 2e6
    assert t.params == pytest.approx(1e5)
    tp = plan_budget(tokens=1e9, params=1e8)
    assert tp.compute_flops == pytest.approx(6e17)
    tc = plan_budget(tokens=1e9, compute_flops=6e17)
    assert tc.params == pytest.approx(1e8)


@pytest.mark.parametrize("kwargs", [
    {}, {"tokens": -1}, {"compute_flops": 0}, {"tokens": math.inf}, {"params": math.nan},
    {"tokens": 1, "compute_flops": 1, "params": 1},
])
def test_invalid(kwargs):
    with pytest.raises(ValueError):
        plan_budget(**kwargs)


def test_from_config_and_overrides():
    assert budget_from_config(None) is None
    cfg = BudgetConfig(compute_flops=1e22, tokens_per_param=10)
    b = budget_from_config(cfg)
    assert b.params == pytest.approx(math.sqrt(1e22 / 60))
    # command-line values replace the config's inputs but keep its tokens_per_param
    assert budget_from_config(cfg, tokens=5e6).tokens == 5e6
    assert budget_from_config(cfg, params=1e9).tokens == pytest.approx(1e10)
    assert budget_from_config(None, compute_flops=1e22).tokens == pytest.approx(1.826e11, rel=1e-3)
