"""The renderer, checked by structure: frame counts, sizes, timings, where each path's
colour lands, atomic writes, byte-identical reruns, and the 3-D projection."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from optviz import optimizers
from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.render import make_stage, project_to_pixels, render
from optviz.render.timeline import frame_steps, make_track
from optviz.surfaces.base import Levels, Minimum, Surface

SMALL = (320, 240)
COLORS = ("#e41a1c", "#377eb8", "#4daf4a")


def beale_np(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


@pytest.fixture(scope="module")
def beale() -> Surface:
    return Surface(
        name="beale",
        fn=lambda p: beale_np(p[0], p[1]),
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        minima=(Minimum((3.0, 0.5), 0.0),),
        starts=((2.0, 1.7),),
        description="",
        reference="",
        formula="",
        levels=Levels("log", 20),
    )


@pytest.fixture(scope="module")
def saddle() -> Surface:
    return Surface(
        name="saddle",
        fn=lambda p: p[0] ** 2 - p[1] ** 2,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(),
        starts=((-1.5, 0.1),),
        description="",
        reference="",
        formula="",
        saddles=((0.0, 0.0),),
        levels=Levels("linear", 15),
        view=(30.0, -60.0),
    )


def line_path(name, color, start, end, steps=60, fn=beale_np, diverged_at=None):
    """A straight path of registry optimizer `name` (any other name: a user's label)."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    xy = (1 - t) * np.asarray(start) + t * np.asarray(end)
    who = {"optimizer": name} if name in optimizers.names() else {"label": name}
    return Path(xy, fn(xy[:, 0], xy[:, 1]), color=color, diverged_at=diverged_at, **who)


@pytest.fixture(scope="module")
def race() -> list[Path]:
    """Three paths ending far apart, inside the domain; one marked diverged."""
    return [
        line_path("sgd", COLORS[0], (2.0, 1.7), (-3.0, 3.0)),
        line_path("momentum", COLORS[1], (2.0, 1.7), (3.0, 0.5)),
        line_path("adagrad", COLORS[2], (2.0, 1.7), (-2.0, -3.5), diverged_at=40),
    ]


def gif_frames(path):
    """All frames of a GIF as RGB arrays, and each frame's duration in ms."""
    with Image.open(path) as im:
        frames, durations = [], []
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")))
            durations.append(im.info["duration"])
    return frames, durations


def colour_near(frame, rgb, col, row, radius=4) -> bool:
    r0, c0 = int(np.rint(row)), int(np.rint(col))
    win = frame[max(r0 - radius, 0) : r0 + radius + 1, max(c0 - radius, 0) : c0 + radius + 1]
    return bool((win == np.asarray(rgb, np.uint8)).all(axis=-1).any())


def rgb255(color):
    return tuple(round(255 * v) for v in to_rgb(color))


def test_gif_structure_and_timing(beale, race, tmp_path):
    out = tmp_path / "race.gif"
    info = render(beale, race, out, frames=24, fps=12, size=SMALL, title="Beale")
    frames, durations = gif_frames(out)
    assert info.path == out and info.bytes == out.stat().st_size
    assert len(frames) == info.n_frames and 2 <= info.n_frames <= 24
    assert frames[0].shape == (SMALL[1], SMALL[0], 3) and info.size == SMALL
    assert sum(durations) == pytest.approx(24 / 12 * 1000 + 2000, abs=10)  # + the 2 s hold
    assert info.duration_s == pytest.approx(2.0 + 2.0, abs=0.01)  # + the held last frame
    assert info.steps[0] == 0 and info.steps[-1] == 59 and len(info.steps) == 24


def test_duplicate_frames_merge_keeping_total_time(beale, tmp_path):
    short = [line_path("A", COLORS[0], (2.0, 1.7), (3.0, 0.5), steps=4)]
    info = render(beale, short, tmp_path / "a.gif", frames=30, fps=10, size=SMALL)
    frames, durations = gif_frames(tmp_path / "a.gif")
    assert info.steps == (0, 1, 2, 3)  # 30 frames asked: one a step is all there is
    assert info.n_frames == len(frames) == 4  # the held copies merge into the last
    assert sum(durations) == pytest.approx(400 + 2000, abs=10)


@pytest.mark.parametrize("view", ["2d", "3d", "both"])
def test_each_path_colour_where_it_ends(beale, race, tmp_path, view):
    kw = dict(view=view, size=(480, 360) if view == "both" else SMALL)
    render(beale, race, tmp_path / "r.gif", frames=6, **kw)
    last = gif_frames(tmp_path / "r.gif")[0][-1]
    stage, _ = make_stage(beale, race, **kw)
    for scene in stage.scenes:
        for track, path in zip(scene.tracks, race, strict=True):
            end = track.head(10**9)
            if view == "2d" or (scene is stage.scenes[0] and view == "both"):
                col, row = scene.to_pixels(end)[0]
            else:
                z = track.loss[track.last] + scene.lift
                col, row = scene.to_pixels([[end[0], end[1], z]])[0]
            assert colour_near(last, rgb255(path.color), col, row), (path.label, col, row)


def test_diverged_label_reaches_the_legend(beale, race):
    stage, _ = make_stage(beale, race, size=SMALL)
    texts = [t.get_text() for leg in stage.fig.legends for t in leg.get_texts()]
    assert "Adagrad (diverged at step 40)" in texts
    assert "SGD" in texts


def test_same_inputs_same_bytes(beale, race, tmp_path):
    for name in ("a.gif", "b.gif"):
        render(
            beale,
            race,
            tmp_path / name,
            frames=8,
            size=SMALL,
            view="both",
            loss_panel=True,
            theme="dark",
        )
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()


@pytest.mark.parametrize("fmt", ["gif", "webp", "png"])
def test_failure_leaves_existing_file_and_no_temp(beale, race, tmp_path, fmt):
    out = tmp_path / f"keep.{fmt}"
    out.write_bytes(b"precious")

    def explode(done, total):
        if done == min(3, total):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        render(beale, race, out, frames=10, size=SMALL, fmt=fmt, progress=explode)
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_progress_reports_every_frame(beale, race, tmp_path):
    seen = []
    render(
        beale,
        race,
        tmp_path / "p.gif",
        frames=7,
        size=SMALL,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(k, 7) for k in range(1, 8)]


def test_dark_theme_has_dark_background(beale, race, tmp_path):
    render(beale, race, tmp_path / "d.png", fmt="png", size=SMALL, theme="dark")
    with Image.open(tmp_path / "d.png") as im:
        px = np.asarray(im.convert("RGB"), dtype=float)
    assert px[2, 2].mean() < 50 and np.median(px) < 110


def test_png_is_the_last_frame_still(beale, race, tmp_path):
    info = render(beale, race, tmp_path / "s.png", fmt="png", size=SMALL)
    with Image.open(tmp_path / "s.png") as im:
        assert im.format == "PNG" and im.size == SMALL and getattr(im, "n_frames", 1) == 1
        still = np.asarray(im.convert("RGB"))
    assert info.n_frames == 1 and info.steps == (59,)
    stage, _ = make_stage(beale, race, size=SMALL)
    col, row = stage.scenes[0].to_pixels(race[0].xy[-1])[0]
    assert colour_near(still, rgb255(race[0].color), col, row)


def test_webp_animation(beale, race, tmp_path):
    info = render(beale, race, tmp_path / "w.webp", fmt="webp", frames=6, fps=6, size=SMALL)
    with Image.open(tmp_path / "w.webp") as im:
        assert im.format == "WEBP" and im.size == SMALL
        assert im.n_frames == info.n_frames == 6
    assert info.duration_s == pytest.approx(1.0 + 2.0)  # + the held last frame


def test_mp4_without_the_extra_says_how_to_get_it(beale, race, tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "imageio_ffmpeg", None)
    with pytest.raises(OptvizError) as err:
        render(beale, race, tmp_path / "m.mp4", fmt="mp4", size=SMALL)
    assert str(err.value) == "mp4 needs the optional extra: pip install 'optviz[mp4]'"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "bad",
    [
        dict(view="4d"),
        dict(fmt="avi"),
        dict(theme="neon"),
        dict(frames=0),
        dict(fps=0),
        dict(size=(10, 10)),
    ],
)
def test_bad_arguments_are_user_errors(beale, race, tmp_path, bad):
    with pytest.raises(OptvizError):
        render(beale, race, tmp_path / "x.gif", **{"size": SMALL, **bad})
    assert list(tmp_path.iterdir()) == []


