"""Pictures that tell their story: nothing hidden, room for the plot, events shown when
they happen, the end held, views that fit, clean stills. Measured on the pixels the
figure engine draws, not on its settings."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import optviz
from optviz import optimizers
from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.render import make_stage, render

FRAME = (640, 480)
VISIBLE = 0.5  # each head keeps at least half of its own pixels in sight


def _ink(stage, step: int) -> np.ndarray:
    return stage.frame(step)[..., :3].astype(np.int16)


def head_visibility(stage, step: int) -> list[float]:
    """Per path: the pixels its marker (its head, or the mark on the edge once it left
    the plot) changes with every other marker drawn, as a share of the pixels it
    changes when it is the only marker drawn."""
    scene = stage.scenes[0]
    stage.frame(step)
    heads = [
        mark if t.happened(step) and t.event == "left" else head
        for t, head, mark in zip(scene.tracks, scene.heads, scene.marks, strict=True)
    ]
    full = _ink(stage, step)
    shares = []
    for i, head in enumerate(heads):
        head.set_visible(False)
        seen = np.any(full != _ink(stage, step), axis=-1).sum()
        head.set_visible(True)
        others = [h for j, h in enumerate(heads) if j != i]
        for h in others:
            h.set_visible(False)
        alone = _ink(stage, step)
        head.set_visible(False)
        own = np.any(alone != _ink(stage, step), axis=-1).sum()
        for h in [*others, head]:
            h.set_visible(True)
        shares.append(seen / max(own, 1))
    return shares


@pytest.mark.parametrize(
    "names, surface",
    [
        (optimizers.names(), "rosenbrock"),  # Lion over Adam, AdamW and Nadam
        (["momentum", "nag"], "saddle"),  # one line under the other
        (["adam", "optax:adabelief"], "beale"),  # AdaBelief under Adam
    ],
)
def test_every_head_stays_in_sight_in_the_last_frame(names, surface):
    race = optviz.race(names, surface, steps=300)
    stage, n = make_stage(race.surface, race.drawn_paths(), size=FRAME)
    shares = head_visibility(stage, n - 1)
    hidden = {name: round(s, 2) for name, s in zip(names, shares, strict=True) if s < VISIBLE}
    assert not hidden, hidden


def test_coinciding_heads_are_spread_and_paths_that_run_together_are_dashed():
    xy = np.linspace([2.0, 1.7], [3.0, 0.5], 40)
    same = [Path(xy, np.ones(40), optimizer=n) for n in ("adam", "adamw", "nadam")]
    stage, n = make_stage(optviz.surfaces.get("beale"), same, size=FRAME)
    assert min(head_visibility(stage, n - 1)) >= VISIBLE
    styles = [line.get_linestyle() for line in stage.scenes[0].lines]
    assert styles[0] == "-" and styles[1] != "-" and styles[2] != "-"


def test_coinciding_heads_are_spread_in_3d_too():
    """The surface view moves heads that would cover each other apart on the picture,
    as the contour view does; each moved head keeps its height."""
    xy = np.linspace([2.0, 1.7], [3.0, 0.5], 40)
    beale = optviz.surfaces.get("beale")
    loss = np.asarray([float(beale.fn(p)) for p in xy.astype(np.float32)])
    same = [Path(xy, loss, optimizer=n) for n in ("adam", "adamw", "nadam")]
    stage, n = make_stage(beale, same, view="3d", size=FRAME)
    assert min(head_visibility(stage, n - 1)) >= VISIBLE
    scene = stage.scenes[0]
    heads = np.array([np.ravel(h.get_data_3d()) for h in scene.heads])
    assert np.ptp(heads[:, 2]) == 0 and heads[0, 2] == scene.xyz[0][n - 1, 2]  # heights kept
    spots = scene.to_pixels(heads)
    gaps = np.hypot(*(spots[:, None] - spots[None]).transpose(2, 0, 1))[np.triu_indices(3, 1)]
    assert gaps.min() > 10  # pixels apart, where they would all have been on one


@pytest.mark.parametrize("surface", ["saddle", "beale"])
def test_all_twelve_leave_half_the_frame_to_the_landscape(surface):
    race = optviz.race(optimizers.names(), surface, steps=1000)
    stage, _ = make_stage(race.surface, race.drawn_paths(), size=FRAME)
    box = stage.scenes[0].ax.get_window_extent()
    assert box.width * box.height >= 0.5 * FRAME[0] * FRAME[1], (box.width, box.height)
    legend = stage.fig.legends[0].get_window_extent()
    assert legend.x1 <= FRAME[0] and legend.y0 >= 0 and legend.y1 <= FRAME[1]


def test_leaving_the_plot_is_marked_at_the_edge_from_that_step_on():
    race = optviz.race(["adam", "sgd"], "saddle", steps=600)
    stage, _ = make_stage(race.surface, race.drawn_paths(), size=FRAME)
    scene = stage.scenes[0]
    adam = scene.tracks[0]
    assert adam.event == "left" and adam.event_step is not None
    n = adam.event_step
    (x0, x1), (y0, y1) = race.surface.domain
    ex, ey = adam.exit_xy
    on_edge = np.isclose([ex, ex, ey, ey], [x0, x1, y0, y1], atol=1e-9).any()
    assert on_edge and x0 <= ex <= x1 and y0 <= ey <= y1
    outside = race.paths["adam"][n]
    assert not (x0 <= outside[0] <= x1 and y0 <= outside[1] <= y1)  # the step it left
    note = stage.notes[0][0]
    stage.frame(n - 1)
    assert note.get_text() == "Adam" and scene.marks[0].get_xydata().size == 0
    stage.frame(n)
    # the full note, or the short one a crowded legend uses
    assert note.get_text() in {
        f"Adam{sep}{form}" for sep in (" ", "\n") for form in
        (f"left the plot at step {n}", f"left, step {n}", f"(left the plot at step {n})",
         f"(left, step {n})")
    }, note.get_text()  # fmt: skip
    np.testing.assert_allclose(scene.marks[0].get_xydata(), [[ex, ey]])


def test_divergence_is_named_when_it_happens():
    xy = np.linspace([2.0, 1.7], [2.5, 1.0], 50)
    xy[30:] = np.nan
    path = Path(xy, np.ones(50), optimizer="sgd", diverged_at=30)
    stage, _ = make_stage(optviz.surfaces.get("beale"), [path], size=FRAME)
    note = stage.notes[0][0]
    stage.frame(29)
    assert note.get_text() == "SGD"
    stage.frame(30)
    # the full note, or the short one where it leaves the plot more room
    assert note.get_text().replace("\n", " ") in {
        "SGD (diverged at step 30)", "SGD diverged at step 30", "SGD (diverged, step 30)",
        "SGD diverged, step 30",
    }, note.get_text()  # fmt: skip
    np.testing.assert_allclose(stage.scenes[0].marks[0].get_xydata(), [xy[29]])


def test_the_last_frame_is_held(tmp_path):
    race = optviz.race(["adam"], "bowl", steps=40)
    held = race.save(tmp_path / "held.gif", frames=20, fps=20)
    plain = race.save(tmp_path / "plain.gif", frames=20, fps=20, hold=0)
    durations = []
    for info in (held, plain):
        with Image.open(info.path) as im:
            im.seek(im.n_frames - 1)
            durations.append(im.info["duration"])
    assert durations == [2050, 50]  # 2 s on top of the frame's own 1/20 s
    assert held.duration_s == pytest.approx(plain.duration_s + 2.0, abs=0.01)
    with pytest.raises(OptvizError, match="hold must be from 0 to 60"):
        race.save(tmp_path / "x.gif", hold=-1)


def test_a_start_outside_the_view_is_an_error_unless_the_view_is_widened(tmp_path):
    race = optviz.race(["adam"], "beale", start=(10.0, 10.0), steps=30)
    with pytest.raises(
        OptvizError,
        match=r"outside the plotted domain of beale, x in \[-0.5, 4.5\], y in \[-2.25, 2.75\]",
    ):
        race.save(tmp_path / "x.gif", frames=3)
    assert not (tmp_path / "x.gif").exists()
    wide = race.save(tmp_path / "wide.gif", frames=3, xlim=(-5, 12), ylim=(-5, 12))
    assert wide.n_frames >= 1
    stage, _ = make_stage(race.surface, race.drawn_paths(), fit=True)
    (x0, x1), (y0, y1) = stage.scenes[0].ax.get_xlim(), stage.scenes[0].ax.get_ylim()
    path = race.paths["adam"]
    assert x0 < path[:, 0].min() and path[:, 0].max() < x1
    assert y0 < path[:, 1].min() and path[:, 1].max() < y1
    assert (x1 - x0) < 0.5 * 9.0  # much tighter than Beale's domain


def test_a_picture_of_a_surface_is_a_clean_still(tmp_path):
    beale = optviz.surfaces.get("beale")
    title = f"{beale.name}: {beale.formula}"
    stage, _ = make_stage(beale, [], view="both", title=title, starts=np.asarray(beale.starts))
    assert stage.counter is None
    np.testing.assert_allclose(
        stage.scenes[0].start_marks.get_xydata(), np.unique(np.asarray(beale.starts), axis=0)
    )
    stage.frame(0)
    renderer = stage.canvas.get_renderer()
    heading = stage.fig.texts[0]
    box = heading.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= stage.size[0], "the title runs off the picture"
    for scene in stage.scenes:
        tight = scene.ax.get_tightbbox(renderer)
        assert tight.x0 >= 0 and tight.x1 <= stage.size[0] + 1, scene
    out = tmp_path / "beale.png"
    render(beale, [], out, view="both", title=title, starts=beale.starts)
    assert out.stat().st_size > 0
