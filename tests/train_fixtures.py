"""Shared trainer fixtures: small data, a tiny model, and short runs that several tests read.

Loaded from tests/conftest.py (``pytest_plugins``). Everything here is
session-scoped. The trainer reuses a compiled program for the same optimizer
setup and shapes, so the tests train with as few setups as they can (batch
16 on `small_digits`, default learning rates): most runs share one compile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

from optviz.trainer import TrainResult, train
from optviz.trainer.data import Dataset, load_digits
from optviz.trainer.kfac import FISHERS, kfac_gradients
from optviz.trainer.model import ModelConfig, init_params

# A network small enough for dense algebra in numpy: 4x4 images, 2 and 3 channels.
TINY = ModelConfig(image_shape=(4, 4), channels=(2, 3), hidden=5, n_classes=3)
BATCH = 16  # the batch size of the shared runs


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_digits()


@pytest.fixture(scope="session")
def small_digits(digits) -> Dataset:
    """400 training and 200 test images: enough to learn, quick to evaluate."""
    return digits.take(400, 200)


@pytest.fixture(scope="session")
def tiny_batch():
    """TINY's parameters (He-scaled normals, drawn in numpy), 6 images and their labels."""
    rng = np.random.default_rng(0)
    k, (c1, c2) = TINY.kernel, TINY.channels
    shapes = {
        "conv1": (k, k, TINY.in_channels, c1),
        "conv2": (k, k, c1, c2),
        "dense1": (TINY.flat_features, TINY.hidden),
        "dense2": (TINY.hidden, TINY.n_classes),
    }
    params = {}
    for name, shape in shapes.items():
        fan_in = int(np.prod(shape[:-1]))
        w = rng.normal(size=shape) * np.sqrt(2.0 / fan_in)
        b = rng.normal(size=shape[-1]) * 0.1
        params[name] = {"w": jnp.asarray(w, jnp.float32), "b": jnp.asarray(b, jnp.float32)}
    x = jnp.asarray(rng.uniform(size=(6, 4, 4, 1)), jnp.float32)
    y = jnp.array([0, 1, 2, 0, 1, 2])
    return params, x, y


@pytest.fixture(scope="session")
def tiny_kfac_gradients():
    """K-FAC's gradient function on TINY, jit-compiled once per Fisher kind."""
    return {fisher: jax.jit(kfac_gradients(TINY, fisher)) for fisher in FISHERS}


@dataclass
class Run:
    result: TrainResult
    out: Path
    records: list[dict]


@pytest.fixture(scope="session")
def short_run(small_digits, tmp_path_factory) -> Run:
    """SGD and Adam, 3 epochs on `small_digits`, with its files and every callback record
    (and both ends of the Hessian: ``nonconvexity=True``)."""
    out = tmp_path_factory.mktemp("short_run")
    records: list[dict] = []
    result = train(
        ["sgd", "adam"],
        dataset=small_digits,
        epochs=3,
        batch_size=BATCH,
        nonconvexity=True,
        out=out,
        callback=records.append,
    )
    return Run(result, out, records)


@pytest.fixture(scope="session")
def cli_run(small_digits, tmp_path_factory):
    """`optviz train --optimizers sgd,adam --epochs 1` on `small_digits`: (output, folder)."""
    from optviz.cli import app

    out = tmp_path_factory.mktemp("cli_run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("optviz.trainer.data.load", lambda *args, **kwargs: small_digits)
        args = ["train", "--optimizers", "sgd,adam", "--epochs", "1"]
        result = CliRunner().invoke(app, [*args, "--batch-size", str(BATCH), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output, out


def random_norm_params(cfg: ModelConfig, seed: int = 0) -> dict:
    """`cfg`'s initial weights with its normalisation parameters drawn from U(0.5, 1.5)
    (not the identity they start at, so the tests see them act)."""
    params = init_params(jax.random.PRNGKey(seed), cfg)
    rng = np.random.default_rng(seed)
    for name in cfg.norm_layers:
        params[name] = {k: jnp.asarray(rng.uniform(0.5, 1.5, v.shape), jnp.float32)
                        for k, v in params[name].items()}  # fmt: skip
    return params
