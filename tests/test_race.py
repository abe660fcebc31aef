"""`optviz.race`: the numbers match the engine, and every picture decodes to what it claims."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from PIL import Image

import optviz
from optviz import engine, optimizers
from optviz.errors import OptvizError
from optviz.racing import INLINE_FRAMES, INLINE_SIZE, Race
from optviz.render.labels import legend_texts

NAMES = ["sgd", "momentum", "adam"]
STEPS = 80


@pytest.fixture(scope="module")
def race() -> Race:
    return optviz.race(NAMES, "beale", steps=STEPS, lr={"sgd": 1e-3})


def test_race_is_the_lazy_public_function_even_after_importing_its_module():
    import optviz.racing

    assert optviz.race is optviz.racing.race
    assert optviz.Race is Race


def test_paths_and_losses_equal_the_engine(race):
    ref = engine.trajectories(NAMES, "beale", steps=STEPS, lr={"sgd": 1e-3})
    assert race.optimizers == tuple(NAMES)
    for i, name in enumerate(NAMES):
        assert race.paths[name].shape == (STEPS + 1, 2)
        assert race.losses[name].shape == (STEPS + 1,)
        np.testing.assert_array_equal(race.paths[name], ref.positions[i, 0])
        np.testing.assert_array_equal(race.losses[name], ref.losses[i, 0])
    assert race.diverged == dict.fromkeys(NAMES)
    # the hyperparameters reached the engine: SGD ran with 1e-3, the others with defaults
    assert race.result.hparams["sgd"]["learning_rate"] == 1e-3
    assert race.result.hparams["adam"] == optimizers.spec("adam").resolve("beale")


def test_start_and_starts():
    one = optviz.race(["adam"], "bowl", start=(0.5, -0.5), steps=10)
    np.testing.assert_allclose(one.paths["adam"][0], [0.5, -0.5])
    two = optviz.race(["adam", "sgd"], "bowl", starts=[(0.5, -0.5), (-1.0, 1.0)], steps=10)
    assert two.paths["adam"].shape == (2, 11, 2)
    assert two.losses["sgd"].shape == (2, 11)
    assert two.diverged["sgd"] == (None, None)
    assert len(two.drawn_paths()) == 4
    last = two.drawn_paths()[-1]
    assert (last.optimizer, last.start_index, last.start) == ("sgd", 1, (-1.0, 1.0))
    assert legend_texts(two.drawn_paths())[-1] == "SGD from (-1, 1)"
    with pytest.raises(OptvizError, match="not both"):
        optviz.race(["adam"], "bowl", start=(0, 0), starts=[(0, 0)])


def test_divergence_is_reported_per_optimizer():
    r = optviz.race(["sgd", "adam"], "beale", steps=60, lr={"sgd": 10.0, "adam": 0.01})
    assert isinstance(r.diverged["sgd"], int) and 1 <= r.diverged["sgd"] <= 60
    assert r.diverged["adam"] is None
    assert f"diverged at step {r.diverged['sgd']}" in repr(r)


def test_repr_html_is_an_inline_gif_that_plays(race):
    html = race._repr_html_()
    match = re.fullmatch(r'<img src="data:image/gif;base64,([A-Za-z0-9+/=]+)"[^>]*>', html)
    assert match, html[:120]
    gif = Image.open(io.BytesIO(base64.b64decode(match.group(1))))
    assert gif.format == "GIF"
    assert gif.size == INLINE_SIZE
    assert 2 <= gif.n_frames <= INLINE_FRAMES
    assert race._repr_html_() == html  # rendered once, then cached


def test_repr_png_is_the_last_frame_and_repr_is_a_summary(race):
    still = Image.open(io.BytesIO(race._repr_png_()))
    assert still.format == "PNG" and still.size == INLINE_SIZE
    text = repr(race)
    assert text.startswith("Race(sgd, momentum, adam on beale, 80 steps)")
    for name in NAMES:
        assert optimizers.spec(name).display in text
    final = race.losses["adam"][-1]
    assert f"loss {final:.4g}" in text


@pytest.mark.parametrize(("name", "fmt"), [("race.gif", "GIF"), ("race.png", "PNG")])
def test_save_takes_the_format_from_the_extension(race, tmp_path, name, fmt):
    info = race.save(tmp_path / name, frames=8, size=(320, 240), loss_panel=True, title="t")
    with Image.open(info.path) as img:
        assert img.format == fmt
        assert img.size == (320, 240) == info.size
        if fmt == "GIF":
            assert info.fmt == "gif" and img.n_frames == info.n_frames > 1
            assert info.steps[-1] == STEPS


def test_save_rejects_an_unknown_extension_unless_fmt_is_given(race, tmp_path):
    with pytest.raises(OptvizError, match="cannot tell the format"):
        race.save(tmp_path / "race.mov")
    info = race.save(tmp_path / "race.anim", fmt="gif", frames=3, size=(160, 120))
    with Image.open(info.path) as img:
        assert img.format == "GIF"


def test_plot_is_a_figure_with_one_line_per_optimizer_in_its_colour(race):
    fig = race.plot()
    assert isinstance(fig, Figure)
    ax, loss_ax = fig.axes
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in lines] == [optimizers.spec(n).display for n in NAMES]
    for line, name in zip(lines, NAMES, strict=True):
        assert to_hex(line.get_color()) == to_hex(optimizers.spec(name).color)
        np.testing.assert_allclose(line.get_xydata(), race.paths[name])
    assert len(loss_ax.get_lines()) == len(NAMES)
    np.testing.assert_allclose(loss_ax.get_lines()[2].get_ydata(), race.losses["adam"])
    # a plain Figure draws its paths (nothing left out as "animated")
    assert not any(ln.get_animated() for ln in ax.get_lines())
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert Image.open(buf).size == (880, 440)
    assert len(race.plot(loss_panel=False).axes) == 1
