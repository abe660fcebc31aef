"""`optviz.compare_landscapes` and `optviz landscape --compare`: two landscapes that
differ in one knob, on one colour scale, with the 1-D cut and both sharpnesses (and
smallest Hessian eigenvalues).

One comparison (SGD, batch 16 against the full batch, 3 epochs on `small_digits`,
a 5 x 5 grid) serves every test; its batch-16 side is the shared `short_run`'s
SGD run, so the trainer's own numbers are an independent oracle for it.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.contour import ContourSet
from PIL import Image
from typer.testing import CliRunner

import optviz
from optviz.cli import app
from optviz.errors import OptvizError
from optviz.weightspace import record as record_mod
from optviz.weightspace.comparenums import INTERP_T, middle_row, same_function
from optviz.weightspace.knobs import parse_compare
from tests.test_weightspace import landscape_refuses

BATCH = 16  # the shared trainer fixtures' batch size (their compiled programs are reused)
EPOCHS = 3  # as `short_run`


@pytest.fixture(scope="module")
def cmp(small_digits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare-cache")
    out = optviz.compare_landscapes(
        {"batch-size": [BATCH, "full"]}, "sgd", dataset=small_digits, epochs=EPOCHS, grid=5,
        cache=folder,
    )  # fmt: skip
    return out, folder


def _independent_loss(data, cfg, flat):
    """The trainer's own evaluation of flat weights over the whole training set."""
    from optviz.trainer.loop import _batched, _evaluate
    from optviz.weightspace.grid import unraveler

    params = unraveler(cfg)(np.asarray(flat, np.float32))
    loss, _ = _evaluate(cfg, params, _batched(data.x_train, data.y_train), {})
    return loss


def test_the_interpolation_ends_at_each_solutions_own_loss(cmp, short_run, small_digits):
    out, _ = cmp
    from optviz.trainer.model import config_for

    assert out.line_kind == "interpolation" and out.slices is None
    t, line = out.line
    np.testing.assert_array_equal(t, INTERP_T)
    assert t[0] == -0.5 and t[-1] == 1.5
    sgd = short_run.result.curves["sgd"]  # side A is this very run (same start, batches)
    assert line[t == 0.0][0] == pytest.approx(sgd.train_loss[-1], rel=1e-5)
    cfg = config_for(small_digits.image_shape)
    final_b = out.arrays["b.p0.final"]
    assert line[t == 1.0][0] == pytest.approx(
        _independent_loss(small_digits, cfg, final_b), rel=1e-5
    )
    # midway: the loss of the averaged weights, evaluated independently
    mid = 0.5 * (out.arrays["a.p0.final"].astype(np.float64) + final_b)
    assert line[t == 0.5][0] == pytest.approx(_independent_loss(small_digits, cfg, mid), rel=1e-4)
    assert out.final_loss[0] == pytest.approx(sgd.train_loss[-1], rel=1e-5)


def test_sharpness_is_the_trainers(cmp, short_run):
    out, _ = cmp
    trainers = short_run.result.hessian["sgd"]
    assert out.sharpness[0] == pytest.approx(trainers.value, rel=1e-4)
    assert out.min_eigenvalue[0] == pytest.approx(trainers.min_value, rel=1e-3)
    assert out.nonconvexity[0] == pytest.approx(trainers.nonconvexity, rel=1e-3)
    assert np.isfinite(out.sharpness[1]) and out.sharpness[1] > 0
    assert all(out.min_converged) and out.min_eigenvalue[1] < out.sharpness[1]
    assert out.nonconvexity[1] == abs(out.min_eigenvalue[1] / out.sharpness[1])
    report = "\n".join(out.report())
    for k in (0, 1):
        assert f"{out.sharpness[k]:.4g}, smallest {out.min_eigenvalue[k]:.4g} " in report
        assert f"(|λmin/λmax| {out.nonconvexity[k]:.3g})" in report