def test_paths_leaving_the_domain_do_not_move_the_axes(saddle, tmp_path):
    def f(x, y):
        return x**2 - y**2

    runaway = line_path("sgd", COLORS[0], (-0.5, -0.01), (1.0, -40.0), steps=50, fn=f)
    broken = Path(
        np.array([[0.5, 0.5], [1.0, 1.0], [np.inf, np.nan]]),
        np.array([0.0, 0.0, np.nan]),
        label="Adam",
        color=COLORS[1],
        diverged_at=2,
    )
    for view in ("2d", "3d"):
        stage, n = make_stage(saddle, [runaway, broken], view=view, size=SMALL, loss_panel=True)
        ax = stage.scenes[0].ax
        before = (ax.get_xlim(), ax.get_ylim())
        for s in frame_steps(n, 5):
            frame = stage.frame(int(s))
        assert (ax.get_xlim(), ax.get_ylim()) == before
        assert frame.shape == (SMALL[1], SMALL[0], 4)
    info = render(
        saddle,
        [runaway, broken],
        tmp_path / "s.gif",
        view="both",
        frames=5,
        size=(480, 360),
        loss_panel=True,
    )
    assert info.n_frames >= 2


def test_track_freezes_at_last_finite_point():
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, np.inf], [3.0, 3.0]])
    t = make_track(Path(xy, np.array([1.0, 2.0, np.inf, 4.0]), color="#000000"), "a")
    assert t.last == 1 and np.array_equal(t.xy[3], [1.0, 1.0])
    assert np.isnan(t.loss[2]) and t.upto(3) == slice(0, 2)
    assert list(frame_steps(100, 5)) == [0, 25, 50, 74, 99]
    assert list(frame_steps(10, 1)) == [9]


