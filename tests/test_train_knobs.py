"""The trainer's knobs (depth, normalisation, skip connections) against numpy float64."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optviz.errors import OptvizError
from optviz.trainer import loop, train
from optviz.trainer.layers import _load_checked
from optviz.trainer.model import (
    apply,
    config_for,
    cross_entropy,
    feature_maps,
    forward,
    init_params,
    init_state,
)
from optviz.trainer.norms import BN_MOMENTUM, EPS
from optviz.trainer.optim import make_stepper
from optviz.trainer.result import load_model, save_params
from tests.test_train_cli import fails
from tests.test_train_model import conv_loop, pool_loop
from tests.train_fixtures import TINY, random_norm_params

SKIP = TINY.replace(channels=(2, 2), skip=True)  # block 1: 1 -> 2 channels, block 2: 2 -> 2


@functools.partial(jax.jit, static_argnums=2, static_argnames="train")
def run_maps(params, x, cfg, state=None, train=False):
    """Logits, the lecture's maps of every block, and the new model state: one compile each."""
    maps = {}
    logits, _, new = apply(params, x, cfg, state=state, train=train, maps=maps)
    return logits, maps, new


def f64(a):
    return np.asarray(a, np.float64)


def relu(a):
    return np.maximum(a, 0.0)


def test_default_is_the_lecture_network(tiny_batch):
    for shape in [(4, 4), (5, 7), (8, 8), (28, 28)]:
        cfg = config_for(shape)
        assert [(b.name, b.pool, b.projection) for b in cfg.blocks] == [
            ("conv1", True, None),
            ("conv2", True, None),
        ]
        assert cfg.flat_features == (shape[0] // 4) * (shape[1] // 4) * cfg.channels[1]
    # conv -> relu -> pool, twice, then the dense head: by numpy loops.
    params, x, _ = tiny_batch
    p = jax.tree.map(f64, params)
    h = f64(x)
    for name in ("conv1", "conv2"):
        h = pool_loop(relu(conv_loop(h, p[name]["w"], p[name]["b"])))
    h = relu(h.reshape(len(h), -1) @ p["dense1"]["w"] + p["dense1"]["b"])
    expected = h @ p["dense2"]["w"] + p["dense2"]["b"]
    logits, _ = jax.jit(forward, static_argnums=2)(params, x, TINY)
    np.testing.assert_allclose(f64(logits), expected, rtol=1e-4, atol=1e-5)


def test_deep_networks_spread_the_pools_over_stages():
    cfg = config_for((8, 8), depth=8, skip=True)
    blocks = cfg.blocks
    assert [b.side for b in blocks] == [(8, 8)] * 3 + [(4, 4)] * 3 + [(2, 2)] * 2
    assert [b.pool for b in blocks] == [False, False, True, False, False, True, False, True]
    assert [b.channels for b in blocks] == [16] * 3 + [32] * 5
    assert [b.projection for b in blocks] == ["skip1", None, None, "skip4"] + [None] * 4
    assert cfg.flat_features == 32
    shapes = jax.eval_shape(lambda: init_params(jax.random.PRNGKey(0), cfg))
    assert shapes["skip4"]["w"].shape == (1, 1, 16, 32)
    assert shapes["dense1"]["w"].shape == (32, 64)
    assert [b.pool for b in config_for((8, 8), depth=1).blocks] == [True]


def test_batch_norm_trains_on_the_batch_and_evaluates_on_running_statistics(tiny_batch):
    _, x, _ = tiny_batch
    cfg = TINY.replace(norm="batch")
    params = random_norm_params(cfg)
    rng = np.random.default_rng(1)
    state = {n: {"mean": jnp.asarray(rng.normal(size=2 + i), jnp.float32),
                 "var": jnp.asarray(rng.uniform(0.5, 2, 2 + i), jnp.float32)}
             for i, n in enumerate(cfg.norm_layers)}  # fmt: skip
    for train_mode in (True, False):
        _, maps, new = run_maps(params, x, cfg, state, train=train_mode)
        s = f64(maps["conv1"])  # the convolution, before the norm
        mean, var = (s.mean((0, 1, 2)), s.var((0, 1, 2))) if train_mode else (
            f64(state["norm1"]["mean"]), f64(state["norm1"]["var"]))  # fmt: skip
        n1 = jax.tree.map(f64, params["norm1"])
        expected = relu(n1["scale"] * (s - mean) / np.sqrt(var + EPS) + n1["shift"])
        np.testing.assert_allclose(f64(maps["act1"]), expected, rtol=1e-4, atol=1e-5)
        old = f64(state["norm1"]["mean"])
        want = BN_MOMENTUM * old + (1 - BN_MOMENTUM) * mean if train_mode else old
        np.testing.assert_allclose(f64(new["norm1"]["mean"]), want, rtol=1e-5, atol=1e-6)


def test_batch_norm_statistics_thread_through_the_scanned_loop():
    """Running statistics are carried by the jitted scan of training steps, not padding."""
    cfg = TINY.replace(norm="batch")
    stepper = make_stepper("sgd", cfg)
    params = init_params(jax.random.PRNGKey(0), cfg)
    rng = np.random.default_rng(0)
    x_all = rng.uniform(size=(32, 4, 4, 1)).astype(np.float32)
    y_all = rng.integers(0, 3, 32).astype(np.int32)
    idx, t = np.arange(24).reshape(3, 8), np.arange(3, dtype=np.int32)
    keys = (jax.random.PRNGKey(1), jax.random.PRNGKey(2))
    run = loop._chunk_runner(stepper, False)
    state0 = stepper.init(params)
    after = [run(params, state0, x_all, y_all, idx, t, np.arange(3) < k, *keys) for k in (1, 2)]
    expected = np.zeros(2)
    for k, p in enumerate([params, after[0][0]]):  # the weights each step saw
        s = conv_loop(f64(x_all[idx[k]]), f64(p["conv1"]["w"]), f64(p["conv1"]["b"]))
        expected = BN_MOMENTUM * expected + (1 - BN_MOMENTUM) * s.mean((0, 1, 2))
    got_params, got_state = after[1][:2]
    np.testing.assert_allclose(f64(got_state.model["norm1"]["mean"]), expected, rtol=1e-4)
    # Evaluation uses the running statistics, not the evaluated batch's own.
    x, y = x_all[26:], y_all[26:]
    loss, _ = loop._evaluate(cfg, got_params, loop._batched(x, y), got_state.model)
    logits = run_maps(got_params, x, cfg, got_state.model)[0]
    assert loss == pytest.approx(float(cross_entropy(logits, jnp.asarray(y))), rel=1e-5)
    by_batch = run_maps(got_params, x, cfg, got_state.model, train=True)[0]
    assert not np.allclose(by_batch, logits, atol=1e-3)


def test_layer_norm_standardises_each_example(tiny_batch):
    _, x, _ = tiny_batch
    cfg = TINY.replace(norm="layer")
    params = random_norm_params(cfg)
    _, maps, _ = run_maps(params, x, cfg)
    s = f64(maps["conv2"])
    mean, var = s.mean((1, 2, 3), keepdims=True), s.var((1, 2, 3), keepdims=True)
    n2 = jax.tree.map(f64, params["norm2"])
    expected = relu(n2["scale"] * (s - mean) / np.sqrt(var + EPS) + n2["shift"])
    np.testing.assert_allclose(f64(maps["act2"]), expected, rtol=1e-4, atol=1e-5)


def test_weight_norm_is_g_times_the_unit_filter(tiny_batch):
    _, x, _ = tiny_batch
    cfg = TINY.replace(norm="weight")
    params = init_params(jax.random.PRNGKey(0), cfg)
    plain = {k: v for k, v in params.items() if not k.startswith("norm")}
    # g starts at ||v||: the same function as the plain network with the same weights.
    np.testing.assert_allclose(run_maps(params, x, cfg)[0], run_maps(plain, x, TINY)[0], rtol=1e-5)
    g = np.random.default_rng(2).uniform(0.5, 2.0, 2)
    scaled = dict(params, norm1={"g": jnp.asarray(g, jnp.float32)})
    scaled["conv1"] = dict(params["conv1"], w=3.0 * params["conv1"]["w"])  # ||v|| cancels
    _, maps, _ = run_maps(scaled, x, cfg)
    v = f64(params["conv1"]["w"])
    w = g * v / np.sqrt((v.reshape(-1, 2) ** 2).sum(0))
    expected = conv_loop(f64(x), w, f64(params["conv1"]["b"]))
    np.testing.assert_allclose(f64(maps["conv1"]), expected, rtol=1e-4, atol=1e-5)


def test_skip_adds_the_block_input_or_its_projection(tiny_batch):
    _, x, _ = tiny_batch
    params = init_params(jax.random.PRNGKey(0), SKIP)
    assert SKIP.blocks[1].projection is None and "skip2" not in params
    _, maps, _ = run_maps(params, x, SKIP)
    proj = params["skip1"]
    projected = f64(x) @ f64(proj["w"]).reshape(1, 2) + f64(proj["b"])  # 1 -> 2 channels
    np.testing.assert_allclose(f64(maps["act1"]), relu(f64(maps["conv1"]) + projected),
                               rtol=1e-4, atol=1e-5)  # fmt: skip
    identity = relu(f64(maps["conv2"]) + f64(maps["pool1"]))  # the identity around block 2
    np.testing.assert_allclose(f64(maps["act2"]), identity, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(f64(maps["pool2"]), pool_loop(identity), rtol=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--depth", "0"], "depth must be in 1..32, not 0"),
        (["--depth", "33"], "depth must be in 1..32, not 33"),
        (["--norm", "btach"], "did you mean 'batch'"),
    ],
)
def test_bad_knobs_are_one_line_errors(args, message, capsys, tmp_path, monkeypatch):
    def no_data(*_args, **_kwargs):
        raise AssertionError("data loaded before the arguments were checked")

    monkeypatch.setattr("optviz.trainer.data.load", no_data)
    assert message in fails(capsys, "train", *args, "--out", str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_a_depth_beyond_the_memory_is_refused_before_training(small_digits, monkeypatch):
    monkeypatch.setattr("optviz.limits.budget", lambda: 2**19)  # 0.5 MiB
    seen = []
    with pytest.raises(OptvizError, match="depth 6 on 8x8 images with batch 16 needs at least"):
        train(["sgd"], dataset=small_digits, depth=6, batch_size=16, callback=seen.append)
    assert seen == []


def test_running_statistics_are_saved_and_checked(tmp_path):
    cfg = TINY.replace(norm="batch")
    params = random_norm_params(cfg)
    state = jax.tree.map(lambda a: a + 0.5, init_state(cfg))
    path = save_params(tmp_path / "p.npz", params, cfg, state)
    _, got_state, got_cfg = load_model(path)
    assert got_cfg == cfg
    np.testing.assert_array_equal(got_state["norm2"]["var"], np.full(3, 1.5, np.float32))
    weights, checked, _ = _load_checked(path, (4, 4))
    x = np.random.default_rng(0).uniform(size=(6, 4, 4, 1)).astype(np.float32)
    maps = feature_maps(weights, x, cfg, checked)  # what `optviz layers` draws
    _, by_running, _ = run_maps(params, x, cfg, state)
    np.testing.assert_allclose(maps["act2"], by_running["act2"], rtol=1e-5)
    save_params(path, params, cfg)  # without the statistics
    with pytest.raises(OptvizError, match="norm1/mean missing"):
        _load_checked(path, (4, 4))
