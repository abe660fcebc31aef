"""Benchmark the CNN trainer: speed against flax + optax, K-FAC against Adam, accuracy, CLI time.

Run: python bench/bench_train.py [speed] [cli] [accuracy]  (needs the `bench` extra: flax).

Speed: steps per second of the same network trained with Adam by optviz and by
a reference written the usual flax.linen + optax way, both run the same way,
in two modes measured in the same process:

* scanned: chunks of 10 steps in one jitted ``lax.scan`` (how ``optviz train``
  runs: one host sync per chunk); the reference scans the same chunks;
* stepped: one jitted step per Python call, for both.

Both sides gather each batch from the training set on the device inside the
jitted code, and repeats are interleaved so load changes hit everyone alike;
ratios are of medians (the fastest repeat is shown too: on a busy machine it
is the least disturbed). A K-FAC step is timed the same two ways against Adam.
Then: the wall time of `optviz train` with its defaults, and every optimizer's
final numbers on the bundled digits after 10 epochs.

Knobs (`python bench/bench_train.py knobs`): a scanned training step's cost with
each knob (depth 1/4/8, each normalisation, skip connections) against the
default network, Adam and K-FAC, interleaved repeats in the same run; and the
time of the sharpness measurement (Lanczos on 1000 training images) at each.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from optviz.trainer import train
from optviz.trainer.data import epoch_batches, load_digits
from optviz.trainer.loop import _chunk_runner
from optviz.trainer.model import config_for, init_params
from optviz.trainer.optim import make_stepper, trainable_names

STEPS, REPEATS, BATCH, CHUNK = 200, 9, 32, 10


def flax_reference(cfg):
    """The same network written the usual flax.linen way; Adam from optax.

    Returns ``(init, step)`` in the trainer's shape: ``step(params, state, x, y, key)``.
    """
    import flax.linen as nn

    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            for c in cfg.channels:
                x = nn.Conv(c, (cfg.kernel, cfg.kernel), padding="SAME")(x)
                x = nn.max_pool(nn.relu(x), (2, 2), strides=(2, 2))
            x = x.reshape(x.shape[0], -1)
            x = nn.relu(nn.Dense(cfg.hidden)(x))
            return nn.Dense(cfg.n_classes)(x)

    model = CNN()
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, *cfg.image_shape, cfg.in_channels)))
    tx = optax.adam(3e-3)

    def step(params, state, x, y, key):
        del key

        def loss_fn(p):
            logits = model.apply(p, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    return params, tx.init(params), step


def scanned_reference(step):
    """The reference's chunk runner: one jitted scan over a chunk of batch indices."""

    @jax.jit
    def run(params, state, x_all, y_all, idx):
        def body(carry, i):
            params, state, loss = step(*carry, x_all[i], y_all[i], None)
            return (params, state), loss

        (params, state), loss = lax.scan(body, (params, state), idx)
        return params, state, loss

    return run


def stepped(step, key):
    """One jitted step per Python call; the batch is gathered and the key folded inside."""

    @jax.jit
    def one(params, state, x_all, y_all, i, t):
        params, state, *_ = step(params, state, x_all[i], y_all[i], jax.random.fold_in(key, t))
        return params, state

    return one


