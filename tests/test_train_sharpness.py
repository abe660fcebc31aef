"""Sharpness and non-convexity (the largest and smallest Hessian eigenvalues) against the
exact Hessian in numpy float64."""

import math

import jax
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from optviz.cli.train_cmds import _hessian_lines
from optviz.trainer import train
from optviz.trainer.model import cross_entropy, forward, init_params, init_state
from optviz.trainer.result import read_metrics
from optviz.trainer.sharpness import MIN_TOL, TOL, extreme_eigenvalues, sharpness
from tests.train_fixtures import TINY


def rotated(eigenvalues, seed=0) -> np.ndarray:
    """A dense symmetric matrix with these eigenvalues (a random rotation of their diagonal)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues),) * 2))
    return q @ np.diag(eigenvalues) @ q.T


def test_lanczos_finds_both_ends_not_the_largest_in_magnitude():
    rng = np.random.default_rng(0)
    h = rotated(np.concatenate([[-9.0, 3.0, 2.7], rng.uniform(-2, 2, 37)]))
    found = extreme_eigenvalues(lambda v: h @ v, 40, seed=1)
    assert found.top_converged and found.bottom_converged and found.products < 40
    assert found.top_residual <= TOL * abs(found.top)
    assert found.bottom_residual <= MIN_TOL * abs(found.bottom)
    assert found.top == pytest.approx(3.0, rel=TOL)
    assert found.bottom == pytest.approx(-9.0, rel=MIN_TOL)


def test_the_bottom_is_not_called_converged_inside_the_cluster():
    """A trained network's spectrum: a few large eigenvalues, a dense cluster about zero,
    and a small negative λmin. Early on the smallest Ritz value sits in the cluster with
    a residual tiny next to λmax; the bottom's tolerance is relative to itself, so
    Lanczos goes on to the negative eigenvalue."""
    rng = np.random.default_rng(0)
    h = rotated(np.concatenate([[20.0, 6.0, 3.0, -0.1], rng.normal(0, 0.01, 196)]))
    early = extreme_eigenvalues(lambda v: h @ v, 200, seed=0, max_iter=4)
    assert early.bottom > -0.01 and early.bottom_residual <= TOL * early.top  # the trap
    assert not early.bottom_converged
    found = extreme_eigenvalues(lambda v: h @ v, 200, seed=0)
    assert found.bottom_converged and found.products < 30
    assert found.bottom == pytest.approx(-0.1, rel=MIN_TOL)
    assert found.top == pytest.approx(20.0, rel=TOL)
    # Not asked for the bottom, Lanczos stops once the top has converged: the same top
    # from the same products (the run is the same up to there), in fewer of them.
    top_only = extreme_eigenvalues(lambda v: h @ v, 200, seed=0, smallest=False)
    assert top_only.top_converged and top_only.products < found.products
    assert top_only.top == pytest.approx(20.0, rel=TOL)


def exact_spectrum(params, cfg, x, y, state):
    flat, unravel = ravel_pytree(params)

    def loss(v):
        logits, _ = forward(unravel(v), x, cfg, state=state)
        return cross_entropy(logits, y)

    hessian = np.asarray(jax.jit(jax.hessian(loss))(flat), np.float64)
    return np.linalg.eigvalsh((hessian + hessian.T) / 2)


def test_both_ends_match_the_exact_hessian(tiny_batch):
    _, x, y = tiny_batch
    cfg = TINY.replace(depth=1, norm="batch", skip=True)  # the default's branches and more
    params = init_params(jax.random.PRNGKey(5), cfg)
    state = jax.tree.map(lambda a: a + 0.3, init_state(cfg))  # running statistics in use
    exact = exact_spectrum(params, cfg, x, y, state)
    assert exact[0] < -0.2 * exact[-1]  # a clearly negative eigenvalue: not convex here
    found = sharpness(params, cfg, x, y, state=state, seed=0)
    assert found.converged and found.min_converged and found.examples == 6
    assert found.value == pytest.approx(exact[-1], rel=5 * TOL)
    assert found.min_value == pytest.approx(exact[0], rel=5 * MIN_TOL)
    assert found.nonconvexity == pytest.approx(abs(exact[0] / exact[-1]), rel=5 * MIN_TOL)
    again = sharpness(params, cfg, x, y, state=state, seed=0)
    assert again == found  # deterministic


def test_train_reports_sharpness_per_optimizer(short_run, cli_run):
    result = short_run.result
    records = [r for r in read_metrics(short_run.out / "metrics.jsonl") if r["kind"] == "sharpness"]
    assert [r["optimizer"] for r in records] == ["sgd", "adam"]
    for record in records:
        assert record["converged"] and record["examples"] == 400  # all of small_digits
        assert record["sharpness"] > 0 and math.isfinite(record["sharpness"])
        assert record["min_converged"] and record["min_eigenvalue"] < record["sharpness"]
        assert record["nonconvexity"] == abs(record["min_eigenvalue"] / record["sharpness"])
        assert result.sharpness[record["optimizer"]] == record["sharpness"]
        assert result.hessian[record["optimizer"]].record() == {
            k: v for k, v in record.items() if k not in ("kind", "optimizer", "epoch")
        }
    assert {r["optimizer"]: r["sharpness"] for r in result.summary()} == result.sharpness
    assert [r["nonconvexity"] for r in result.summary()] == [r["nonconvexity"] for r in records]
    lines = _hessian_lines(result.hessian)  # what `optviz train --nonconvexity` prints
    expected = ", ".join(f"{r['optimizer']} {r['min_eigenvalue']:.4g} ({r['nonconvexity']:.3g})"
                         for r in records)  # fmt: skip
    assert (
        lines[1]
        == "smallest Hessian eigenvalue (|λmin/λmax|, Li et al.'s non-convexity): " + expected
    )
    # The command's default: the largest alone (the smallest takes 3-5 times the products).
    output, folder = cli_run
    assert "sharpness (largest Hessian eigenvalue of the training loss): sgd " in output
    assert "λmin" not in output
    tops = [r for r in read_metrics(folder / "metrics.jsonl") if r["kind"] == "sharpness"]
    assert len(tops) == 2 and all(r["converged"] for r in tops)
    assert not any("min_eigenvalue" in r or "nonconvexity" in r for r in tops)


def test_no_sharpness(small_digits, tmp_path):
    result = train(["sgd"], dataset=small_digits, epochs=0, sharpness=False, out=tmp_path / "run")
    assert result.sharpness == {}
    assert math.isnan(result.summary()[0]["sharpness"])
    assert math.isnan(result.summary()[0]["nonconvexity"])
    assert {r["kind"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl")} == {"epoch"}
