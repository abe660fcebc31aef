"""A K-FAC-style optimizer for two parameters: one damped 2x2 curvature block.

What this is: K-FAC's machinery (Martens & Grosse 2015) applied to a loss of
two parameters ``xy``. On two parameters the Kronecker factorisation is
trivial (one "layer" whose input factor A is the scalar 1), so the curvature
block is the full 2x2 matrix C, and the method reduces to

* curvature C: the Gauss-Newton matrix ``2 J^T J`` of a residual function
  (loss ``= sum(r(xy)**2)``), or else an exponential moving average of the
  empirical Fisher ``g g^T``;
* Tikhonov damping ``lambda I`` added to C, adapted by the Levenberg-Marquardt
  rule of Martens & Grosse sec. 6.5 (the reduction ratio rho);
* heavy-ball momentum on the preconditioned direction.

What this is not: it is not the Kronecker-factored approximation of a real
network (that lives in the trainer); it has no factored (pi-weighted) damping,
no separate gamma/lambda pair, and no K-FAC quadratic-model rescaling of the
learning rate and momentum (sec. 7): both are the fixed hyperparameters given
here. The empirical Fisher ``g g^T`` is not the true Fisher; on a surface that
is not a likelihood it is only a gradient second-moment matrix.

The step, exactly (C is the curvature block, lambda the damping in the state):

    d      = -(C + lambda I)^{-1} g        (explicit 2x2 inverse)
    v      = momentum * v + d              (v starts at zero)
    update = learning_rate * v

Curvature, exactly:

* with ``residual_fn``: ``C = 2 J^T J``, ``J = jax.jacfwd(residual_fn)(xy)``,
  recomputed every step with no averaging (``ema`` is ignored). ``g`` is the
  gradient passed in, which should be that of ``sum(residual_fn(xy)**2)``.
* without: ``C_1 = g_1 g_1^T``, then ``C_t = ema C_{t-1} + (1 - ema) g_t g_t^T``
  (the average starts from the first outer product, so no bias correction is
  needed and any ema in [0, 1] is finite).

Damping adaptation, exactly (only if ``loss_fn`` is given and
``adapt_damping``): with ``delta = update``, the predicted change
``q = g.delta + 0.5 delta^T C delta`` (undamped C) and the actual change
``a = loss_fn(xy + delta) - loss_fn(xy)``, ``rho = a / q``. If ``q < 0`` (the
model predicts a decrease): ``rho > 3/4`` gives ``lambda *= damping_decay``
and ``rho < 1/4`` gives ``lambda /= damping_decay``. If ``q >= 0`` (a zero
step, or momentum carrying the step against the gradient) rho is undefined:
lambda grows (as for rho < 1/4) if the loss went up and is kept otherwise. A
non-finite new loss always makes lambda grow. lambda is then clipped to
``[min_damping, max_damping]`` and used from the next step on. This costs two
loss evaluations per step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

ScalarLike = Any  # a Python float or a (possibly traced) jax scalar


class KfacState(NamedTuple):
    """State of :func:`kfac`."""

    curvature: jax.Array  # (2, 2) the curvature block C used by the last step
    count: jax.Array  # int32, steps taken so far
    damping: jax.Array  # scalar, lambda for the next step
    velocity: jax.Array  # (2,) momentum buffer v


def _as_xy(x: jax.Array, what: str) -> jax.Array:
    x = jnp.asarray(x)
    if x.shape != (2,):
        raise ValueError(f"kfac works on a flat length-2 array xy; got {what} of shape {x.shape}")
    return x


def _solve_damped(c: jax.Array, damping: jax.Array, g: jax.Array) -> jax.Array:
    """Return (C + damping I)^{-1} g by the explicit 2x2 inverse.

    C is symmetric positive semi-definite, so with damping > 0 the determinant
    is positive. A singular system (only possible with damping = 0) gives a
    zero direction rather than inf/NaN.
    """
    a = c[0, 0] + damping
    b = c[0, 1]
    cc = c[1, 0]
    d = c[1, 1] + damping
    det = a * d - b * cc
    ok = det != 0
    safe_det = jnp.where(ok, det, jnp.ones_like(det))
    out = jnp.stack([d * g[0] - b * g[1], a * g[1] - cc * g[0]]) / safe_det
    return jnp.where(ok, out, jnp.zeros_like(out))


def kfac(
    learning_rate: ScalarLike = 1.0,
    damping: ScalarLike = 1.0,
    ema: ScalarLike = 0.95,
    momentum: ScalarLike = 0.0,
    *,
    loss_fn: Callable[[jax.Array], jax.Array] | None = None,
    residual_fn: Callable[[jax.Array], jax.Array] | None = None,
    adapt_damping: bool = True,
    damping_decay: ScalarLike = 0.95,
    min_damping: ScalarLike = 1e-6,
    max_damping: ScalarLike = 1e4,
) -> optax.GradientTransformationExtraArgs:
    """K-FAC-style damped natural-gradient / Gauss-Newton steps on two parameters.

    See the module docstring for the exact formulas and for what this method
    is and is not. Every numeric hyperparameter may be a traced jax scalar
    (the factory can be jit-compiled and vmapped over hyperparameter grids);
    ``loss_fn`` and ``residual_fn`` are static Python callables.

    Args:
      learning_rate: scale of the update, ``update = learning_rate * v``.
      damping: initial Tikhonov damping lambda (keep it > 0).
      ema: weight of the old empirical-Fisher average (ignored with
        ``residual_fn``).
      momentum: heavy-ball coefficient on the preconditioned direction.
      loss_fn: ``xy -> scalar`` loss; needed for damping adaptation.
      residual_fn: ``xy -> (m,)`` residuals with loss ``sum(r**2)``; if given,
        the curvature is the Gauss-Newton matrix ``2 J^T J``.
      adapt_damping: adapt lambda by the Levenberg-Marquardt rule (only if
        ``loss_fn`` is given). May also be a traced boolean.
      damping_decay: factor (< 1) by which lambda shrinks or grows.
      min_damping: lower clip for lambda.
      max_damping: upper clip for lambda.

    Returns:
      An optax transformation whose ``update`` requires ``params``.
    """
    adapting = loss_fn is not None and adapt_damping is not False

    def init_fn(params: jax.Array) -> KfacState:
        xy = _as_xy(params, "params")
        return KfacState(
            curvature=jnp.zeros((2, 2), xy.dtype),
            count=jnp.zeros((), jnp.int32),
            damping=jnp.asarray(damping, xy.dtype),
            velocity=jnp.zeros_like(xy),
        )

    def update_fn(
        updates: jax.Array, state: KfacState, params: jax.Array | None = None, **extra_args: Any
    ) -> tuple[jax.Array, KfacState]:
        del extra_args
        if params is None:
            raise ValueError("kfac needs params: call update(grads, state, params)")
        xy = _as_xy(params, "params")
        g = _as_xy(updates, "updates")
        dtype = g.dtype

        def cast(x: ScalarLike) -> jax.Array:
            return jnp.asarray(x, dtype)

        if residual_fn is not None:
            jac = jax.jacfwd(residual_fn)(xy).reshape(-1, 2).astype(dtype)
            curvature = 2 * jac.T @ jac
        else:
            outer = jnp.outer(g, g)
            averaged = cast(ema) * state.curvature + (1 - cast(ema)) * outer
            curvature = jnp.where(state.count == 0, outer, averaged)

        lam = state.damping
        direction = -_solve_damped(curvature, lam, g)
        velocity = cast(momentum) * state.velocity + direction
        step = cast(learning_rate) * velocity

        if adapting:
            predicted = g @ step + 0.5 * step @ curvature @ step
            actual = (loss_fn(xy + step.astype(xy.dtype)) - loss_fn(xy)).astype(dtype)
            decreasing = predicted < 0
            rho = actual / jnp.where(decreasing, predicted, jnp.ones_like(predicted))
            decay = cast(damping_decay)
            shrink = decreasing & (rho > 0.75)
            uphill = ~decreasing & (actual > 0)
            grow = (decreasing & (rho < 0.25)) | uphill | ~jnp.isfinite(actual)
            adapted = jnp.where(shrink, lam * decay, jnp.where(grow, lam / decay, lam))
            adapted = jnp.clip(adapted, cast(min_damping), cast(max_damping))
            lam = jnp.where(jnp.asarray(adapt_damping), adapted, lam)

        count = jnp.where(state.count < jnp.iinfo(jnp.int32).max, state.count + 1, state.count)
        new_state = KfacState(curvature=curvature, count=count, damping=lam, velocity=velocity)
        return step, new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
