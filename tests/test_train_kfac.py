"""K-FAC against dense linear algebra in numpy float64."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optviz.errors import OptvizError
from optviz.trainer.kfac import (
    KFACFactors,
    KFACState,
    damped_inverses,
    factors,
    input_matrix,
    kfac_gradients,
    weight_matrix,
)
from optviz.trainer.model import LAYERS, cross_entropy, forward
from optviz.trainer.optim import make_stepper, transform
from tests.train_fixtures import TINY

jit_forward = jax.jit(forward, static_argnums=2)


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
    a_inv, g_inv, _ = jax.jit(damped_inverses)(a_f, g_f, damping)
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


def test_factor_statistics_match_numpy(tiny_batch, tiny_kfac_gradients):
    params, x, y = tiny_batch
    (loss, _), grads, extra = tiny_kfac_gradients["empirical"](params, x, y, jax.random.PRNGKey(2))
    a_hat, g_hat = extra["kfac_factors"]
    n = x.shape[0]
    # conv1: A over all patches of the input, summed over positions, averaged over examples.
    rows = numpy_patches(np.asarray(x, np.float64), 3)
    np.testing.assert_allclose(np.asarray(a_hat["conv1"]), rows.T @ rows / n, rtol=1e-4, atol=1e-5)
    # dense2: G from the softmax output gradient, A from the hidden activations.
    logits, inputs = jit_forward(params, x, TINY)
    g = softmax(np.asarray(logits, np.float64)) - np.eye(3)[np.asarray(y)]
    np.testing.assert_allclose(np.asarray(g_hat["dense2"]), g.T @ g / n, rtol=1e-4, atol=1e-6)
    h = np.concatenate([np.asarray(inputs["dense2"], np.float64), np.ones((n, 1))], axis=1)
    np.testing.assert_allclose(np.asarray(a_hat["dense2"]), h.T @ h / n, rtol=1e-4, atol=1e-6)
    # The gradient it returns is the ordinary gradient of the mean cross-entropy.
    expected = jax.jit(jax.grad(lambda p: cross_entropy(forward(p, x, TINY)[0], y)))(params)
    for name in LAYERS:
        np.testing.assert_allclose(grads[name]["w"], expected[name]["w"], rtol=1e-4, atol=1e-6)
    assert float(loss) == pytest.approx(float(cross_entropy(logits, y)), rel=1e-5)


def test_conv_output_statistics_average_over_positions(tiny_batch, tiny_kfac_gradients):
    params, x, y = tiny_batch
    *_, extra = tiny_kfac_gradients["empirical"](params, x, y, jax.random.PRNGKey(2))
    g_hat = extra["kfac_factors"].G

    def example_loss(taps, xi, yi):
        logits, _ = forward(params, xi[None], TINY, taps=taps)
        return cross_entropy(logits, yi[None])

    taps = {"conv2": jnp.zeros((1, 2, 2, 3))}
    per_example = jax.jit(jax.vmap(lambda xi, yi: jax.grad(example_loss)(taps, xi, yi)["conv2"]))(
        x, y
    )
    g = np.asarray(per_example, np.float64).reshape(-1, 3)  # (N * positions, channels)
    np.testing.assert_allclose(np.asarray(g_hat["conv2"]), g.T @ g / len(g), rtol=1e-4, atol=1e-7)


def test_first_step_is_the_damped_natural_gradient(tiny_batch, tiny_kfac_gradients):
    params, x, y = tiny_batch
    lr, damping = 0.1, 1e-2
    hp = {"learning_rate": lr, "damping": damping, "fisher": "empirical", "kl_clip": 1e-3}
    stepper = make_stepper("kfac", TINY, hp)
    state = stepper.init(params)
    key = jax.random.PRNGKey(3)
    _, grads, extra = tiny_kfac_gradients["empirical"](params, x, y, key)
    a_hat, g_hat = extra["kfac_factors"]
    new, state, *_ = jax.jit(stepper.step)(params, state, x, y, key)
    deltas, quad = {}, 0.0
    for name in LAYERS:
        v = np.asarray(weight_matrix(grads[name]), np.float64)
        a_d, g_d = damped(
            np.asarray(a_hat[name], np.float64), np.asarray(g_hat[name], np.float64), damping
        )
        deltas[name] = np.linalg.solve(a_d, v) @ np.linalg.inv(g_d)
        quad += np.sum(deltas[name] * v)
    nu = min(1.0, np.sqrt(1e-3 / (lr**2 * quad)))
    assert nu < 1  # the KL clip is part of what this step checks
    for name in LAYERS:
        moved = np.asarray(weight_matrix(new[name]), np.float64) - np.asarray(
            weight_matrix(params[name]), np.float64
        )
        np.testing.assert_allclose(moved, -lr * nu * deltas[name], rtol=2e-3, atol=1e-6)

    def is_kfac(node):
        return isinstance(node, KFACState)

    (kfac_state,) = [s for s in jax.tree.leaves(state, is_leaf=is_kfac) if is_kfac(s)]
    assert int(kfac_state.step) == 1


def test_true_fisher_samples_labels(tiny_batch, tiny_kfac_gradients):
    params, x, y = tiny_batch
    key = jax.random.PRNGKey(4)
    true = tiny_kfac_gradients["true"](params, x, y, key)[2]["kfac_factors"]
    emp = tiny_kfac_gradients["empirical"](params, x, y, key)[2]["kfac_factors"]
    np.testing.assert_allclose(true.A["conv1"], emp.A["conv1"])  # A does not depend on labels
    assert not np.allclose(true.G["dense2"], emp.G["dense2"])
    with pytest.raises(OptvizError, match="fisher"):
        kfac_gradients(TINY, fisher="exact")


def old_kfac_update(params, grads, factor_seq, *, lr, momentum, damping, ema, every, kl, wd, clip):
    """The trainer's K-FAC as it was written by hand, in float64, over several steps.

    Per step t: A <- ρA + (1-ρ)Â with ρ = min(ema, t/(t+1)) (likewise G);
    inverses of the π-damped factors refreshed when t % every == 0;
    V <- g + wd·W, then V <- V·min(1, clip/‖V‖); Δ = A⁻¹VG⁻¹;
    ν = min(1, sqrt(kl / (lr² Σ<Δ, V>))); v <- μv - lr·ν·Δ; W <- W + v.
    Layers are (inputs + 1, outputs) matrices. Returns the weights after each step, and
    each step's gradient-clip scale and ν.
    """
    w = {n: np.array(m, np.float64) for n, m in params.items()}
    a = {n: np.eye(len(m)) for n, m in w.items()}
    g = {n: np.eye(m.shape[1]) for n, m in w.items()}
    velocity = {n: np.zeros_like(m) for n, m in w.items()}
    a_inv = g_inv = None
    history, scales, nus = [], [], []
    for t, (grad, (a_hat, g_hat)) in enumerate(zip(grads, factor_seq, strict=True)):
        rho = min(ema, t / (t + 1))
        a = {n: rho * a[n] + (1 - rho) * a_hat[n] for n in w}
        g = {n: rho * g[n] + (1 - rho) * g_hat[n] for n in w}
        if t % every == 0:
            pairs = {n: damped(a[n], g[n], damping) for n in w}
            a_inv = {n: np.linalg.inv(pairs[n][0]) for n in w}
            g_inv = {n: np.linalg.inv(pairs[n][1]) for n in w}
        v = {n: grad[n] + wd * w[n] for n in w}
        norm = np.sqrt(sum(np.sum(m**2) for m in v.values()))
        scales.append(min(1.0, clip / norm))
        v = {n: m * scales[-1] for n, m in v.items()}
        delta = {n: a_inv[n] @ v[n] @ g_inv[n] for n in w}
        quad = sum(np.sum(delta[n] * v[n]) for n in w)
        nu = min(1.0, np.sqrt(kl / (lr**2 * quad)))
        velocity = {n: momentum * velocity[n] - lr * nu * delta[n] for n in w}
        w = {n: w[n] + velocity[n] for n in w}
        history.append(w)
        nus.append(nu)
    return history, scales, nus


def test_chained_kfac_equals_the_old_update():
    """decay -> clip -> scale_by_kfac -> trace -> scale_by_learning_rate, five steps."""
    rng = np.random.default_rng(7)
    shapes = {"conv": (3, 3, 2, 4), "dense": (5, 3)}  # a conv kernel (HWIO) and a dense matrix
    params = {
        n: {"w": rng.normal(size=s) * 0.3, "b": rng.normal(size=s[-1]) * 0.1}
        for n, s in shapes.items()
    }
    matrices = {n: np.asarray(weight_matrix(p)) for n, p in params.items()}
    sizes = (0.3, 3.0, 1.0, 0.5, 2.0)  # gradient scale per step
    steps = len(sizes)
    grad_seq = [{n: rng.normal(size=m.shape) * s for n, m in matrices.items()} for s in sizes]

    def second_moment(d, n=12):
        rows = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
        return rows.T @ rows / n

    factor_seq = [
        ({n: second_moment(m.shape[0]) for n, m in matrices.items()},
         {n: second_moment(m.shape[1]) for n, m in matrices.items()})
        for _ in range(steps)
    ]  # fmt: skip
    hp = dict(lr=0.05, momentum=0.8, damping=0.05, ema=0.7, every=2, kl=0.03, wd=0.01, clip=8.0)
    expected, scales, nus = old_kfac_update(matrices, grad_seq, factor_seq, **hp)
    # The case exercises every branch: the KL clip and the gradient clip each bind on
    # some steps and not on others.
    assert min(nus) < 1 and max(nus) == 1
    assert min(scales) < 1 and max(scales) == 1

    tx = transform(
        "kfac",
        {"learning_rate": hp["lr"], "momentum": hp["momentum"], "damping": hp["damping"],
         "ema": hp["ema"], "inverse_every": hp["every"], "kl_clip": hp["kl"]},
        weight_decay=hp["wd"], clip=hp["clip"],
    )  # fmt: skip
    assert isinstance(tx, optax.GradientTransformationExtraArgs)

    def as_tree(matrix_by_layer, like):
        return {
            n: {"w": jnp.asarray(m[:-1].reshape(like[n]["w"].shape), jnp.float32),
                "b": jnp.asarray(m[-1], jnp.float32)}
            for n, m in matrix_by_layer.items()
        }  # fmt: skip

    def one_step(p, state, grad, factor_a, factor_g):
        f = KFACFactors(factor_a, factor_g)
        updates, state = tx.update(grad, state, p, kfac_factors=f)
        return optax.apply_updates(p, updates), state

    one_step = jax.jit(one_step)
    p = as_tree(matrices, params)
    state = tx.init(p)
    for t in range(steps):
        a_hat, g_hat = (
            {n: jnp.asarray(m, jnp.float32) for n, m in part.items()} for part in factor_seq[t]
        )
        p, state = one_step(p, state, as_tree(grad_seq[t], params), a_hat, g_hat)
        got = {n: np.asarray(weight_matrix(p[n]), np.float64) for n in p}
        for n in got:
            np.testing.assert_allclose(got[n], expected[t][n], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("hparams", "message"),
    [
        ({"damping": 0.0}, "damping must be positive"),
        ({"ema": 1.5}, "ema must be in"),
        ({"inverse_every": 2.5}, "inverse_every must be a whole number"),
        ({"kl_clip": -1.0}, "kl_clip must be positive"),
        ({"fisher": "exact"}, "fisher must be"),
        ({"decay": 0.9}, "kfac has no hyperparameter 'decay'"),
    ],
)
def test_bad_kfac_settings_are_one_line_errors(hparams, message):
    with pytest.raises(OptvizError, match=message):
        make_stepper("kfac", TINY, hparams)
