"""K-FAC against dense linear algebra in numpy float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optviz.trainer.kfac import KFAC, damped_inverses, factors, input_matrix, weight_matrix
from optviz.trainer.model import LAYERS, ModelConfig, cross_entropy, forward, init_params

TINY = ModelConfig(image_shape=(4, 4), channels=(2, 3), hidden=5, n_classes=3)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def damped(a, g, damping):
    pi = np.sqrt((np.trace(a) / len(a)) / (np.trace(g) / len(g)))
    r = np.sqrt(damping)
    return a + pi * r * np.eye(len(a)), g + r / pi * np.eye(len(g))


def dense_layer_problem(n, seed=0):
    """A one-layer softmax regression: inputs, weights (d+1, o), per-example output grads."""
    rng = np.random.default_rng(seed)
    d, o = 4, 3
    a = rng.normal(size=(n, d))
    w = rng.normal(size=(d + 1, o)) * 0.5
    y = rng.integers(0, o, n)
    rows = np.concatenate([a, np.ones((n, 1))], axis=1)
    g = softmax(rows @ w) - np.eye(o)[y]  # d(-log p_y)/d logits, per example
    return rows, g


def test_single_example_fisher_is_exactly_kronecker():
    rows, g = dense_layer_problem(1)
    a_f, g_f = factors(
        jnp.asarray(input_matrix(jnp.asarray(rows[:, :-1]), None)), jnp.asarray(g), 1
    )
    per_example = np.outer(rows[0], g[0]).reshape(-1)  # row-major vec of a g^T
    fisher = np.outer(per_example, per_example)
    np.testing.assert_allclose(np.kron(np.asarray(a_f), np.asarray(g_f)), fisher, atol=1e-5)


def test_dense_preconditioner_solves_the_damped_kronecker_system():
    n, damping = 16, 1e-2
    rows, g = dense_layer_problem(n, seed=1)
    a_f, g_f = factors(jnp.asarray(rows), jnp.asarray(g), n)
    np.testing.assert_allclose(np.asarray(a_f), rows.T @ rows / n, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(g_f), g.T @ g / n, rtol=1e-5, atol=1e-7)
    a_inv, g_inv, _ = damped_inverses(a_f, g_f, damping)
    grad = rows.T @ g / n  # gradient of the mean loss, (d+1, o)
    step = np.asarray(a_inv) @ grad @ np.asarray(g_inv)
    a_d, g_d = damped(rows.T @ rows / n, g.T @ g / n, damping)
    expected = np.linalg.solve(np.kron(a_d, g_d), grad.reshape(-1))
    np.testing.assert_allclose(step.reshape(-1), expected, rtol=1e-3, atol=1e-5)
    # Same thing in the outputs x inputs layout: (G + ·)^-1 grad^T (A + ·)^-1.
    np.testing.assert_allclose(
        step.T, np.linalg.inv(g_d) @ grad.T @ np.linalg.inv(a_d), rtol=1e-3, atol=1e-5
    )


def numpy_patches(x, k):
    n, h, w, c = x.shape
    p = k // 2
    xp = np.zeros((n, h + k - 1, w + k - 1, c))
    xp[:, p : p + h, p : p + w] = x
    rows = [
        xp[i, r : r + k, s : s + k, :].reshape(-1)
        for i in range(n)
        for r in range(h)
        for s in range(w)
    ]
    return np.concatenate([np.array(rows), np.ones((len(rows), 1))], axis=1)


@pytest.fixture
def tiny_batch():
    key = jax.random.PRNGKey(0)
    params = init_params(key, TINY)
    x = jax.random.uniform(jax.random.PRNGKey(1), (6, 4, 4, 1))
    y = jnp.array([0, 1, 2, 0, 1, 2])
    return params, x, y


def test_factor_statistics_match_numpy(tiny_batch):
    params, x, y = tiny_batch
    kfac = KFAC(TINY, fisher="empirical")
    loss, _, grads, a_hat, g_hat = kfac.statistics(params, x, y, jax.random.PRNGKey(2))
    n = x.shape[0]
    # conv1: A over all patches of the input, summed over positions, averaged over examples.
    rows = numpy_patches(np.asarray(x, np.float64), 3)
    np.testing.assert_allclose(np.asarray(a_hat["conv1"]), rows.T @ rows / n, rtol=1e-4, atol=1e-5)
    # dense2: G from the softmax output gradient, A from the hidden activations.
    logits, inputs = forward(params, x, TINY)
    g = softmax(np.asarray(logits, np.float64)) - np.eye(3)[np.asarray(y)]
    np.testing.assert_allclose(np.asarray(g_hat["dense2"]), g.T @ g / n, rtol=1e-4, atol=1e-6)
    h = np.concatenate([np.asarray(inputs["dense2"], np.float64), np.ones((n, 1))], axis=1)
    np.testing.assert_allclose(np.asarray(a_hat["dense2"]), h.T @ h / n, rtol=1e-4, atol=1e-6)
    # The gradient it returns is the ordinary gradient of the mean cross-entropy.
    expected = jax.grad(lambda p: cross_entropy(forward(p, x, TINY)[0], y))(params)
    for name in LAYERS:
        np.testing.assert_allclose(grads[name]["w"], expected[name]["w"], rtol=1e-4, atol=1e-6)
    assert float(loss) == pytest.approx(float(cross_entropy(logits, y)), rel=1e-5)


def test_conv_output_statistics_average_over_positions(tiny_batch):
    params, x, y = tiny_batch
    kfac = KFAC(TINY, fisher="empirical")
    *_, g_hat = kfac.statistics(params, x, y, jax.random.PRNGKey(2))

    def example_loss(taps, xi, yi):
        logits, _ = forward(params, xi[None], TINY, taps=taps)
        return cross_entropy(logits, yi[None])

    taps = {"conv2": jnp.zeros((1, 2, 2, 3))}
    per_example = jax.vmap(lambda xi, yi: jax.grad(example_loss)(taps, xi, yi)["conv2"])(x, y)
    g = np.asarray(per_example, np.float64).reshape(-1, 3)  # (N * positions, channels)
    np.testing.assert_allclose(np.asarray(g_hat["conv2"]), g.T @ g / len(g), rtol=1e-4, atol=1e-7)


def test_first_step_is_the_damped_natural_gradient(tiny_batch):
    params, x, y = tiny_batch
    lr, damping = 0.1, 1e-2
    kfac = KFAC(TINY, learning_rate=lr, damping=damping, fisher="empirical", kl_clip=1e-3)
    state = kfac.init(params)
    _, _, grads, a_hat, g_hat = kfac.statistics(params, x, y, jax.random.PRNGKey(3))
    new, state, *_ = kfac.step(params, state, x, y, jax.random.PRNGKey(3))
    deltas, quad = {}, 0.0
    for name in LAYERS:
        v = np.asarray(weight_matrix(grads[name]), np.float64)
        a_d, g_d = damped(
            np.asarray(a_hat[name], np.float64), np.asarray(g_hat[name], np.float64), damping
        )
        deltas[name] = np.linalg.solve(a_d, v) @ np.linalg.inv(g_d)
        quad += np.sum(deltas[name] * v)
    nu = min(1.0, np.sqrt(1e-3 / (lr**2 * quad)))
    for name in LAYERS:
        moved = np.asarray(weight_matrix(new[name]), np.float64) - np.asarray(
            weight_matrix(params[name]), np.float64
        )
        np.testing.assert_allclose(moved, -lr * nu * deltas[name], rtol=2e-3, atol=1e-6)
    assert int(state.step) == 1


def test_true_fisher_samples_labels(tiny_batch):
    params, x, y = tiny_batch
    true = KFAC(TINY, fisher="true").statistics(params, x, y, jax.random.PRNGKey(4))
    emp = KFAC(TINY, fisher="empirical").statistics(params, x, y, jax.random.PRNGKey(4))
    np.testing.assert_allclose(true[3]["conv1"], emp[3]["conv1"])  # A does not depend on labels
    assert not np.allclose(true[4]["dense2"], emp[4]["dense2"])
    with pytest.raises(ValueError, match="fisher"):
        KFAC(TINY, fisher="exact")
