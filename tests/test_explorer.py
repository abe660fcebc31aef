"""The explorer, driven like a user would: every control changes the paths *and* the
artists of the figure, and no slider move compiles anything again. Each test runs with
the picture on an ipympl canvas (when ipympl is installed) and as an image widget
(ipympl made unimportable); clicks on the canvas set the start point."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent
from PIL import Image

import optviz
from optviz import engine, optimizers
from optviz.errors import OptvizError
from tests.compiles import engine_traces

pytest.importorskip("ipywidgets")

NAMES = ["sgd", "momentum", "adam"]
STEPS, MAX_STEPS = 120, 300
SIZE = (640, 320)


def without_ipympl(monkeypatch):
    for name in ("ipympl", "ipympl.backend_nbagg"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import ipympl` fail


def explore():
    return optviz.explore("beale", NAMES, steps=STEPS, max_steps=MAX_STEPS, size=SIZE)


@pytest.fixture(params=["ipympl", "image"])
def ex(request, monkeypatch):
    if request.param == "ipympl":
        pytest.importorskip("ipympl")
    else:
        without_ipympl(monkeypatch)
    explorer = explore()
    assert explorer.interactive == (request.param == "ipympl")
    return explorer


@pytest.fixture
def live():
    """An explorer on an ipympl canvas."""
    pytest.importorskip("ipympl")
    return explore()


def idx(ex, name):
    return ex.result.optimizers.index(name)


def line_xy(ex, name):
    return ex.view.artists(name)[0].get_xydata()


def shown(ex):
    """The optimizers whose paths the figure draws."""
    return [p.optimizer for p in ex.view.paths]


def picture(ex):
    """What the user sees: the image widget's PNG, or the pixels of the ipympl canvas
    (which sends them to the front end itself)."""
    if ex.image is None:
        return np.asarray(ex.canvas.buffer_rgba())[..., :3].copy()
    with Image.open(io.BytesIO(ex.image.value)) as img:
        return np.asarray(img.convert("RGB"))


def press(ex, x, y, *, ax=None, button=1):
    """A mouse press on the canvas at data point (x, y) of `ax` (the contour axes)."""
    px, py = (ex.view.ax if ax is None else ax).transData.transform((x, y))
    return press_at(ex, px, py, button=button)


def press_at(ex, px, py, *, button=1):
    event = MouseEvent("button_press_event", ex.canvas, px, py, button=button)
    ex.canvas.callbacks.process("button_press_event", event)
    return event


def pixel(ex):
    """One pixel of the contour axes, in data units (the coarser of x and y)."""
    (x0, x1), (y0, y1) = ex.view.ax.get_xlim(), ex.view.ax.get_ylim()
    width, height = ex.view.ax.bbox.size
    return max((x1 - x0) / width, (y1 - y0) / height)


def test_missing_ipywidgets_is_a_user_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    with pytest.raises(OptvizError) as err:
        optviz.explore("beale")
    assert str(err.value) == "the explorer needs ipywidgets: pip install 'optviz[notebook]'"


def test_initial_state_matches_the_engine_and_the_figure(ex):
    ref = engine.trajectories(NAMES, "beale", steps=STEPS)
    assert ex.result.optimizers == tuple(NAMES)
    np.testing.assert_allclose(ex.result.positions, ref.positions, rtol=1e-5, atol=1e-6)
    for name in NAMES:
        assert name in shown(ex)
        np.testing.assert_allclose(line_xy(ex, name), ref.positions[NAMES.index(name), 0])
        np.testing.assert_allclose(ex.lr_sliders[name].value, ref.hparams[name]["learning_rate"])
    assert "nag" not in shown(ex)  # not selected
    assert ex.figure is ex.view.fig
    assert picture(ex).shape == (SIZE[1], SIZE[0], 3)
    assert "application/vnd.jupyter.widget-view+json" in ex._repr_mimebundle_()


def test_lr_slider_recomputes_one_optimizer_and_moves_its_line(ex):
    before_line, before_pic = line_xy(ex, "adam").copy(), picture(ex)
    sgd_before = line_xy(ex, "sgd").copy()
    traces, computed = engine_traces(), ex.cache.computed
    ex.lr_sliders["adam"].value = 0.05
    assert engine_traces() == traces  # no recompilation
    assert ex.cache.computed == computed + 1  # only Adam ran again
    ref = optviz.trajectory("adam", "beale", steps=STEPS, lr=ex.lr_sliders["adam"].value)
    np.testing.assert_allclose(ex.result.positions[idx(ex, "adam"), 0], ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(line_xy(ex, "adam"), ref, rtol=1e-5, atol=1e-6)
    assert not np.allclose(line_xy(ex, "adam"), before_line)
    np.testing.assert_array_equal(line_xy(ex, "sgd"), sgd_before)
    assert not np.array_equal(picture(ex), before_pic)


def test_extra_hyperparameter_slider(ex):
    traces = engine_traces()
    before = line_xy(ex, "momentum").copy()
    ex.extra_sliders["momentum"].value = 0.5
    assert engine_traces() == traces
    assert ex.result.hparams["momentum"]["momentum"] == pytest.approx(0.5)
    ref = optviz.trajectory("momentum", "beale", steps=STEPS, momentum=0.5)
    np.testing.assert_allclose(line_xy(ex, "momentum"), ref, rtol=1e-5, atol=1e-6)
    assert not np.allclose(line_xy(ex, "momentum"), before)
    assert set(ex.extra_sliders) == {n for n in optimizers.names() if n in ex.extra_sliders}
    assert ex.extra_sliders["adam"].description == "b1"
    assert ex.extra_sliders["kfac"].description == "damping"


def test_toggling_an_optimizer_hides_and_shows_its_path(ex):
    traces = engine_traces()
    ex.optimizer_boxes["sgd"].value = False
    assert "sgd" not in ex.result.optimizers
    assert "sgd" not in shown(ex) and len(ex.view.stage.scenes[0].heads) == 2
    assert ex.lr_sliders["sgd"].layout.display == "none"
    legend = [t.get_text() for t in ex.figure.legends[0].get_texts()]
    assert legend == ["Momentum", "Adam"]
    ex.optimizer_boxes["sgd"].value = True
    assert "sgd" in shown(ex)
    assert ex.result.optimizers == tuple(NAMES)  # registry order
    np.testing.assert_allclose(line_xy(ex, "sgd"), ex.result.positions[0, 0])
    assert engine_traces() == traces  # sgd's compiled scan was reused
    # a new optimizer appears, drawn in its registry colour
    ex.optimizer_boxes["nag"].value = True
    assert "nag" in shown(ex)
    assert ex.view.artists("nag")[0].get_color() == optimizers.spec("nag").color
    np.testing.assert_allclose(line_xy(ex, "nag"), ex.result.positions[idx(ex, "nag"), 0])


def test_moving_the_start_moves_every_path(ex):
    traces = engine_traces()
    with ex.hold():
        ex.start_x.value, ex.start_y.value = 1.0, -1.0
    assert engine_traces() == traces
    np.testing.assert_allclose(ex.result.starts, [[1.0, -1.0]])
    for name in NAMES:
        np.testing.assert_allclose(line_xy(ex, name)[0], [1.0, -1.0])
    np.testing.assert_allclose(ex.view.stage.scenes[0].start_marks.get_xydata(), [[1.0, -1.0]])
    ex.click(-2.0, 2.5)
    assert ex.start == (-2.0, 2.5)
    ref = optviz.trajectory("adam", "beale", start=(-2.0, 2.5), steps=STEPS)
    np.testing.assert_allclose(line_xy(ex, "adam"), ref, rtol=1e-5, atol=1e-6)


def test_scrubber_moves_the_head_to_that_step(ex):
    computed = ex.cache.computed
    ex.step_slider.value = 37
    assert ex.cache.computed == computed  # drawing only
    for name in NAMES:
        path = ex.result.positions[idx(ex, name), 0]
        np.testing.assert_allclose(ex.view.artists(name)[1].get_xydata(), path[37:38])
        np.testing.assert_allclose(line_xy(ex, name), path[:38])
    assert ex.view.step == 37 and ex.view.stage.counter is not None
    assert ex.play.max == STEPS


def test_steps_slider_cuts_the_long_run_without_recompiling(ex):
    traces = engine_traces()
    ex.steps_slider.value = 50
    assert engine_traces() == traces
    assert ex.result.positions.shape == (3, 1, 51, 2)
    assert ex.step_slider.max == 50 and ex.step_slider.value == 50  # was at the end: stays
    ex.steps_slider.value = MAX_STEPS
    assert engine_traces() == traces
    ref = engine.trajectories(NAMES, "beale", steps=50)  # compiles for 50 steps itself
    np.testing.assert_allclose(ex.result.positions[:, :, :51], ref.positions, rtol=1e-5, atol=1e-6)
    assert line_xy(ex, "adam").shape == (MAX_STEPS + 1, 2)


def test_divergence_shows_in_the_legend(ex):
    ex.lr_sliders["sgd"].value = 10.0
    step = ex.result.diverged("sgd")
    assert step is not None
    ((note, track),) = ex.view.stage.notes  # shown from that step on
    # the first thing that happens to the path is what the legend names: at lr 10 its
    # first step jumps out of the plot, before it goes non-finite
    assert track.event_step <= step
    if track.event == "left":
        assert track.note == f"left the plot at step {track.event_step}"
    else:
        assert track.note == f"diverged at step {step}"
    assert note.get_text().startswith("SGD") and f"{track.event_step}" in note.get_text()
    assert np.isfinite(line_xy(ex, "sgd")).all()


def test_changing_the_surface_resets_defaults_and_redraws(ex):
    old_figure = ex.figure
    ex.surface_dropdown.value = "rosenbrock"
    assert ex.result.surface == "rosenbrock"
    assert ex.figure is not old_figure
    assert ex.start == tuple(optviz.surfaces.get("rosenbrock").start)
    want = optimizers.spec("adam").resolve("rosenbrock")["learning_rate"]
    assert ex.lr_sliders["adam"].value == pytest.approx(want, rel=1e-3)
    np.testing.assert_allclose(line_xy(ex, "adam")[0], ex.start)


def test_save_button_writes_the_current_view(ex, tmp_path):
    ex.file_name.value = str(tmp_path / "view.gif")
    ex.save_button.click()
    assert ex.status.value.startswith("saved"), ex.status.value
    with Image.open(tmp_path / "view.gif") as img:
        assert img.format == "GIF" and img.n_frames > 1
    info = ex.save(tmp_path / "small.png", size=(320, 240))
    assert info.size == (320, 240)
    ex.file_name.value = str(tmp_path / "view.unknown")
    ex.save_button.click()
    assert ex.status.value.startswith("error: cannot tell the format")


def test_bad_arguments_are_user_errors():
    with pytest.raises(OptvizError, match="steps must be between"):
        optviz.explore("beale", steps=5000, max_steps=1000)
    with pytest.raises(OptvizError, match="unknown optimizer"):
        optviz.explore("beale", ["adamm"])


def test_without_ipympl_the_picture_is_an_image_widget(monkeypatch):
    import ipywidgets as W

    without_ipympl(monkeypatch)
    ex = explore()
    assert not ex.interactive and ex.canvas is None
    assert isinstance(ex.image, W.Image) and ex.widget.children[0] is ex.image
    assert picture(ex).shape == (SIZE[1], SIZE[0], 3)
    ex.click(1.0, -1.0)  # the method still works; only clicks on the picture are missing
    np.testing.assert_allclose(ex.result.starts, [[1.0, -1.0]])


def test_with_ipympl_the_picture_is_a_canvas_widget(live):
    from ipympl.backend_nbagg import Canvas

    assert live.interactive and live.image is None
    assert isinstance(live.canvas, Canvas) and live.canvas.figure is live.figure
    assert live.widget.children[0] is live.canvas
    assert not live.canvas.toolbar_visible and not live.canvas.header_visible
    # a full redraw asked by the front end (on display, resize, ...) keeps the paths
    before = picture(live)
    live.canvas._handle_message(live.canvas, {"type": "draw"}, [])
    np.testing.assert_array_equal(picture(live), before)
    live.step_slider.value = 10  # then the blitted updates go on from there
    assert not np.array_equal(picture(live), before)


def test_a_click_on_the_contours_sets_the_start(live):
    traces, computed = engine_traces(), live.cache.computed
    first, pic = line_xy(live, "adam")[0].copy(), picture(live)
    target = (1.2345, -0.6789)
    press(live, *target)
    assert engine_traces() == traces  # the click recompiled nothing
    tol = pixel(live)
    assert live.start == pytest.approx(target, abs=tol)
    assert (live.start_x.value, live.start_y.value) == live.start
    np.testing.assert_allclose(live.result.starts, [live.start], atol=1e-6)
    np.testing.assert_allclose(live.result.starts, [target], atol=tol)
    for name in NAMES:
        np.testing.assert_allclose(line_xy(live, name)[0], live.start, atol=1e-6)
    assert not np.allclose(line_xy(live, "adam")[0], first)
    np.testing.assert_allclose(live.view.stage.scenes[0].start_marks.get_xydata(), [live.start])
    # (the reference is a one-optimizer race: a program of its own, traced or not
    # depending on what ran before in this process; it is computed after the count)
    ref = optviz.trajectory("adam", "beale", start=live.start, steps=STEPS)
    np.testing.assert_allclose(line_xy(live, "adam"), ref, rtol=1e-5, atol=1e-6)
    assert live.cache.computed == computed + len(NAMES)  # one recompute, not two
    assert not np.array_equal(picture(live), pic)


def test_a_click_from_the_browser_goes_through_the_canvas(live):
    # what ipympl's front end sends: canvas pixels from the top left, buttons from 0
    px, py = live.view.ax.transData.transform((0.5, 2.2))
    height = live.canvas.get_renderer().height
    message = {"type": "button_press", "x": px, "y": height - py, "button": 0, "buttons": 1}
    live.canvas._handle_message(live.canvas, {**message, "modifiers": []}, [])
    assert live.start == pytest.approx((0.5, 2.2), abs=pixel(live))


def test_clicks_elsewhere_change_nothing(live):
    start, computed = live.start, live.cache.computed
    positions = live.result.positions.copy()
    (x0, x1), (y0, y1) = live.surface.domain
    loss_ax = live.view.loss_ax
    event = press(live, *np.mean([loss_ax.get_xlim(), loss_ax.get_ylim()], axis=1), ax=loss_ax)
    assert event.inaxes is loss_ax  # the loss panel
    assert press_at(live, 2, 2).inaxes is None  # the figure's margin
    press(live, (x0 + x1) / 2, (y0 + y1) / 2, button=3)  # a right click
    assert live.start == start and live.cache.computed == computed
    np.testing.assert_array_equal(live.result.positions, positions)


def test_clicks_follow_the_surface(live):
    old = live.canvas
    live.surface_dropdown.value = "rosenbrock"
    assert live.canvas is not old and live.canvas.figure is live.figure
    assert live.widget.children[0] is live.canvas
    assert old.comm is None  # the old canvas widget is closed
    press(live, -1.0, 2.0)
    assert live.start == pytest.approx((-1.0, 2.0), abs=pixel(live))
    np.testing.assert_allclose(line_xy(live, "adam")[0], live.start, atol=1e-6)


def test_interactive_false_uses_the_image_widget_even_with_ipympl():
    pytest.importorskip("ipympl")
    ex = optviz.explore("bowl", ["sgd"], steps=20, max_steps=40, interactive=False)
    assert not ex.interactive and ex.image is not None and ex.canvas is None