@pytest.mark.parametrize("where", [(3.0, 0.5), (-2.0, 3.0), (1.0, -1.0)])
def test_3d_projection_matches_where_matplotlib_draws(beale, where):
    """A pure-green marker drawn by matplotlib lands where project_to_pixels says."""
    stage, _ = make_stage(beale, [], view="3d", size=(400, 300))
    ax = stage.scenes[0].ax
    x, y = where
    z = float(beale_np(x, y))
    ax.plot([x], [y], [z], ls="none", marker="s", ms=5, mfc="#00ff00", mec="#00ff00", zorder=100)
    stage.canvas.draw()
    px = np.asarray(stage.canvas.buffer_rgba())[..., :3]
    rows, cols = np.nonzero((px == (0, 255, 0)).all(axis=-1))
    assert rows.size > 4
    col, row = project_to_pixels(ax, [[x, y, z]])[0]
    assert abs(cols.mean() + 0.5 - col) < 1.0 and abs(rows.mean() + 0.5 - row) < 1.0


@pytest.mark.parametrize("options", [dict(loss_panel=True), dict(theme="dark", dpi=150)])
def test_frames_drawn_with_pens_are_the_frames_line2d_draws(options, monkeypatch):
    """An animation frame's lines and markers go through `optviz.render.pen.Pen` (for
    speed); every pixel must be the one `Line2D.draw` itself puts there: markers of
    several shapes, a log-scale loss panel, another theme and dpi, several frames in
    turn (the grown lines) and one going back (drawn again from the start)."""
    import optviz
    from optviz.render import pen

    race = optviz.race(["sgd", "momentum", "adam"], "beale", steps=60)

    def frames():
        stage, n = make_stage(race.surface, race.drawn_paths(), size=SMALL, **options)
        steps = [*frame_steps(n, 6), 10]
        return [stage.frame(int(s)) for s in steps]

    with_pens = frames()
    monkeypatch.setattr(pen.Pen, "fits", staticmethod(lambda line: False))
    for a, b in zip(with_pens, frames(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_in_3d_a_path_that_leaves_ends_on_the_edge_with_its_mark_and_a_cross_where_one_diverged(
    saddle,
):
    """As in the contour view: the line reaches the domain's edge, where its own marker
    (hollow) appears from the step it left; a diverged path gets a cross where it stopped."""
    runaway = line_path("sgd", COLORS[0], (-0.5, 0.5), (0.5, 3.5), steps=31, fn=saddle_np)
    broken = line_path("adam", COLORS[1], (-1.0, -1.0), (1.0, -1.0), steps=21, fn=saddle_np,
                       diverged_at=12)  # fmt: skip
    stage, _ = make_stage(saddle, [runaway, broken], view="3d", size=(480, 360))
    scene = stage.scenes[0]
    # the exact crossing of y = 2 by the segment (-0.5, 0.5) -> (0.5, 3.5): at t = 1/2
    edge = np.array([0.0, 2.0])
    lift = scene.lift
    left = 16  # the first point beyond y = 2: y = 0.5 + 3 * 16 / 30 = 2.1
    assert runaway.xy[left - 1, 1] <= 2.0 < runaway.xy[left, 1]
    for step, shown in ((left - 1, False), (left, True), (30, True)):
        frame = stage.frame(step)
        mark = scene.marks[0].get_data_3d()
        if not shown:
            assert np.isnan(np.asarray(mark, dtype=float)).all()
            continue
        x, y, z = (float(np.asarray(v)[0]) for v in mark)
        assert (x, y) == pytest.approx(edge)
        assert z == pytest.approx(saddle_np(0.0, 2.0) + lift, abs=1e-5)
        line = np.column_stack(scene.lines[0].get_data_3d())
        finite = line[np.isfinite(line).all(axis=1)]
        np.testing.assert_allclose(finite[-1], [x, y, z], atol=1e-6)  # the line ends there
        col, row = (int(v) for v in project_to_pixels(scene.ax, [[x, y, z]])[0])
        scene.marks[0].set_visible(False)  # what the frame would be without the mark
        bare = stage.frame(step)
        scene.marks[0].set_visible(True)
        drawn = np.argwhere((frame[..., :3] != bare[..., :3]).any(axis=-1))
        assert len(drawn) and np.abs(drawn - [row, col]).max() <= 12  # a marker there, only
    x, y, z = (float(np.asarray(v)[0]) for v in scene.marks[1].get_data_3d())
    frozen = broken.xy[11]  # the last point before it diverged
    assert (x, y) == pytest.approx(tuple(frozen))
    assert z == pytest.approx(saddle_np(*frozen) + lift, abs=1e-5)
    assert scene.marks[1].get_marker() == "X" and scene.marks[0].get_marker() == "o"
    assert scene.marks[0].get_markerfacecolor() != scene.marks[0].get_markeredgecolor()


def saddle_np(x, y):
    return np.asarray(x, dtype=np.float64) ** 2 - np.asarray(y, dtype=np.float64) ** 2