def contenders(data, cfg):
    """name -> (run(params, state, idx) -> (params, state), params, state), per mode."""
    x_all, y_all = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    drop_key, aug_key = jax.random.PRNGKey(1), jax.random.PRNGKey(2)
    active = np.ones(CHUNK, bool)
    ref_params, ref_state, ref_step = flax_reference(cfg)
    out = {}

    ref_scan = scanned_reference(ref_step)

    def run_ref_scan(params, state, idx):
        for start in range(0, len(idx), CHUNK):
            params, state, _ = ref_scan(params, state, x_all, y_all, idx[start : start + CHUNK])
        return params, state

    ref_one = stepped(ref_step, drop_key)

    def run_ref_stepped(params, state, idx):
        for t, i in enumerate(idx):
            params, state = ref_one(params, state, x_all, y_all, i, t)
        return params, state

    out["scanned", "flax+optax adam"] = (run_ref_scan, ref_params, ref_state)
    out["stepped", "flax+optax adam"] = (run_ref_stepped, ref_params, ref_state)
    params0 = init_params(jax.random.PRNGKey(0), cfg)
    for name in ("adam", "kfac"):
        stepper = make_stepper(name, cfg)
        runner = _chunk_runner(stepper, False)
        one = stepped(stepper.step, drop_key)

        def run_scan(params, state, idx, runner=runner):
            for start in range(0, len(idx), CHUNK):
                t = np.arange(start, start + CHUNK, dtype=np.int32)
                params, state, *_ = runner(
                    params, state, x_all, y_all, idx[start : start + CHUNK], t, active,
                    drop_key, aug_key,
                )  # fmt: skip
            return params, state

        def run_stepped(params, state, idx, one=one):
            for t, i in enumerate(idx):
                params, state = one(params, state, x_all, y_all, i, t)
            return params, state

        out["scanned", f"optviz {name}"] = (run_scan, params0, stepper.init(params0))
        out["stepped", f"optviz {name}"] = (run_stepped, params0, stepper.init(params0))
    return out


def speed_table() -> None:
    data = load_digits()
    cfg = config_for(data.image_shape)
    rng = np.random.default_rng(0)
    idx = np.concatenate([epoch_batches(len(data.x_train), BATCH, rng) for _ in range(5)])[:STEPS]
    runs = contenders(data, cfg)
    for key, (run, params, state) in runs.items():  # compile and warm up
        params, state = run(params, state, idx[: 2 * CHUNK])
        jax.block_until_ready(params)
        runs[key] = (run, params, state)
    times: dict[tuple, list[float]] = {key: [] for key in runs}
    for repeat in range(REPEATS):  # interleaved, in alternating order
        for key in list(runs) if repeat % 2 == 0 else list(runs)[::-1]:
            run, params, state = runs[key]
            tic = time.perf_counter()
            params, state = run(params, state, idx)
            jax.block_until_ready(params)
            times[key].append(time.perf_counter() - tic)
            runs[key] = (run, params, state)
    rate = {key: STEPS / statistics.median(v) for key, v in times.items()}
    best = {key: 1e3 * min(v) / STEPS for key, v in times.items()}
    load = os.getloadavg()[0]
    print(
        f"\n## Training steps per second (batch {BATCH}, median of {REPEATS} x {STEPS} steps; "
        f"scanned: chunks of {CHUNK} steps in one jitted lax.scan, both sides; "
        f"stepped: one jitted call per step, both sides; load {load:.1f} at the end)\n"
    )
    print(
        "| mode | implementation | steps/s | ms/step | best ms/step | vs flax+optax "
        "| step cost vs optviz adam |"
    )
    print("|---|---|---|---|---|---|---|")
    for (mode, name), r in rate.items():
        ref, ours = rate[mode, "flax+optax adam"], rate[mode, "optviz adam"]
        print(
            f"| {mode} | {name} | {r:.0f} | {1e3 / r:.2f} | {best[mode, name]:.2f} "
            f"| {r / ref:.2f}x | {ours / r:.2f}x |"
        )


def cli_wall_time() -> None:
    from typer.testing import CliRunner

    from optviz.cli import app

    with tempfile.TemporaryDirectory() as out:
        tic = time.perf_counter()
        result = CliRunner().invoke(app, ["train", "--out", out, "--quiet"])
        wall = time.perf_counter() - tic
    assert result.exit_code == 0, result.output
    print(f"\n## `optviz train` defaults (digits, the registry's line-up, 10 epochs): {wall:.1f} s")


def accuracy_table() -> None:
    result = train(trainable_names(), epochs=10)
    print("\n## Bundled digits, 10 epochs, batch 32, default hyperparameters\n")
    print("| optimizer | train loss | train acc | test loss | test acc |")
    print("|---|---|---|---|---|")
    for r in result.summary():
        print(
            f"| {r['optimizer']} | {r['train_loss']:.4f} | {r['train_acc']:.2%} "
            f"| {r['test_loss']:.4f} | {r['test_acc']:.2%} |"
        )


