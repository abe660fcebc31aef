"""Textbook optimizer updates in numpy float64, written independently of optax.

Each oracle takes the gradient function and runs `steps` updates from `x0`,
returning every position (steps + 1, 2). Where optax follows one of several
published conventions, the docstring names the one it follows.
"""

from __future__ import annotations

import numpy as np


def rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    """Gradient of (1 - x)^2 + 100 (y - x^2)^2, by hand."""
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def _run(step, x0, grad, steps):
    x = np.asarray(x0, dtype=np.float64)
    out = [x.copy()]
    for t in range(1, steps + 1):
        x = step(x, grad(x), t)
        out.append(x.copy())
    return np.array(out)


def sgd(x0, grad, steps, learning_rate):
    return _run(lambda x, g, t: x - learning_rate * g, x0, grad, steps)


def momentum(x0, grad, steps, learning_rate, momentum, nesterov=False):
    """Heavy ball v <- mu v + g; x <- x - lr v (Nesterov: x <- x - lr (g + mu v))."""
    v = np.zeros(2)

    def step(x, g, t):
        nonlocal v
        v = momentum * v + g
        return x - learning_rate * ((g + momentum * v) if nesterov else v)

    return _run(step, x0, grad, steps)


def adagrad(x0, grad, steps, learning_rate, initial_accumulator_value, eps):
    """Duchi et al. 2011: G accumulates g^2 from an initial value; x -= lr g / sqrt(G + eps)."""
    G = np.full(2, initial_accumulator_value, dtype=np.float64)

    def step(x, g, t):
        nonlocal G
        G = G + g * g
        return x - learning_rate * g / np.sqrt(G + eps)

    return _run(step, x0, grad, steps)


def adadelta(x0, grad, steps, learning_rate, rho, eps):
    """Zeiler 2012, Algorithm 1, with the step then scaled by learning_rate.

    The running average of squared steps accumulates the unscaled step (as
    Zeiler's, whose learning rate is 1).
    """
    Eg, Ex = np.zeros(2), np.zeros(2)

    def step(x, g, t):
        nonlocal Eg, Ex
        Eg = rho * Eg + (1 - rho) * g * g
        dx = np.sqrt(Ex + eps) / np.sqrt(Eg + eps) * g
        Ex = rho * Ex + (1 - rho) * dx * dx
        return x - learning_rate * dx

    return _run(step, x0, grad, steps)


def rmsprop(x0, grad, steps, learning_rate, decay, eps):
    """Hinton's lecture 6e: s <- decay s + (1 - decay) g^2; x -= lr g / sqrt(s + eps)."""
    s = np.zeros(2)

    def step(x, g, t):
        nonlocal s
        s = decay * s + (1 - decay) * g * g
        return x - learning_rate * g / np.sqrt(s + eps)

    return _run(step, x0, grad, steps)


def adam(x0, grad, steps, learning_rate, b1, b2, eps, weight_decay=0.0, kind="adam"):
    """Kingma & Ba 2015 Algorithm 1; `kind` selects the relatives.

    adamw: decoupled weight decay, x -= lr (step + wd x) (Loshchilov & Hutter 2019).
    nadam: Dozat 2016, m_hat = b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t).
    amsgrad: Reddi et al. 2018 with bias-corrected v, v_max = max(v_max, v_hat).
    """
    m, v, vmax = np.zeros(2), np.zeros(2), np.zeros(2)

    def step(x, g, t):
        nonlocal m, v, vmax
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        if kind == "nadam":
            m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        if kind == "amsgrad":
            vmax = np.maximum(vmax, v_hat)
            v_hat = vmax
        return x - learning_rate * (m_hat / (np.sqrt(v_hat) + eps) + weight_decay * x)

    return _run(step, x0, grad, steps)


def lion(x0, grad, steps, learning_rate, b1, b2, weight_decay):
    """Chen et al. 2023, Program 1."""
    m = np.zeros(2)

    def step(x, g, t):
        nonlocal m
        c = b1 * m + (1 - b1) * g
        m = b2 * m + (1 - b2) * g
        return x - learning_rate * (np.sign(c) + weight_decay * x)

    return _run(step, x0, grad, steps)
