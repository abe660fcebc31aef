"""The interactive page (`optviz/render/html.py`, `player.js`), in a real browser.

Without a browser: one self-contained file within its size budget, byte-identical
reruns, atomic writes, the command line. With Debian's Chromium driven by
Playwright's Python package: the page plays, scrubs, toggles, hovers and answers
keys and touch; every marker lands on the pixel its step maps to; the counter and
the legend's event notes read as in the GIF; a screenshot matches the GIF's frame at
the same step; it works inside an iframe and pasted twice into a scaled slide; and
it asks the network for nothing and logs no error (checked after every page).
"""

from __future__ import annotations

import base64
import io
import os
import re

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image
from typer.testing import CliRunner

from optviz import surfaces
from optviz.errors import OptvizError
from optviz.paths import Path
from optviz.render import html as html_page
from optviz.render import make_stage, pagedata, render
from optviz.render.scene2d import FAN_PX
from optviz.surfaces.base import Levels, Minimum, Surface

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--force-color-profile=srgb",  # colours as written, whatever the machine's display
]  # fmt: skip
HOW = (
    "the browser tests need Chromium and Playwright's Python package: "
    "apt-get install -y chromium && pip install -e '.[test]' (they drive "
    f"{CHROMIUM}; do not run 'playwright install')"
)
SIZE = W, H = 480, 360
STEPS = 121  # rows per path: steps 0..120
N = 60  # the step most checks look at: every head in sight and apart
KW = dict(size=SIZE, fps=10)


