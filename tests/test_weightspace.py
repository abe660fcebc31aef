"""`optviz.landscape`: planes against numpy float64 oracles, the loss on the grid against
the trainer's own numbers, the cache, the command line's checks, the files, and the
grid on four devices against one."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import optviz
from optviz.cli import app
from optviz.errors import OptvizError
from optviz.weightspace import record as record_mod
from optviz.weightspace.grid import LossEvaluator, check_grid, loss_grid
from optviz.weightspace.planes import (
    Plane,
    filter_normalized,
    pca_plane,
    points_plane,
    random_plane,
)

BATCH = 16  # as the shared trainer fixtures (one compile for both)


def test_pca_plane_is_numpys_svd():
    rng = np.random.default_rng(1)
    centre = rng.normal(size=40)
    paths = [centre + np.cumsum(rng.normal(size=(n, 40)) * [3.0] + [0.5] * 40, axis=0)
             for n in (7, 5)]  # fmt: skip
    plane = pca_plane([p.astype(np.float32) for p in paths], centre)
    m = np.concatenate(paths).astype(np.float32).astype(np.float64) - centre
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    for i in range(2):
        assert abs(abs(plane.axes[i] @ vt[i]) - 1.0) < 1e-9
        assert (m @ plane.axes[i]).sum() >= 0  # the paths sit on the positive side
    share = s[:2] ** 2 / (s**2).sum()
    np.testing.assert_allclose(plane.explained_variance, share, rtol=1e-9)
    np.testing.assert_allclose(plane.axes @ plane.axes.T, np.eye(2), atol=1e-12)


def test_random_directions_are_filter_normalised():
    rng = np.random.default_rng(2)
    params = {
        "conv": {"w": rng.normal(size=(3, 3, 2, 4)), "b": rng.normal(size=4)},
        "dense": {"w": rng.normal(size=(6, 5)) * 3.0, "b": rng.normal(size=5)},
    }
    plane = random_plane(params, seed=7)
    leaves = jax.tree_util.tree_leaves(params)  # ravel_pytree's order
    again = random_plane(params, seed=7)
    np.testing.assert_array_equal(plane.axes, again.axes)  # deterministic
    for axis in plane.axes:
        at = 0
        for w in leaves:
            d = axis[at : at + w.size].reshape(w.shape)
            at += w.size
            if w.ndim == 1:
                assert not d.any()  # biases get no direction
                continue
            for f in range(w.shape[-1]):  # each filter: an output channel or unit
                assert np.linalg.norm(d[..., f]) == pytest.approx(np.linalg.norm(w[..., f]))
    # one filter by hand: the draw scaled to the weights' filter norm
    draw = np.random.default_rng(0).normal(size=(3, 3, 2, 4))
    out = filter_normalized(draw, leaves[1])
    scale = np.linalg.norm(leaves[1][..., 2]) / np.linalg.norm(draw[..., 2])
    np.testing.assert_allclose(out[..., 2], draw[..., 2] * scale)


def test_points_plane_passes_through_its_points_and_projection_is_exact():
    rng = np.random.default_rng(3)
    p0, p1, p2 = rng.normal(size=(3, 30))
    plane = points_plane(p0, p1, p2)
    coords, dist = plane.project(np.stack([p0, p1, p2]))
    np.testing.assert_allclose(plane.point(coords), np.stack([p0, p1, p2]), atol=1e-12)
    assert dist.max() < 1e-12
    np.testing.assert_allclose(coords[0], 0.0, atol=1e-12)
    assert coords[1, 1] == pytest.approx(0.0, abs=1e-12)
    # a skewed plane (the random plane's axes are not orthogonal): exact too
    skew = Plane("random", p0, np.stack([p1, p1 + 0.3 * p2]))
    w = p0 + 0.3 * skew.axes[0] - 1.2 * skew.axes[1]
    c, d = skew.project(w)
    np.testing.assert_allclose(c[0], [0.3, -1.2], atol=1e-12)
    assert d[0] < 1e-12
    off = w + 2.0 * np.linalg.svd(skew.axes)[2][5]  # a unit vector orthogonal to the plane
    assert skew.project(off)[1][0] == pytest.approx(2.0)
    with pytest.raises(OptvizError, match="one line"):
        points_plane(p0, p1, p0 + 2 * (p1 - p0))


@pytest.fixture(scope="module")
def land(small_digits, tmp_path_factory):
    """SGD and Adam, one epoch on `small_digits` (25 steps), a 5 x 5 grid, cached; and the
    trainer's own result of that run (its curves: the trainer's own evaluation)."""
    folder = tmp_path_factory.mktemp("landscape-cache")
    seen, runs = [], []
    real = record_mod.record

    def spy(*args, **kwargs):
        runs.append(real(*args, **kwargs))
        return runs[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(record_mod, "record", spy)
        out = optviz.landscape(
            ["sgd", "adam"], dataset=small_digits, epochs=1, grid=5, batch_size=BATCH,
            keep_every=10, cache=folder, progress=lambda *a: seen.append(a),
        )  # fmt: skip
    (run,) = runs
    return out, folder, seen, run.result


def test_landscape_numbers(land, small_digits):
    out, _, seen, trained = land
    assert out.loss.shape == (5, 5) and out.alphas.shape == out.betas.shape == (5,)
    assert {p for p, _, _ in seen} == {"training", "grid", "paths"}
    for name in ("sgd", "adam"):
        np.testing.assert_array_equal(out.steps[name], [0, 10, 20, 25])
        assert out.paths[name].shape == (4, 2)
        np.testing.assert_allclose(out.paths[name][0], 0.0, atol=1e-9)  # centred on the start
        # the trainer's own evaluation (batches of 500, another program) at epochs 0 and 1
        curves = trained.curves[name]
        assert out.true_loss[name][0] == pytest.approx(curves.train_loss[0], rel=1e-5)
        assert out.true_loss[name][-1] == pytest.approx(curves.train_loss[1], rel=1e-5)
        # the start lies in the plane: the plane's loss there is the true loss
        assert out.distance[name][0] < 1e-6
        assert out.plane_loss[name][0] == pytest.approx(out.true_loss[name][0], rel=1e-5)
        t, curve = out.interpolation
        assert curve[name][t == 0.0][0] == pytest.approx(out.true_loss[name][0], rel=1e-5)
        assert curve[name][t == 1.0][0] == pytest.approx(out.true_loss[name][-1], rel=1e-5)
    assert out.true_loss["sgd"][0] == out.true_loss["adam"][0]  # one shared start
    assert 0.5 < sum(out.explained_variance) <= 1.0
    assert out.recorded_bytes == 4 * 2 * 4 * record_mod.n_params(_cfg(small_digits))


def _cfg(data):
    from optviz.trainer.model import config_for

    return config_for(data.image_shape)


def test_grid_at_the_origin_is_the_trainers_loss(small_digits):
    from jax.flatten_util import ravel_pytree

    from optviz.trainer.loop import _batched, _evaluate
    from optviz.trainer.model import init_params

    cfg = _cfg(small_digits)
    params = init_params(jax.random.PRNGKey(3), cfg)
    flat = np.asarray(ravel_pytree(params)[0], np.float64)
    rng = np.random.default_rng(0)
    plane = Plane("random", flat, rng.normal(size=(2, flat.size)) * 0.01)
    ev = LossEvaluator(cfg, small_digits.x_train, small_digits.y_train)
    grid = loss_grid(ev, plane, np.array([-1.0, 0.0, 1.0]), np.array([-1.0, 0.0, 1.0]))
    batches = _batched(small_digits.x_train, small_digits.y_train)
    expected, _ = _evaluate(cfg, params, batches, {})  # no model state (no batch norm)
    assert grid[1, 1] == pytest.approx(expected, rel=1e-5)
    assert ev.at(flat[None])[0] == pytest.approx(expected, rel=1e-5)
    assert np.isfinite(grid).all() and len(np.unique(grid)) == 9


@pytest.mark.parametrize("written_out", [True, False], ids=["written-out", "vmapped-forward"])
def test_off_the_origin_both_evaluators_give_the_trainers_loss(
    small_digits, monkeypatch, written_out
):
    """The lecture's network runs a written-out block forward pass (`blockforward`);
    other networks run the trainer's own forward vmapped. Each, away from the origin,
    equals the trainer's evaluation of the weights at that point of the plane."""
    from jax.flatten_util import ravel_pytree

    from optviz.trainer.loop import _batched, _evaluate
    from optviz.trainer.model import init_params
    from optviz.weightspace import grid as grid_mod

    if not written_out:
        monkeypatch.setattr(grid_mod, "supports", lambda cfg: False)
    grid_mod._program.cache_clear()
    cfg = _cfg(small_digits)
    data = small_digits.take(100, 10)
    params = init_params(jax.random.PRNGKey(5), cfg)
    flat, unravel = ravel_pytree(params)
    flat = np.asarray(flat, np.float64)
    axes = np.random.default_rng(1).normal(size=(2, flat.size)) * 0.05
    ev = LossEvaluator(cfg, data.x_train, data.y_train)
    got = loss_grid(ev, Plane("random", flat, axes), np.array([-1.0, 2.0]), np.array([0.5]))
    grid_mod._program.cache_clear()
    for i, alpha in enumerate([-1.0, 2.0]):
        there = unravel(jax.numpy.asarray(flat + alpha * axes[0] + 0.5 * axes[1], np.float32))
        expected, _ = _evaluate(cfg, there, _batched(data.x_train, data.y_train))
        assert got[0, i] == pytest.approx(expected, rel=1e-5)