def test_both_landscapes_are_built_alike_about_their_own_solution(cmp):
    out, _ = cmp
    a, b = out.landscapes
    assert a.plane == b.plane == "random"
    np.testing.assert_array_equal(a.alphas, b.alphas)  # the same grid and span
    np.testing.assert_array_equal(a.alphas, np.linspace(-1, 1, 5))
    for land in out.landscapes:  # each centred on its own final weights
        np.testing.assert_allclose(land.paths["sgd"][-1], 0.0, atol=1e-9)
        assert land.loss[2, 2] == pytest.approx(land.true_loss["sgd"][-1], rel=1e-5)
    assert out.labels == ("batch size 16", "batch size full")


def test_one_colour_scale_and_the_png_read_back(cmp, tmp_path):
    out, _ = cmp
    fig = out.plot(size=(960, 400))
    sets = [c for ax in fig.axes for c in ax.collections if isinstance(c, ContourSet)]
    filled = [c for c in sets if c.filled]
    assert len(filled) == 2
    both = np.concatenate([land.loss.ravel() for land in out.landscapes])
    for c in filled:
        assert (c.norm.vmin, c.norm.vmax) == (filled[0].norm.vmin, filled[0].norm.vmax)
        np.testing.assert_array_equal(c.levels, filled[0].levels)
    assert filled[0].norm.vmin == pytest.approx(both.min())
    assert filled[0].norm.vmax == pytest.approx(both.max())
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert f"{out.sharpness[0]:.3g}" in titles and f"{out.sharpness[1]:.3g}" in titles
    assert f"|λmin/λmax| {out.nonconvexity[0]:.2g}" in titles
    assert f"|λmin/λmax| {out.nonconvexity[1]:.2g}" in titles
    png = out.save(tmp_path / "c.png", size=(960, 400))
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (960, 400)
    with pytest.raises(OptvizError, match=r"must end in \.png"):
        out.save(tmp_path / "c.gif")


def test_the_cut_through_each_solution_when_the_networks_differ():
    from optviz.trainer.model import ModelConfig

    assert same_function(ModelConfig(dropout=0.5, init="normal"), ModelConfig())
    assert not same_function(ModelConfig(skip=True, depth=3), ModelConfig(depth=3))
    assert not same_function(ModelConfig(norm="batch"), ModelConfig())
    loss = np.arange(15.0).reshape(3, 5)
    grid = {"alphas": np.linspace(-1, 1, 5), "betas": np.array([-1, 0, 1.0]), "loss": loss}
    _, row = middle_row(grid)
    np.testing.assert_array_equal(row, loss[1])


def test_the_command_prints_the_sharpness(cmp, small_digits, tmp_path, monkeypatch):
    out_numbers, folder = cmp

    def no_training(*a, **k):
        raise AssertionError("trained again")

    monkeypatch.setattr("optviz.trainer.data.load", lambda *a, **k: small_digits)
    monkeypatch.setattr("optviz.weightspace.cache.default_folder", lambda: folder)
    monkeypatch.setattr(record_mod, "record", no_training)  # both sides come from the cache
    png = tmp_path / "cmp.png"
    args = ["landscape", "--compare", f"batch-size={BATCH},full", "--optimizers", "sgd",
            "--epochs", str(EPOCHS), "--grid", "5", "--size", "960x400",
            "--out", str(png)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"sharpness (largest Hessian eigenvalue) {out_numbers.sharpness[0]:.4g}" in (
        result.output
    )
    assert f"{out_numbers.sharpness[1]:.4g}" in result.output
    assert f"(|λmin/λmax| {out_numbers.nonconvexity[1]:.3g})" in result.output
    with Image.open(png) as im:
        assert im.size == (960, 400)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--compare", "skp=off,on"], "did you mean 'skip'"),
        (["--compare", "batchsize=16,full"], "did you mean 'batch-size'"),
        (["--compare", "skip=off"], "needs two values"),
        (["--compare", "depth=2,4,8"], "needs two values"),
        (["--compare", "skip=off,off"], "two different values"),
        (["--compare", "norm=none,bach"], "did you mean 'batch'"),
        (["--compare", "skip=off,maybe"], "takes off or on"),
        (["--compare", "depth=2,99"], "depth must be in 1..32"),
        (["--compare", "batch-size=16,fool"], "or 'full'"),
        (["--compare", "skip"], "KNOB=A,B"),
        (["--compare", "skip=off,on", "--optimizers", "sgd,adam"], "one optimizer"),
        (["--compare", "depth=2,8", "--depth", "4"], "leave out --depth"),
        (["--compare", "skip=off,on", "--plane", "points"], "choose from: pca, random"),
        (["--compare", "skip=off,on", "--out", "x.gif"], "must end in .png"),
        (["--compare", "skip=off,on", "--grid", "2"], "grid must be at least 3"),
        (["--compare", "batch-size=16,256", "--epochs", "3,x"], "epochs takes N or A,B"),
        (["--compare", "batch-size=16,256", "--epochs", "3,4,5"], "epochs takes N or A,B"),
        (["--compare", "batch-size=16,256", "--epochs", "3,0"], "epochs must be at least 1"),
        (["--epochs", "3,4"], "A,B only with --compare"),
    ],
)
def test_bad_input_is_one_line_before_any_training(args, message, monkeypatch):
    landscape_refuses(args, message, monkeypatch)


