"""Benchmark the CNN trainer: accuracy table, speed against flax + optax, CLI wall time.

Run: python bench/bench_train.py  (needs the `bench` extra: flax).
Prints three tables: every optimizer's final numbers on the bundled digits
after 10 epochs; steps per second of our Adam step and K-FAC step against a
reference flax.linen + optax training step for the same network (medians of
repeats, measured in this run); and the wall time of `optviz train` defaults.
"""

from __future__ import annotations

import statistics
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optviz.trainer import train
from optviz.trainer.data import epoch_batches, load_digits
from optviz.trainer.loop import _chunk_runner
from optviz.trainer.model import config_for, init_params
from optviz.trainer.optim import make_stepper

ALL = ["sgd", "momentum", "nag", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam",
       "amsgrad", "lion", "kfac"]  # fmt: skip
STEPS, REPEATS, BATCH = 200, 5, 32


def accuracy_table() -> None:
    result = train(ALL, epochs=10)
    print("\n## Bundled digits, 10 epochs, batch 32, default hyperparameters\n")
    print("| optimizer | train loss | train acc | test loss | test acc |")
    print("|---|---|---|---|---|")
    for r in result.summary():
        print(
            f"| {r['optimizer']} | {r['train_loss']:.4f} | {r['train_acc']:.2%} "
            f"| {r['test_loss']:.4f} | {r['test_acc']:.2%} |"
        )


def flax_reference(data, cfg):
    """The same network written the usual flax.linen way, trained with optax.adam."""
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
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, *cfg.image_shape, 1)))
    tx = optax.adam(3e-3)
    state = tx.init(params)

    @jax.jit
    def step(params, state, x, y):
        def loss_fn(p):
            logits = model.apply(p, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    x_all, y_all = jnp.asarray(data.x_train), jnp.asarray(data.y_train)

    def run(params, state, idx):
        for i in range(len(idx)):
            params, state, _ = step(params, state, x_all[idx[i]], y_all[idx[i]])
        jax.block_until_ready(params)
        return params, state

    return run, params, state


def ours(name, data, cfg, chunk=10):
    stepper = make_stepper(name, cfg)
    runner = _chunk_runner(stepper, jax.random.PRNGKey(1), jax.random.PRNGKey(2), False)
    params = init_params(jax.random.PRNGKey(0), cfg)
    x_all, y_all = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    active = np.ones(chunk, bool)

    def run(params, state, idx):
        for k, start in enumerate(range(0, len(idx), chunk)):
            t = np.arange(start, start + chunk, dtype=np.int32) + run.t0
            params, state, *_ = runner(
                params, state, x_all, y_all, idx[start : start + chunk], t, active
            )
            del k
        run.t0 += len(idx)
        jax.block_until_ready(params)
        return params, state

    run.t0 = 0
    return run, params, stepper.init(params)


def speed_table() -> None:
    data = load_digits()
    cfg = config_for(data.image_shape)
    rng = np.random.default_rng(0)
    idx = np.concatenate([epoch_batches(len(data.x_train), BATCH, rng) for _ in range(5)])[:STEPS]
    contenders = {
        "flax+optax adam": flax_reference(data, cfg),
        "optviz adam": ours("adam", data, cfg),
        "optviz kfac": ours("kfac", data, cfg),
    }
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for name, (run, params, state) in contenders.items():  # compile + warm up
        contenders[name] = (run, *run(params, state, idx[:20]))
    for _ in range(REPEATS):  # interleaved, so load changes hit everyone alike
        for name, (run, params, state) in contenders.items():
            tic = time.perf_counter()
            params, state = run(params, state, idx)
            times[name].append(time.perf_counter() - tic)
            contenders[name] = (run, params, state)
    rate = {k: STEPS / statistics.median(v) for k, v in times.items()}
    ref = rate["flax+optax adam"]
    print(f"\n## Training steps per second (batch {BATCH}, median of {REPEATS} x {STEPS} steps)\n")
    print("| implementation | steps/s | vs flax+optax | step cost vs optviz adam |")
    print("|---|---|---|---|")
    for k, r in rate.items():
        print(f"| {k} | {r:.0f} | {r / ref:.2f}x | {rate['optviz adam'] / r:.2f}x |")


def cli_wall_time() -> None:
    import typer
    from typer.testing import CliRunner

    from optviz.cli.train_cmds import train as train_command

    app = typer.Typer()
    app.command()(train_command)
    app.command()(lambda: None)
    with tempfile.TemporaryDirectory() as out:
        tic = time.perf_counter()
        result = CliRunner().invoke(app, ["train", "--out", out, "--quiet"])
        wall = time.perf_counter() - tic
    assert result.exit_code == 0, result.output
    print(
        f"\n## `optviz train` defaults (digits; sgd,momentum,adam,kfac; 10 epochs): {wall:.1f} s\n"
    )


if __name__ == "__main__":
    print(f"jax {jax.__version__}, devices {jax.devices()}")
    speed_table()
    cli_wall_time()
    accuracy_table()