def test_a_second_call_is_read_from_the_cache(land, small_digits, monkeypatch):
    out, folder, _, _ = land
    assert len(list(folder.glob("*.npz"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(record_mod, "record", no_training)
    again = optviz.landscape(
        ["sgd", "adam"], dataset=small_digits, epochs=1, grid=5, batch_size=BATCH,
        keep_every=10, cache=folder,
    )  # fmt: skip
    np.testing.assert_array_equal(again.loss, out.loss)
    np.testing.assert_array_equal(again.paths["adam"], out.paths["adam"])
    with pytest.raises(AssertionError, match="trained again"):  # another request: not cached
        optviz.landscape(["sgd", "adam"], dataset=small_digits, epochs=1, grid=7,
                         batch_size=BATCH, keep_every=10, cache=folder)  # fmt: skip


def test_files_read_back(land, tmp_path):
    out, _, _, _ = land
    info = out.save(tmp_path / "l.gif", frames=5, size=(480, 320), view="both")
    with Image.open(info.path) as im:
        assert im.size == (480, 320) and im.n_frames == 5
    png = out.save_interpolation(tmp_path / "l_1d.png")
    with Image.open(png) as im:
        assert im.format == "PNG"
    still = out.plot()
    assert still.axes[0].get_xlabel().startswith("PC 1 (")
    assert "Landscape(sgd, adam on digits, pca plane, 5x5 grid)" in repr(out)
    assert out._repr_png_().startswith(b"\x89PNG")  # what a notebook shows without HTML


@pytest.mark.parametrize(
    "args, message",
    [
        (["--plane", "pcaa"], "did you mean 'pca'"),
        (["--grid", "2"], "grid must be at least 3"),
        (["--grid", "100000"], "too large"),
        (["--span", "0"], "span must be positive"),
        (["--span", "-1"], "span must be positive"),
        (["--optimizers", "adamm"], "did you mean 'adam'"),
        (["--plane", "points", "--optimizers", "adam"], "needs two optimizers"),
        (["--center", "lion"], "unknown centre"),
        (["--out", "x.txt"], "must end in .gif"),
        (["--epochs", "0"], "epochs must be at least 1"),
    ],
)
def test_bad_input_is_one_line_before_any_training(args, message, monkeypatch):
    landscape_refuses(args, message, monkeypatch)


def landscape_refuses(args: list[str], message: str, monkeypatch) -> None:
    """`optviz landscape ARGS` exits 2 with `message`, no traceback, before any data is
    loaded or any network trained."""

    def no_training(*a, **k):
        raise AssertionError("trained")

    monkeypatch.setattr(record_mod, "record", no_training)
    monkeypatch.setattr("optviz.trainer.data.load", no_training)
    result = CliRunner().invoke(app, ["landscape", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_memory_limits_are_named(monkeypatch):
    monkeypatch.setattr("optviz.limits.budget", lambda: 10**6)
    with pytest.raises(OptvizError, match="limit here"):
        check_grid(401)
    with pytest.raises(OptvizError, match="record less often"):
        record_mod.check_memory(4, 100, 13706)


def test_the_command_writes_both_files(land, small_digits, tmp_path, monkeypatch):
    _, folder, _, _ = land  # the same request as the fixture's: read from its cache

    def no_training(*a, **k):
        raise AssertionError("trained")

    monkeypatch.setattr("optviz.trainer.data.load", lambda *a, **k: small_digits)
    monkeypatch.setattr("optviz.weightspace.cache.default_folder", lambda: folder)
    monkeypatch.setattr(record_mod, "record", no_training)
    out = tmp_path / "c.gif"
    args = ["landscape", "--optimizers", "sgd,adam", "--epochs", "1", "--grid", "5",
            "--batch-size", str(BATCH), "--keep-every", "10", "--frames", "4",
            "--size", "480x320", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "PCA plane keeps" in result.output and "mean distance from the plane" in result.output
    with Image.open(out) as im:
        assert im.n_frames == 4
    with Image.open(tmp_path / "c_1d.png") as im:
        assert im.format == "PNG"


def test_a_diverged_path_is_drawn_and_labelled(tmp_path):
    """Numbers as `compute` leaves them when Adam's weights blow up after step 20."""
    from optviz.weightspace.result import Landscape

    rng = np.random.default_rng(0)
    steps = np.array([0, 10, 20, 30])
    good = np.cumsum(rng.normal(size=(4, 2)), axis=0)
    bad = good.copy()
    bad[3] = np.nan
    axis = np.linspace(-4.0, 4.0, 5)
    arrays = {
        "names": np.asarray(["sgd", "adam"]), "dataset": np.asarray("digits"),
        "plane": np.asarray("pca"), "points": np.asarray(["start", "sgd", "adam"]),
        "alphas": axis, "betas": axis, "loss": 1.0 + rng.uniform(size=(5, 5)),
        "start": np.zeros(2), "explained_variance": np.asarray([0.6, 0.3]),
        "interp_t": np.linspace(0.0, 1.0, 3), "keep_every": np.asarray(10),
        "recorded_bytes": np.asarray(0),
    }  # fmt: skip
    for i, xy in enumerate((good, bad)):
        loss = np.where(np.isfinite(xy[:, 0]), 2.0 - 0.1 * np.arange(4), np.nan)
        arrays.update({f"p{i}.steps": steps, f"p{i}.coords": xy - xy[0],
                       f"p{i}.distance": np.abs(loss), f"p{i}.true_loss": loss,
                       f"p{i}.plane_loss": loss, f"p{i}.interp": loss[:3]})  # fmt: skip
    land = Landscape(arrays)
    assert "Adam  diverged: weights not finite by step 30" in repr(land)
    paths = land.drawn_paths()
    assert paths[1].diverged_at == 30 and paths[0].diverged_at is None
    info = land.save(tmp_path / "d.gif", frames=3, size=(480, 320))
    with Image.open(info.path) as im:
        assert im.n_frames == 3