def beale_np(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


BEALE = Surface(
    name="beale", fn=lambda p: beale_np(p[0], p[1]), domain=((-4.5, 4.5), (-4.5, 4.5)),
    minima=(Minimum((3.0, 0.5), 0.0),), starts=((2.0, 1.7),), description="",
    reference="", formula="", levels=Levels("log", 20),
)  # fmt: skip


def curve(name, end, bend=0.0, steps=STEPS, diverged_at=None, start=(2.0, 1.7)) -> Path:
    """From `start` to `end`, bowed sideways by `bend`: a registry optimizer's path."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    a, b = np.asarray(start), np.asarray(end)
    side = np.array([-(b - a)[1], (b - a)[0]]) / np.hypot(*(b - a))
    xy = (1 - t) * a + t * b + bend * np.sin(np.pi * t) * side
    return Path(xy, beale_np(xy[:, 0], xy[:, 1]), optimizer=name, diverged_at=diverged_at)


# SGD stays in, momentum leaves the plot (about step 70), Adam diverges at step 80.
RACE = [
    curve("sgd", (-3.0, 3.0), bend=0.8),
    curve("momentum", (6.5, -1.0)),
    curve("adam", (-2.0, -3.5), bend=-0.6, diverged_at=80),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The page (60 frames at 10 fps: six seconds at speed 1) and a GIF with a frame
    every ten steps, from the same paths."""
    folder = tmp_path_factory.mktemp("html")
    page, gif = folder / "race.html", folder / "race.gif"
    render(BEALE, RACE, page, frames=60, **KW)
    assert render(BEALE, RACE, gif, frames=13, **KW).steps == tuple(range(0, STEPS, 10))
    return page, gif


@pytest.fixture(scope="module")
def stage():
    """The figure the page was made from, for where things are drawn."""
    return make_stage(BEALE, RACE, size=SIZE)[0]


# ---------------------------------------------------------------- without a browser


def test_one_file_that_names_nothing_outside(files):
    text = files[0].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert re.findall(r'\bsrc="([^"]*)"', text) and all(
        s.startswith("data:image/png;base64,") for s in re.findall(r'\bsrc="([^"]*)"', text)
    )
    bare = re.sub(r"data:(image/png|font/woff);base64,[A-Za-z0-9+/=]+", "", text)
    assert not re.search(r"https?:|//[a-z]|@import|url\([^)]", bare, re.I)  # nothing to fetch
    assert "default-src 'none'" in text  # and the browser is told to fetch nothing
    assert ' id="' not in text  # nothing that could clash with a host page's ids
    assert not re.search(r"\b(top|parent|opener)\.", bare)  # no reaching out of a frame


def test_six_optimizers_1000_steps_in_200_kb(tmp_path):
    """The real Beale landscape; paths that zig-zag a little every step are harder to
    pack than an optimizer's, so this is a bound with room."""
    rng = np.random.default_rng(0)
    names = ["sgd", "momentum", "nag", "adagrad", "rmsprop", "adam"]
    t = np.linspace(0.0, 1.0, 1001)[:, None]
    paths = []
    for i, name in enumerate(names):
        angle = 2 * np.pi * i / len(names)
        spiral = np.column_stack([np.cos(angle + 9 * t[:, 0]), np.sin(angle + 9 * t[:, 0])])
        # from a circle of radius 3 round (0, 0.5), spiralling in to the minimum (3, 0.5)
        xy = (3.0, 0.5) + (1 - t) ** 2 * (3.0 * spiral - (3.0, 0.0))
        xy += rng.normal(0, 0.004, (1001, 2))
        paths.append(Path(xy, beale_np(xy[:, 0], xy[:, 1]), optimizer=name))
    whole = {"xlim": (-4.5, 4.5), "ylim": (-4.5, 4.5)}  # Beale's whole domain
    info = render(surfaces.get("beale"), paths, tmp_path / "six.html", size=(640, 480), **whole)
    assert info.bytes <= 200 * 1024, info.bytes


def test_same_inputs_same_bytes(tmp_path, files):
    again = tmp_path / "again.html"
    render(BEALE, RACE, again, frames=60, **KW)
    assert again.read_bytes() == files[0].read_bytes()


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "race.html"
    out.write_text("before")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(html_page, "page", broken)
    with pytest.raises(OSError, match=r"race\.html"):
        render(BEALE, RACE, out, frames=10, **KW)
    assert out.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["race.html"]


def test_transparent_and_empty_races_are_refused(tmp_path):
    with pytest.raises(OptvizError, match="--transparent works with png and webp"):
        render(BEALE, RACE, tmp_path / "t.html", transparent=True, **KW)
    with pytest.raises(OptvizError, match=r"use \.png"):
        render(BEALE, [], tmp_path / "e.html", **KW)
    assert not list(tmp_path.iterdir())


def test_legend_entries_are_apart_and_in_the_picture(stage):
    """Each optimizer's toggle covers its legend entry, and only that."""
    boxes = pagedata._legend_boxes(stage, stage.canvas.get_renderer())
    assert len(boxes) == len(stage.tracks)
    for i, (x, y, w, h) in enumerate(boxes):
        assert 0 <= x and 0 <= y and x + w <= W and y + h <= H and w > 20 and h > 8
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y


def test_far_points_keep_the_direction_of_their_lines():
    """A point too far off to store (a diverging path) is cut from the line: the
    segments to and from it end where they cross the frame's margin, on the line
    through the real point; a point that is not finite breaks the line."""
    px = np.array([[100.0, 100.0], [1e12, 100.0], [100.0, 200.0], [np.nan, np.nan], [1.0, 2.0]])
    out = pagedata._pixels(px, W, H)
    edge = W + pagedata.MARGIN
    assert out["cut"] == [[1, [edge, 100.0], [edge, 200.0]], [3, None, None]]
    assert pagedata.vlq([1000, 0, 0, 0, -990]) == out["x"]  # tenths, deltas; cut: kept


def test_vlq_packs_whole_numbers():
    assert pagedata.vlq([0, 1, -1, 15, 16, -1000]) == "ACBegBv-B"
    m, e = pagedata._loss_digits(np.array([0.0, 1.23456e-7, -42.0, np.nan, 99995.0]))
    assert m.tolist() == [0, 1235, -4200, 0, 1000]
    assert e.tolist() == [0, -7, 1, pagedata.NAN_EXP, 5]


def test_command_line_writes_html_in_japanese_and_dark(tmp_path, monkeypatch):
    from optviz.cli import app

    monkeypatch.chdir(tmp_path)
    args = ["animate", "sgd,momentum,adam", "beale", "--out", "race.html", "--steps", "30"]
    more = ["--lang", "ja", "--theme", "dark", "--size", "320x240"]
    result = CliRunner().invoke(app, [*args, *more])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "race.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in text and "確率的勾配降下法 (SGD)" in text
    assert "background:#14161c" in text  # the dark theme's background
    # the page's own words (hover, controls) come with the glyphs they need
    needed = set("確率的勾配降下法 (SGD)モーメンタムステップ損失0123456789.,-()=/") - {" "}
    assert needed <= embedded_glyphs(text)
    bad = CliRunner().invoke(app, [*args[:3], "--out", "race.gif", "--format", "html"])
    assert bad.exit_code == 2 and "says gif, not html" in bad.output


def embedded_glyphs(text: str) -> set[str]:
    """The characters the page's embedded fonts can draw."""
    from fontTools.ttLib import TTFont

    have = set()
    for data in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", text):
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        have |= {chr(c) for c in font.getBestCmap()}
    return have


# ---------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium for the module, with a fresh profile. Without one the browser
    tests skip, saying how to get it; on CI (.ci/run installs it) they fail instead."""
    missing = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"no {CHROMIUM}: {HOW}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing(f"no playwright: {HOW}")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=CHROMIUM, headless=True,
            args=ARGS, viewport={"width": W, "height": H + 80}, device_scale_factor=1,
            has_touch=True,
        )  # fmt: skip
        yield context
        context.close()


@pytest.fixture
def visit(browser):
    """visit(file, *others): a new tab on `file`, its race ready. Every request is
    routed: only `file` and `others` may load; afterwards the test fails on any other
    request, and on any console error or uncaught exception."""
    opened = []

    def visit_(file, *others):
        page = browser.new_page()
        allowed = {p.as_uri() for p in (file, *others)}
        asked, errors = [], []

        def route(r):
            asked.append(r.request.url)
            r.continue_() if r.request.url in allowed else r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(file.as_uri())
        opened.append((page, asked, errors, allowed))
        if not others:
            page.wait_for_selector(".optviz-race.ov-ready", timeout=5000)
        return page

    yield visit_
    for page, asked, errors, allowed in opened:
        page.close()
        assert set(asked) <= allowed, f"the page asked for {set(asked) - allowed}"
        assert not errors, errors


def go_to(page, step: int) -> None:
    page.fill(".ov-scrub", str(step))
    assert page.eval_on_selector(".ov-step", "e => e.value") == f"{step:,} / {STEPS - 1:,}"


def layer(page, name: str) -> np.ndarray:
    """A canvas's RGBA pixels ("trails": lines and starts; "heads": heads, event
    marks, legend notes, counter)."""
    url = page.eval_on_selector(f".ov-{name}", "c => c.toDataURL('image/png')")
    data = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")).astype(int)


def picture(page) -> np.ndarray:
    """What the figure shows (landscape and both layers), as RGB."""
    png = page.locator(".ov-figure").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def gif_frame(path, step: int, fps: float = KW["fps"]) -> np.ndarray:
    """The GIF's frame showing `step` (a frame every ten steps; frames that repeat
    the one before are merged into one that lasts longer)."""
    with Image.open(path) as im:
        t = 0
        for k in range(im.n_frames):
            im.seek(k)
            t += im.info["duration"]
            if t > step // 10 * 1000 / fps:
                return np.asarray(im.convert("RGB")).astype(int)
    raise AssertionError(f"no frame for step {step}")


def rgb(color) -> np.ndarray:
    return np.array([round(255 * v) for v in to_rgb(color)])


def count(img: np.ndarray, color, box=None) -> int:
    """Opaque pixels of `color` (within 8 levels) in img, or in box (x0, y0, x1, y1)."""
    if box is not None:
        x0, y0, x1, y1 = (round(v) for v in box)
        img = img[max(y0, 0) : y1, max(x0, 0) : x1]
    near = np.abs(img[..., :3] - rgb(color)).max(axis=-1) <= 8
    return int((near & (img[..., 3] == 255)).sum() if img.shape[-1] == 4 else near.sum())


def solid_differences(a: np.ndarray, b: np.ndarray, level: int = 48) -> int:
    """Pixels that differ by more than `level` and whose 8 neighbours all do too: a
    thing missing, extra or moved. Anti-aliasing differs only along edges, in
    fringes one or two pixels wide, which this leaves out."""
    m = np.abs(a - b).max(axis=-1) > level
    core = m[1:-1, 1:-1].copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            core &= m[1 + dy : m.shape[0] - 1 + dy, 1 + dx : m.shape[1] - 1 + dx]
    return int(core.sum())


def test_play_then_scrub_puts_each_head_on_its_pixel(visit, files, stage):
    page = visit(files[0])
    assert page.eval_on_selector(".ov-step", "e => e.value") == f"0 / {STEPS - 1}"
    page.click(".ov-play")
    page.wait_for_function("() => document.querySelector('.ov-scrub').value > 0", timeout=3000)
    assert "ov-playing" in page.eval_on_selector(".optviz-race", "e => e.className")
    page.click(".ov-play")  # pause
    assert "ov-playing" not in page.eval_on_selector(".optviz-race", "e => e.className")
    go_to(page, N)
    heads = layer(page, "heads")
    scene = stage.scenes[0]
    where = scene.to_pixels(np.array([t.head(N) for t in stage.tracks]))
    gaps = np.hypot(*(where[:, None] - where[None]).transpose(2, 0, 1))
    assert gaps[np.triu_indices(3, 1)].min() > 2 * FAN_PX  # apart: none is fanned out
    for track, (x, y) in zip(stage.tracks, where, strict=True):
        colour = rgb(track.color)
        assert (np.abs(heads[round(y - 0.5), round(x - 0.5), :3] - colour) <= 8).all()
        c0, r0 = round(x) - 16, round(y) - 16  # a window round it; heads are > 20 px apart
        near = heads[r0 : r0 + 33, c0 : c0 + 33]
        ys, xs = np.nonzero((np.abs(near[..., :3] - colour).max(-1) <= 8) & (near[..., 3] == 255))
        centre = (c0 + (xs.min() + xs.max() + 1) / 2, r0 + (ys.min() + ys.max() + 1) / 2)
        assert np.hypot(centre[0] - x, centre[1] - y) <= 1.5, (track.name, centre, (x, y))
        assert count(heads, track.color) == len(xs)  # one marker, nowhere else


def test_counter_and_event_notes_read_as_in_the_gif(visit, files, stage):
    page = visit(files[0])
    c = stage.counter
    band = slice(0, c.band), slice(round(c.right - 4 * c.advance), W)  # room for "120"
    notes = {t.name: t.event_step for t in stage.tracks if t.event_step is not None}
    assert sorted(notes.values())[-1] == 80 and len(notes) == 2
    for step in (N, N + 1, *(s - 1 for s in notes.values()), *notes.values()):
        go_to(page, step)
        shot = picture(page)
        frame = stage.frame(step)[..., :3].astype(int)
        assert np.abs(shot[band] - frame[band]).max() <= 2, step  # the digits, exactly
        for copy, _ in stage.notes:  # the legend's notes: name alone, then the event
            box = copy.get_window_extent(stage.canvas.get_renderer())
            rows = slice(round(H - box.y1), round(H - box.y0))
            cols = slice(round(box.x0), round(box.x1))
            assert np.abs(shot[rows, cols] - frame[rows, cols]).mean() <= 3, step
    a, b = stage.frame(N)[..., :3].astype(int), stage.frame(N + 1)[..., :3].astype(int)
    assert np.abs(a[band] - b[band]).max() > 100  # the check above can tell N from N + 1


def test_screenshot_matches_the_gif_frame_at_the_same_step(visit, files):
    """Tolerance: on average at most 2 levels of 255 per pixel (the GIF's 255-colour
    palette and the page's 256-colour landscape round colours by a level or two), and
    no solid difference: every pixel that differs by more than 48 levels lies in a
    fringe at most two pixels wide (Chromium's and Agg's anti-aliasing of the same
    line or marker edge, Agg's marker centres snapped to the pixel grid), so nothing
    is missing, extra or moved by more than a pixel or two. The same screenshot
    against another step's frame fails both ways, so the tolerance can fail."""
    page = visit(files[0])
    step = 100  # after both events: the exit mark, the cross, the notes
    go_to(page, step)
    shot = picture(page)
    gif = gif_frame(files[1], step)
    assert shot.shape == gif.shape == (H, W, 3)
    assert np.abs(shot - gif).mean() <= 2.0
    assert solid_differences(shot, gif) == 0
    other = gif_frame(files[1], step - 10)
    assert solid_differences(shot, other) > 50


def test_a_path_that_flies_off_and_back_draws_as_in_the_gif(visit, tmp_path):
    """Swinging round and out to 1e10, its lines crossing the plot between points far
    outside it, then diverging."""
    k = np.arange(STEPS)[:, None]
    turn = np.column_stack([np.cos(2.3 * k[:, 0]), np.sin(2.3 * k[:, 0])])
    xy = (0.5, 0.5) + np.where(k < 40, 1.8 ** np.minimum(k, 40), np.nan) * 0.05 * turn
    wild = Path(xy, beale_np(xy[:, 0], xy[:, 1]), optimizer="nag", diverged_at=40)
    race = [RACE[0], wild]
    render(BEALE, race, tmp_path / "wild.html", **KW)
    page = visit(tmp_path / "wild.html")
    go_to(page, N)
    stage = make_stage(BEALE, race, size=SIZE)[0]
    frame = stage.frame(N)[..., :3].astype(int)
    shot = picture(page)
    assert solid_differences(shot, frame) == 0
    assert count(frame, stage.tracks[1].color) > 300  # lines across the plot, both ways


def test_toggle_an_optimizer_off_and_on(visit, files, stage):
    page = visit(files[0])
    go_to(page, N)
    before = {name: layer(page, name) for name in ("trails", "heads")}
    sgd, momentum = stage.tracks[0], stage.tracks[1]
    axes = stage.scenes[0].ax.bbox
    inside = (axes.x0, H - axes.y1, axes.x1, H - axes.y0)
    assert count(before["trails"], momentum.color, inside) > 100
    assert count(before["heads"], momentum.color, inside) > 20
    page.click('.ov-toggle[data-track="1"]')
    assert page.get_attribute('.ov-toggle[data-track="1"]', "aria-pressed") == "false"
    after = {name: layer(page, name) for name in ("trails", "heads")}
    for name in after:
        assert count(after[name], momentum.color, inside) == 0
        assert count(after[name], sgd.color, inside) == count(before[name], sgd.color, inside)
    page.keyboard.press("2")  # the keyboard's way: optimizer 2 back on
    assert page.get_attribute('.ov-toggle[data-track="1"]', "aria-pressed") == "true"
    assert (layer(page, "trails") == before["trails"]).all()


def test_keys_move_play_and_pause(visit, files):
    page = visit(files[0])
    page.focus(".optviz-race")
    page.keyboard.press("End")
    assert page.input_value(".ov-scrub") == str(STEPS - 1)
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.input_value(".ov-scrub") == "3"
    page.keyboard.press("Shift+ArrowRight")  # a twentieth of the race
    assert page.input_value(".ov-scrub") == "9"
    page.keyboard.press("ArrowLeft")
    assert page.input_value(".ov-scrub") == "8"
    page.keyboard.press(" ")
    assert "ov-playing" in page.eval_on_selector(".optviz-race", "e => e.className")
    page.keyboard.press(" ")
    assert "ov-playing" not in page.eval_on_selector(".optviz-race", "e => e.className")


def test_speed_sets_steps_per_second(visit, files):
    """Speed 1 runs the race in the GIF's time (60 frames at 10 fps: 120 steps in 6 s,
    20 a second); 4x: 80 a second. Measured over 0.6 s with the page's own clock."""
    page = visit(files[0])
    page.select_option(".ov-speed", "4")
    page.click(".ov-play")
    rate = page.evaluate(
        """async () => {
            const scrub = document.querySelector('.ov-scrub');
            const sample = () => [performance.now(), +scrub.value];
            await new Promise((r) => setTimeout(r, 100));
            const a = sample();
            await new Promise((r) => setTimeout(r, 600));
            const b = sample();
            return (b[1] - a[1]) / ((b[0] - a[0]) / 1000);
        }"""
    )
    page.click(".ov-play")
    assert 80 * 0.7 <= rate <= 80 * 1.3, rate


def test_hover_and_touch_name_optimizer_step_position_loss(visit, files, stage):
    page = visit(files[0])
    go_to(page, N)
    box = page.locator(".ov-figure").bounding_box()
    scene = stage.scenes[0]
    for track, k, how in ((stage.tracks[0], 30, "mouse"), (stage.tracks[2], 20, "touch")):
        x, y = scene.to_pixels(track.xy[k])[0]
        if how == "mouse":
            page.mouse.move(box["x"] + x, box["y"] + y)
        else:
            page.touchscreen.tap(box["x"] + x, box["y"] + y)
        tip = page.locator(".ov-tip")
        assert tip.is_visible()
        lines = tip.inner_text().splitlines()
        assert lines[0] == track.name and lines[1] == f"step {k}"
        numbers = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", lines[2])]
        assert numbers == pytest.approx(track.xy[k], abs=1e-4)
        assert float(lines[3].split()[1]) == pytest.approx(track.loss[k], rel=1e-3)
    page.mouse.move(box["x"] + 2, box["y"] + 2)  # nothing there
    assert not page.locator(".ov-tip").is_visible()
    fonts = page.evaluate("() => [...document.fonts].map((f) => [f.family, f.status])")
    assert fonts and all(s == "loaded" for _, s in fonts)  # its own, used, not blocked


def test_fits_an_iframe_and_two_copies_in_a_scaled_slide(visit, files, stage, tmp_path):
    """An iframe, as reveal.js embeds pages; then the race's block pasted twice into
    one page inside a CSS-scaled section, as reveal.js scales slides."""
    host = tmp_path / "host.html"
    host.write_text(
        f'<!DOCTYPE html><body style="margin:0"><iframe src="{files[0].as_uri()}"'
        ' style="width:300px;height:400px;border:0"></iframe></body>'
    )
    page = visit(host, files[0])
    frame = page.frame_locator("iframe")
    frame.locator(".optviz-race.ov-ready").wait_for(timeout=5000)
    fig = frame.locator(".ov-figure").bounding_box()
    assert fig["width"] <= 300 and fig["width"] / fig["height"] == pytest.approx(W / H, rel=0.01)
    width = frame.locator(".ov-heads").evaluate("c => c.width")
    assert width == round(fig["width"])  # drawn at the size shown, not the picture's
    text = files[0].read_text(encoding="utf-8")
    block = text[text.index('<div class="optviz-race"') : text.index("</body>")]
    slide = tmp_path / "slide.html"
    deck = "section img, section canvas { max-width: 90%; margin: 9px; border: 3px solid red }"
    slide.write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><style>{deck}</style><body style="margin:0">'
        '<section style="width:960px;transform:scale(0.5);transform-origin:0 0">'
        f"{block}{block}</section></body>",
        encoding="utf-8",
    )
    page = visit(slide)
    page.wait_for_function("() => document.querySelectorAll('.ov-ready').length === 2")
    races = page.locator(".optviz-race")
    second = races.nth(1)
    second.locator(".ov-scrub").fill(str(N))
    assert second.locator(".ov-step").inner_text().startswith(f"{N} /")
    assert races.nth(0).locator(".ov-step").inner_text().startswith("0 /")
    second.locator(".ov-figure").scroll_into_view_if_needed()
    fig = second.locator(".ov-figure").bounding_box()  # on screen: 960 px scaled by 0.5
    assert fig["width"] == pytest.approx(480, abs=1) and fig["height"] == pytest.approx(360, abs=1)
    for part in ("img", "canvas.ov-heads"):  # the deck's rules do not shift the layers
        box = second.locator(part).bounding_box()
        assert [box[k] for k in "xy"] == pytest.approx([fig[k] for k in "xy"], abs=0.5)
        assert box["width"] == pytest.approx(fig["width"], abs=0.5)
    x, y = stage.scenes[0].to_pixels(stage.tracks[0].xy[30])[0]
    page.mouse.move(fig["x"] + x * fig["width"] / W, fig["y"] + y * fig["height"] / H)
    assert second.locator(".ov-tip").inner_text().splitlines()[:2] == ["SGD", "step 30"]
    assert not races.nth(0).locator(".ov-tip").is_visible()
