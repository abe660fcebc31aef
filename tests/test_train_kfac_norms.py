"""K-FAC with the knobs: skip projections and normalisation parameters, against numpy float64."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optviz.trainer.kfac import KFACState, kfac_gradients, weight_matrix
from optviz.trainer.model import apply, cross_entropy, forward
from optviz.trainer.optim import make_stepper
from tests.test_train_kfac import damped
from tests.train_fixtures import TINY, random_norm_params

# One block (1 -> 2 channels, so the skip is a 1x1 projection): small programs to compile.
LAYER_SKIP = TINY.replace(depth=1, norm="layer", skip=True)
WEIGHT = TINY.replace(depth=1, norm="weight")


@functools.cache
def empirical_gradients(cfg):
    return jax.jit(kfac_gradients(cfg, "empirical"))


def f64(a):
    return np.asarray(a, np.float64)


@pytest.mark.parametrize("cfg", [LAYER_SKIP, WEIGHT], ids=["layer-skip", "weight"])
def test_factors_and_diagonal_fisher_match_per_example_gradients(tiny_batch, cfg):
    _, x, y = tiny_batch
    params = random_norm_params(cfg)
    _, grads, extra = empirical_gradients(cfg)(params, x, y, jax.random.PRNGKey(0))

    def example(taps, p, xi, yi):
        logits, _ = forward(p, xi[None], cfg, taps=taps)
        return cross_entropy(logits, yi[None])

    taps = {"skip1": jnp.zeros((1, 4, 4, 2))} if cfg.skip else {}
    per_example = jax.jit(jax.vmap(jax.grad(example, argnums=(0, 1)), in_axes=(None, None, 0, 0)))
    tap_grads, param_grads = per_example(taps, params, x, y)
    # Normalisation parameters: mean over examples of their squared per-example gradients.
    for name in cfg.norm_layers:
        for key, got in extra["kfac_diagonal"][name].items():
            expected = np.mean(f64(param_grads[name][key]) ** 2, axis=0)
            np.testing.assert_allclose(f64(got), expected, rtol=1e-3, atol=1e-9)
    # The ordinary gradient of the mean loss, every parameter included.
    for got, want in zip(jax.tree.leaves(grads), jax.tree.leaves(param_grads), strict=True):
        np.testing.assert_allclose(f64(got), f64(want).mean(axis=0), rtol=1e-3, atol=1e-7)
    if cfg.skip:  # the 1x1 projection is a Kronecker-factored conv layer like the others
        a_hat, g_hat = extra["kfac_factors"]
        rows = np.concatenate([f64(x).reshape(-1, 1), np.ones((x.size, 1))], axis=1)
        np.testing.assert_allclose(f64(a_hat["skip1"]), rows.T @ rows / len(x), rtol=1e-4)
        g = f64(tap_grads["skip1"]).reshape(-1, 2)
        np.testing.assert_allclose(f64(g_hat["skip1"]), g.T @ g / len(g), rtol=1e-3, atol=1e-9)


def test_first_step_is_kronecker_for_weights_and_diagonal_for_norms(tiny_batch):
    _, x, y = tiny_batch
    cfg = LAYER_SKIP.replace(norm="batch")
    params = random_norm_params(cfg, seed=1)
    lr, damping = 0.1, 1e-2
    hp = {"learning_rate": lr, "damping": damping, "fisher": "empirical", "kl_clip": 1e-3}
    stepper = make_stepper("kfac", cfg, hp)
    new, state, *_ = jax.jit(stepper.step)(
        params, stepper.init(params), x, y, jax.random.PRNGKey(3)
    )
    (kfac_state,) = [
        s for s in jax.tree.leaves(state.opt, is_leaf=lambda n: isinstance(n, KFACState))
        if isinstance(s, KFACState)
    ]  # fmt: skip
    # After one step the averages are the batch statistics (measured as the per-example
    # test above checks, there for layer norm); the step is the damped solve with them.
    assert set(kfac_state.D) == set(cfg.norm_layers) == {"norm1"}

    def loss(p):
        return cross_entropy(apply(p, x, cfg, train=True)[0], y)

    grads = jax.jit(jax.grad(loss))(params)
    deltas, quad = {}, 0.0
    for name in kfac_state.A:  # convs, skip projections and dense layers
        v = f64(weight_matrix(grads[name]))
        a_d, g_d = damped(f64(kfac_state.A[name]), f64(kfac_state.G[name]), damping)
        deltas[name] = np.linalg.solve(a_d, v) @ np.linalg.inv(g_d)
        quad += np.sum(deltas[name] * v)
    assert {"conv1", "skip1", "dense1", "dense2"} == set(deltas)
    for key, d in kfac_state.D["norm1"].items():
        v = f64(grads["norm1"][key])
        deltas["norm1", key] = v / (f64(d) + damping)
        quad += np.sum(deltas["norm1", key] * v)
    nu = min(1.0, np.sqrt(1e-3 / (lr**2 * quad)))
    for name, delta in deltas.items():
        if isinstance(name, tuple):
            moved = f64(new[name[0]][name[1]]) - f64(params[name[0]][name[1]])
        else:
            moved = f64(weight_matrix(new[name])) - f64(weight_matrix(params[name]))
        np.testing.assert_allclose(moved, -lr * nu * delta, rtol=2e-3, atol=1e-6)
    # the step carried batch norm's running statistics forward
    assert float(jnp.abs(state.model["norm1"]["mean"]).max()) > 0
