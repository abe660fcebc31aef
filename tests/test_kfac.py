"""Tests for optviz.optimizers.kfac against an independent numpy float64 oracle."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optviz.optimizers.kfac import KfacState, kfac


@pytest.fixture(autouse=True)
def _strict_promotion():
    with jax.numpy_dtype_promotion("strict"):
        yield


# --- sum-of-squares surfaces, written out by hand (numpy and jax versions) ---


def rosenbrock_residuals_np(p):
    x, y = p
    return np.array([1.0 - x, 10.0 * (y - x**2)])


def rosenbrock_jacobian_np(p):
    x, _ = p
    return np.array([[-1.0, 0.0], [-20.0 * x, 10.0]])


def beale_residuals_np(p):
    x, y = p
    return np.array([1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3])


def beale_jacobian_np(p):
    x, y = p
    return np.array([[y - 1.0, x], [y**2 - 1.0, 2.0 * x * y], [y**3 - 1.0, 3.0 * x * y**2]])


def rosenbrock_residuals(p):
    x, y = p[0], p[1]
    return jnp.stack([1.0 - x, 10.0 * (y - x**2)])


def beale_residuals(p):
    x, y = p[0], p[1]
    return jnp.stack([1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3])


SURFACES = {
    # name: (jax residuals, numpy residuals, numpy Jacobian, start, minimum)
    "rosenbrock": (
        rosenbrock_residuals,
        rosenbrock_residuals_np,
        rosenbrock_jacobian_np,
        (-1.5, 2.0),
        (1.0, 1.0),
    ),
    "beale": (beale_residuals, beale_residuals_np, beale_jacobian_np, (2.0, 1.7), (3.0, 0.5)),
}


def sum_of_squares(residual_fn):
    return lambda p: jnp.sum(residual_fn(p) ** 2)


# --- the oracle: the textbook recursion in numpy float64 ---


def oracle(surface, steps, lr, damping, ema, momentum, gauss_newton, adapt, decay, lo=1e-6, hi=1e4):
    _, r_np, j_np, start, _ = SURFACES[surface]
    x = np.array(start, dtype=np.float64)
    c = np.zeros((2, 2))
    v = np.zeros(2)
    lam = damping
    xs, lams = [], []
    for t in range(steps):
        r, jac = r_np(x), j_np(x)
        g = 2.0 * jac.T @ r
        if gauss_newton:
            c = 2.0 * jac.T @ jac
        elif t == 0:
            c = np.outer(g, g)
        else:
            c = ema * c + (1.0 - ema) * np.outer(g, g)
        (a, b), (cc, d) = c + lam * np.eye(2)
        inverse = np.array([[d, -b], [-cc, a]]) / (a * d - b * cc)
        v = momentum * v - inverse @ g
        step = lr * v
        if adapt:
            q = g @ step + 0.5 * step @ c @ step
            actual = np.sum(r_np(x + step) ** 2) - np.sum(r**2)
            if q < 0:
                rho = actual / q
                if rho > 0.75:
                    lam = lam * decay
                elif rho < 0.25:
                    lam = lam / decay
            elif actual > 0:
                lam = lam / decay
            lam = min(max(lam, lo), hi)
        x = x + step
        xs.append(x.copy())
        lams.append(lam)
    return np.array(xs), np.array(lams)


def run(opt, loss, x0, steps):
    """Scan `steps` updates; return the visited points and the damping after each."""

    def body(carry, _):
        p, s = carry
        u, s = opt.update(jax.grad(loss)(p), s, p)
        p = optax.apply_updates(p, u)
        return (p, s), (p, s.damping)

    (_, _), (xs, lams) = jax.lax.scan(body, (x0, opt.init(x0)), None, length=steps)
    return xs, lams


SETTINGS = [
    # lr, damping, ema, momentum, gauss_newton, adapt, decay
    pytest.param(1.0, 1.0, 0.95, 0.0, True, True, 0.95, id="gn-adapt"),
    pytest.param(0.7, 0.3, 0.95, 0.5, True, False, 0.95, id="gn-momentum-fixed"),
    pytest.param(1.0, 0.01, 0.95, 0.9, True, True, 0.8, id="gn-momentum-adapt"),
    pytest.param(0.3, 10.0, 0.9, 0.9, False, True, 0.95, id="fisher-momentum-adapt"),
    pytest.param(0.5, 2.0, 0.5, 0.0, False, False, 0.95, id="fisher-fixed"),
]


@pytest.mark.parametrize("surface", sorted(SURFACES))
@pytest.mark.parametrize(("lr", "damping", "ema", "momentum", "gn", "adapt", "decay"), SETTINGS)
def test_matches_numpy_oracle(surface, lr, damping, ema, momentum, gn, adapt, decay):
    steps = 8
    want_x, want_lam = oracle(surface, steps, lr, damping, ema, momentum, gn, adapt, decay)
    residuals = SURFACES[surface][0]
    loss = sum_of_squares(residuals)
    opt = kfac(
        lr,
        damping,
        ema,
        momentum,
        loss_fn=loss,
        residual_fn=residuals if gn else None,
        adapt_damping=adapt,
        damping_decay=decay,
    )
    with jax.enable_x64(True):
        x0 = jnp.asarray(SURFACES[surface][3], jnp.float64)
        xs, lams = jax.jit(run, static_argnums=(0, 1, 3))(opt, loss, x0, steps)
        assert xs.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(xs), want_x, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.asarray(lams), want_lam, rtol=1e-12)
    # The oracle must exercise the adaptation rule, not just a constant damping.
    assert adapt == (not np.all(want_lam == damping))


def test_float32_tracks_oracle():
    want_x, _ = oracle("rosenbrock", 3, 1.0, 1.0, 0.95, 0.0, True, True, 0.95)
    opt = kfac(loss_fn=sum_of_squares(rosenbrock_residuals), residual_fn=rosenbrock_residuals)
    x0 = jnp.array([-1.5, 2.0])
    xs, _ = run(opt, sum_of_squares(rosenbrock_residuals), x0, 3)
    assert xs.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(xs), want_x, rtol=1e-4, atol=1e-5)


def test_gauss_newton_solves_rosenbrock_with_defaults():
    loss = sum_of_squares(rosenbrock_residuals)
    opt = kfac(loss_fn=loss, residual_fn=rosenbrock_residuals)  # learning_rate=1, damping=1
    xs, _ = run(opt, loss, jnp.array([-1.5, 2.0]), 100)
    error = np.max(np.abs(np.asarray(xs) - 1.0), axis=1)
    assert error[-1] < 1e-3
    first = int(np.argmax(error < 1e-3))
    assert 3 < first <= 40  # damped: visibly more than a pure Gauss-Newton jump


def test_gauss_newton_solves_beale_with_small_damping():
    loss = sum_of_squares(beale_residuals)
    opt = kfac(1.0, 1e-2, loss_fn=loss, residual_fn=beale_residuals)
    xs, _ = run(opt, loss, jnp.array([2.0, 1.7]), 20)
    np.testing.assert_allclose(np.asarray(xs[-1]), [3.0, 0.5], atol=1e-3)


def test_jit_scan_vmap_over_hyperparameters_matches_unbatched():
    loss = sum_of_squares(beale_residuals)
    x0 = jnp.array([1.0, 1.5])
    grid = [
        (1.0, 1.0, 0.95, 0.0, 0.95),
        (0.5, 0.1, 0.9, 0.5, 0.8),
        (0.3, 10.0, 0.99, 0.9, 0.9),
    ]
    hyper = jnp.array(grid, jnp.float32)

    for residual_fn in (beale_residuals, None):

        def trajectory(h, residual_fn=residual_fn):
            opt = kfac(
                h[0],
                h[1],
                h[2],
                h[3],
                loss_fn=loss,
                residual_fn=residual_fn,
                damping_decay=h[4],
            )
            return run(opt, loss, x0, 15)

        xs, lams = jax.jit(jax.vmap(trajectory))(hyper)
        assert xs.shape == (len(grid), 15, 2)
        for i, (lr, damping, ema, momentum, decay) in enumerate(grid):
            opt = kfac(
                lr,
                damping,
                ema,
                momentum,
                loss_fn=loss,
                residual_fn=residual_fn,
                damping_decay=decay,
            )
            want_x, want_lam = run(opt, loss, x0, 15)
            np.testing.assert_allclose(xs[i], want_x, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(lams[i], want_lam, rtol=1e-5)


def test_adapt_damping_may_be_traced():
    loss = sum_of_squares(rosenbrock_residuals)
    x0 = jnp.array([-1.5, 2.0])

    def trajectory(flag):
        return run(
            kfac(loss_fn=loss, residual_fn=rosenbrock_residuals, adapt_damping=flag), loss, x0, 5
        )

    for flag in (True, False):
        want = run(
            kfac(loss_fn=loss, residual_fn=rosenbrock_residuals, adapt_damping=flag), loss, x0, 5
        )
        got = jax.jit(trajectory)(jnp.asarray(flag))
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


@pytest.mark.parametrize("gn", [True, False], ids=["gauss-newton", "fisher"])
@pytest.mark.parametrize("damping", [1.0, 0.0])
def test_zero_gradient_gives_zero_update(gn, damping):
    loss = sum_of_squares(rosenbrock_residuals)
    opt = kfac(
        0.5, damping, momentum=0.9, loss_fn=loss, residual_fn=rosenbrock_residuals if gn else None
    )
    xy = jnp.array([1.0, 1.0])
    state = opt.init(xy)
    for _ in range(3):
        update, state = jax.jit(opt.update)(jax.grad(loss)(xy), state, xy)
        assert np.all(np.asarray(update) == 0.0)
        for leaf in jax.tree.leaves(state):
            assert np.all(np.isfinite(np.asarray(leaf)))
    # q = 0 and no change in loss: damping kept, only clipped to min_damping.
    assert float(state.damping) == pytest.approx(max(damping, 1e-6))


def test_damping_shrinks_when_the_model_is_exact():
    # Linear residuals: the Gauss-Newton model is the loss itself, so rho == 1.
    def residuals(p):
        return jnp.stack([p[0] - 2.0 * p[1] + 1.0, 3.0 * p[1], p[0] + p[1]])

    loss = sum_of_squares(residuals)
    opt = kfac(0.5, 1.0, loss_fn=loss, residual_fn=residuals, damping_decay=0.5, min_damping=0.1)
    _, lams = run(opt, loss, jnp.array([3.0, -2.0]), 6)
    np.testing.assert_allclose(lams, [0.5, 0.25, 0.125, 0.1, 0.1, 0.1], rtol=1e-6)


def test_damping_grows_when_the_loss_disagrees():
    # The loss used for rho goes up whenever the gradient step brings it down.
    def residuals(p):
        return p

    opt = kfac(1.0, 1.0, loss_fn=lambda p: -jnp.sum(p**2), residual_fn=residuals, max_damping=3.0)
    _, lams = run(opt, lambda p: jnp.sum(p**2), jnp.array([1.0, -1.0]), 40)
    assert np.all(np.diff(np.asarray(lams)) >= 0)
    assert float(lams[-1]) == pytest.approx(3.0)


def test_fixed_damping_without_loss_fn():
    opt = kfac(1.0, 0.7, residual_fn=rosenbrock_residuals)
    _, lams = run(opt, sum_of_squares(rosenbrock_residuals), jnp.array([-1.5, 2.0]), 5)
    np.testing.assert_array_equal(lams, np.full(5, 0.7, np.float32))


def test_update_needs_params():
    opt = kfac()
    state = opt.init(jnp.zeros(2))
    assert isinstance(state, KfacState)
    with pytest.raises(ValueError, match="needs params"):
        opt.update(jnp.ones(2), state)


def test_rejects_params_that_are_not_a_2_vector():
    with pytest.raises(ValueError, match="length-2"):
        kfac().init(jnp.zeros(3))
