"""Work spread over several JAX devices gives the numbers of one device, bit for bit.

One subprocess with four forced host devices computes every kind of atlas and a
landscape grid; this process (one CPU device) computes the same and compares. One
subprocess for both: starting JAX and compiling costs more than the maps themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np

import optviz
from optviz.maps.axes import DIVERGED, NOT_CONVERGED

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import sys, jax, numpy as np
    assert jax.device_count() == 4, jax.devices()
    from tests.test_devices import small_atlases, small_grid
    np.savez(sys.argv[1], grid=small_grid(), **small_atlases())
    """
)


def small_atlases() -> dict[str, np.ndarray]:
    """Every kind of map, small: basins, a hyperparameter map (per-pixel settings, the
    vmapped path) and a trainability map; 9 x 9 pixels do not divide among 4 devices,
    so the padding is exercised too."""
    a = optviz.atlas("sgd", "himmelblau", grid=9, steps=30, lr=0.025)  # every outcome
    h = optviz.atlas("momentum", "bowl", grid=5, steps=30,
                     map={"lr": (0.01, 0.3), "momentum": (0.0, 0.9)})  # fmt: skip
    t = optviz.atlas(trainability=True, grid=5, steps=30)
    return {**a.arrays(), **{"h/" + k: v for k, v in h.arrays().items()},
            **{"t/" + k: v for k, v in t.arrays().items()}}  # fmt: skip


def small_grid() -> np.ndarray:
    """A 5 x 5 landscape grid on a random plane through He-initialised weights, over
    400 digits: one block of grid points spread over the devices."""
    from jax.flatten_util import ravel_pytree

    from optviz.trainer.data import load_digits
    from optviz.trainer.model import config_for, init_params
    from optviz.weightspace.grid import LossEvaluator, loss_grid
    from optviz.weightspace.planes import Plane

    data = load_digits().take(400, 10)
    cfg = config_for(data.image_shape)
    w = np.asarray(ravel_pytree(init_params(jax.random.PRNGKey(0), cfg))[0], np.float64)
    plane = Plane("random", w, np.random.default_rng(0).normal(size=(2, w.size)) * 0.05)
    axis = np.linspace(-1.0, 1.0, 5)
    return np.asarray(loss_grid(LossEvaluator(cfg, data.x_train, data.y_train), plane, axis, axis))


def test_four_devices_give_the_numbers_of_one(tmp_path):
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}  # fmt: skip
    out = tmp_path / "four.npz"
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert jax.device_count() == 1
    one = {"grid": small_grid(), **small_atlases()}
    with np.load(out) as four:
        assert set(four.files) == set(one)
        sgd = one["sgd/outcome"]
        assert (sgd == DIVERGED).any() and (sgd >= 0).any() and (sgd == NOT_CONVERGED).any()
        assert (one["h/momentum/outcome"] >= 0).any()
        assert np.isfinite(one["grid"]).all() and one["grid"].shape == (5, 5)
        for key, value in one.items():
            np.testing.assert_array_equal(four[key], value, err_msg=key)