KNOBS = {
    "default (depth 2)": {},
    "depth 1": {"depth": 1},
    "depth 4": {"depth": 4},
    "depth 8": {"depth": 8},
    "norm batch": {"norm": "batch"},
    "norm layer": {"norm": "layer"},
    "norm weight": {"norm": "weight"},
    "skip": {"skip": True},
    "depth 8, batch, skip": {"depth": 8, "norm": "batch", "skip": True},
}


def knobs_table(steps: int = 100, repeats: int = 5) -> None:
    from optviz.trainer.model import init_state
    from optviz.trainer.sharpness import SUBSET, sharpness

    data = load_digits()
    x_all, y_all = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    rng = np.random.default_rng(0)
    idx = np.concatenate([epoch_batches(len(data.x_train), BATCH, rng) for _ in range(3)])[:steps]
    keys = (jax.random.PRNGKey(1), jax.random.PRNGKey(2))
    active = np.ones(CHUNK, bool)
    runs = {}
    for label, knobs in KNOBS.items():
        cfg = config_for(data.image_shape, **knobs)
        params = init_params(jax.random.PRNGKey(0), cfg)
        for name in ("adam", "kfac"):
            stepper = make_stepper(name, cfg)
            runs[label, name] = [_chunk_runner(stepper, False), params, stepper.init(params)]
    times: dict[tuple, list[float]] = {key: [] for key in runs}

    def go(key):
        runner, params, state = runs[key]
        for start in range(0, steps, CHUNK):
            t = np.arange(start, start + CHUNK, dtype=np.int32)
            params, state, *_ = runner(
                params, state, x_all, y_all, idx[start : start + CHUNK], t, active, *keys
            )
        jax.block_until_ready(params)
        runs[key][1:] = [params, state]

    for key in runs:  # compile and warm up
        go(key)
    for repeat in range(repeats):
        for key in list(runs) if repeat % 2 == 0 else list(runs)[::-1]:
            tic = time.perf_counter()
            go(key)
            times[key].append(time.perf_counter() - tic)
    ms = {key: 1e3 * statistics.median(v) / steps for key, v in times.items()}
    x, y = data.x_train[:SUBSET], data.y_train[:SUBSET]
    sharp = {}
    for label, knobs in KNOBS.items():  # trained weights (Adam's), second call timed
        cfg = config_for(data.image_shape, **knobs)
        _, params, state = runs[label, "adam"]
        sharpness(params, cfg, x, y, state=state.model or init_state(cfg))
        tic = time.perf_counter()
        found = sharpness(params, cfg, x, y, state=state.model or init_state(cfg))
        sharp[label] = (time.perf_counter() - tic, found)
    base = "default (depth 2)"
    print(
        f"\n## Knobs: ms per scanned training step (batch {BATCH}, median of {repeats} x "
        f"{steps} steps, chunks of {CHUNK}; load {os.getloadavg()[0]:.1f})\n"
    )
    print("| network | adam ms/step | vs default | kfac ms/step | vs default "
          "| sharpness s (products) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for label in KNOBS:
        a, k = ms[label, "adam"], ms[label, "kfac"]
        seconds, found = sharp[label]
        print(
            f"| {label} | {a:.2f} | {a / ms[base, 'adam']:.2f}x | {k:.2f} "
            f"| {k / ms[base, 'kfac']:.2f}x | {seconds:.2f} ({found.iterations}) |"
        )


SECTIONS = {
    "speed": speed_table,
    "cli": cli_wall_time,
    "accuracy": accuracy_table,
    "knobs": knobs_table,
}

if __name__ == "__main__":
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"jax {jax.__version__}, devices {jax.devices()}, load {load:.1f} on {cores} cores")
    for section in sys.argv[1:] or SECTIONS:  # e.g. `python bench/bench_train.py speed`
        SECTIONS[section]()