def test_each_side_can_train_its_own_epochs(cmp, short_run):
    """epochs=(A's, B's): each side's request trains its own (checked, nothing trained);
    the picture's labels then name each side's epochs."""
    from optviz.weightspace.compare import check_compare
    from optviz.weightspace.comparison import Comparison

    def requests(epochs):
        return check_compare(
            "batch-size=16,256", "sgd", plane="random", span=None, train_options={},
            landscape_options=dict(dataset="digits", epochs=epochs, grid=5, seed=0),
        )[1]  # fmt: skip

    assert [r.epochs for r in requests((2, 7))] == [2, 7]
    assert [r.epochs for r in requests("2,7")] == [2, 7]
    assert [r.epochs for r in requests(4)] == [4, 4]
    out, _ = cmp
    assert out.epochs == (EPOCHS, EPOCHS)  # alike: the labels are the knob's alone
    assert out.steps == (short_run.result.curves["sgd"].step[-1], EPOCHS)  # full: 1 an epoch
    assert f"after {out.steps[1]} steps" in out.report()[1]
    longer = Comparison(out.knob, {**out.arrays, "b.epochs": np.asarray(EPOCHS + 2)})
    assert longer.labels == (f"batch size 16, {EPOCHS} epochs",
                             f"batch size full, {EPOCHS + 2} epochs")  # fmt: skip


def test_the_api_takes_a_mapping_or_text():
    assert parse_compare("skip=off,on").values == (False, True)
    assert parse_compare({"skip": [False, True]}).values == (False, True)
    assert parse_compare({"batch_size": [16, "full"]}).name == "batch-size"
    with pytest.raises(OptvizError, match="two values"):
        optviz.compare_landscapes({"depth": [8]})


def test_batch_norm_on_a_plane_uses_each_chunks_own_statistics(small_digits):
    """The rule the README states: each evaluation chunk normalised by its own examples
    (the padded last chunk by its real ones only), the same at every point."""
    import jax

    from optviz.trainer.model import config_for, cross_entropy, forward, init_params
    from optviz.weightspace.grid import DATA_CHUNK, LossEvaluator

    cfg = config_for(small_digits.image_shape, norm="batch", depth=1)
    params = init_params(jax.random.PRNGKey(1), cfg)
    params["norm1"]["shift"] = params["norm1"]["shift"] + 0.3  # not the identity
    x, y = small_digits.x_train[:200], small_digits.y_train[:200]  # chunks of 128 and 72
    from jax.flatten_util import ravel_pytree

    flat = np.asarray(ravel_pytree(params)[0])
    got = LossEvaluator(cfg, x, y).at(flat[None])[0]
    total = 0.0
    for lo in range(0, len(x), DATA_CHUNK):
        xs, ys = x[lo : lo + DATA_CHUNK], y[lo : lo + DATA_CHUNK]
        logits, _ = forward(params, xs, cfg)  # no running statistics: the batch's own
        total += float(cross_entropy(logits, ys)) * len(xs)
    assert got == pytest.approx(total / len(x), rel=1e-5)
