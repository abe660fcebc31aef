"""Sharpness (the largest Hessian eigenvalue) against the exact Hessian in numpy float64."""

import math

import jax
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from optviz.trainer import train
from optviz.trainer.model import cross_entropy, forward, init_params, init_state
from optviz.trainer.result import read_metrics
from optviz.trainer.sharpness import TOL, sharpness, top_eigenvalue
from tests.train_fixtures import TINY


def test_lanczos_finds_the_largest_not_the_largest_in_magnitude():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(40, 40)))
    eigenvalues = np.concatenate([[-9.0, 3.0, 2.7], rng.uniform(-2, 2, 37)])
    h = q @ np.diag(eigenvalues) @ q.T
    theta, products, residual, converged = top_eigenvalue(lambda v: h @ v, 40, seed=1)
    assert converged and products < 40
    assert residual <= TOL * abs(theta)
    assert theta == pytest.approx(3.0, rel=TOL)


def exact_top_eigenvalue(params, cfg, x, y, state):
    flat, unravel = ravel_pytree(params)

    def loss(v):
        logits, _ = forward(unravel(v), x, cfg, state=state)
        return cross_entropy(logits, y)

    hessian = np.asarray(jax.jit(jax.hessian(loss))(flat), np.float64)
    return np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1]


def test_sharpness_matches_the_exact_hessian(tiny_batch):
    _, x, y = tiny_batch
    cfg = TINY.replace(depth=1, norm="batch", skip=True)  # the default's branches and more
    params = init_params(jax.random.PRNGKey(5), cfg)
    state = jax.tree.map(lambda a: a + 0.3, init_state(cfg))  # running statistics in use
    expected = exact_top_eigenvalue(params, cfg, x, y, state)
    found = sharpness(params, cfg, x, y, state=state, seed=0)
    assert found.converged and found.examples == 6
    assert found.value == pytest.approx(expected, rel=5 * TOL)
    again = sharpness(params, cfg, x, y, state=state, seed=0)
    assert again == found  # deterministic


def test_train_reports_sharpness_per_optimizer(short_run, cli_run):
    result = short_run.result
    records = [r for r in read_metrics(short_run.out / "metrics.jsonl") if r["kind"] == "sharpness"]
    assert [r["optimizer"] for r in records] == ["sgd", "adam"]
    for record in records:
        assert record["converged"] and record["examples"] == 400  # all of small_digits
        assert record["sharpness"] > 0 and math.isfinite(record["sharpness"])
        assert result.sharpness[record["optimizer"]] == record["sharpness"]
    assert {r["optimizer"]: r["sharpness"] for r in result.summary()} == result.sharpness
    output, folder = cli_run
    assert "sharpness (largest Hessian eigenvalue of the training loss): sgd " in output
    assert len([r for r in read_metrics(folder / "metrics.jsonl") if r["kind"] == "sharpness"]) == 2


def test_no_sharpness(small_digits, tmp_path):
    result = train(["sgd"], dataset=small_digits, epochs=0, sharpness=False, out=tmp_path / "run")
    assert result.sharpness == {}
    assert math.isnan(result.summary()[0]["sharpness"])
    assert {r["kind"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl")} == {"epoch"}
