"""`optviz.atlas`: maps of many runs checked against independent oracles (gradient
descent in numpy float64, the heavy-ball stability limit, the paper's network in
numpy), against the engine's full paths, and read back from the files written."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import optviz
from optviz import engine, surfaces
from optviz.errors import OptvizError
from optviz.maps import basins, boxcount, fractal
from optviz.maps.axes import DIVERGED, LEFT, NEVER, NOT_CONVERGED, Axis

ROOT = Path(__file__).resolve().parent.parent
HIMMELBLAU = surfaces.get("himmelblau")


def himmelblau_grad(x, y):
    """The textbook gradient of (x^2 + y - 11)^2 + (x + y^2 - 7)^2."""
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


def sgd_oracle(x, y, lr, steps, minima, tol):
    """Plain gradient descent in float64: (first step near each minimum, final point)."""
    first = [NEVER] * len(minima)
    with np.errstate(all="ignore"):
        for i in range(steps + 1):
            for k, (mx, my) in enumerate(minima):
                if first[k] == NEVER and (x - mx) ** 2 + (y - my) ** 2 <= tol * tol:
                    first[k] = i
            if i < steps:
                gx, gy = himmelblau_grad(x, y)
                x, y = x - lr * gx, y - lr * gy
    return first, (x, y)


@pytest.fixture(scope="module")
def basins_8():
    """SGD and Adam from 11 x 11 start points on Himmelblau (grid points at whole numbers)."""
    return optviz.atlas(["sgd", "adam"], "himmelblau", grid=11, steps=150, lr={"sgd": 0.01})


def test_basins_match_gradient_descent_in_float64(basins_8):
    minima = [m.xy for m in HIMMELBLAU.minima]
    out = basins_8.panels["sgd"]
    xs, ys = basins_8.x.values, basins_8.y.values
    checked = 0
    for i in range(0, 11, 2):
        for j in range(0, 11, 2):
            first, (fx, fy) = sgd_oracle(xs[j], ys[i], 0.01, 150, minima, basins_8.tol)
            d2 = [(fx - mx) ** 2 + (fy - my) ** 2 for mx, my in minima]
            k = int(np.argmin(d2))
            if d2[k] <= basins_8.tol**2:
                assert out.outcome[i, j] == k, (xs[j], ys[i])
                assert abs(int(out.step[i, j]) - first[k]) <= 1
                checked += 1
            np.testing.assert_allclose(out.final_xy[i, j], (fx, fy), atol=2e-3)
    assert checked >= 20  # most starts reach a minimum in 150 steps at lr 0.01


def test_a_start_at_a_minimum_is_there_at_step_0(basins_8):
    for name in ("sgd", "adam"):
        got = basins_8.outcome_at(3.0, 2.0, name)
        assert got == optviz.atlases.Outcome("minimum", 0, (3.0, 2.0))


def test_a_big_learning_rate_diverges_like_the_oracle():
    a = optviz.atlas("sgd", "himmelblau", grid=11, steps=40, lr=0.5)
    out = a.panels["sgd"]
    assert (out.outcome == DIVERGED).mean() > 0.9
    i, j = a.y.index(4.0), a.x.index(-4.0)
    with np.errstate(all="ignore"):
        x, y = -4.0, 4.0
        blown = None
        for step in range(1, 41):
            gx, gy = himmelblau_grad(x, y)
            x, y = x - 0.5 * gx, y - 0.5 * gy
            if blown is None and not abs(x) < 1e30:  # float32 overflows about here
                blown = step
    assert out.outcome[i, j] == DIVERGED
    assert blown is not None and abs(int(out.diverged[i, j]) - blown) <= 1
    assert a.outcome_at(-4.0, 4.0).kind == "diverged"


@pytest.mark.parametrize("name, lr", [("kfac", 0.5), ("sgd", 0.05)])
def test_map_mode_matches_the_engines_full_paths(name, lr):
    x, y = Axis("x", -4.5, 4.5, 3), Axis("y", -4.5, 4.5, 3)
    hp = optviz.optimizers.spec(name).resolve("himmelblau", learning_rate=lr)
    tol = basins.default_tol(HIMMELBLAU)
    got = basins.start_map(name, HIMMELBLAU, x, y, 60, hp, tol=tol)
    X, Y = np.meshgrid(x.values, y.values)
    starts = np.stack([X.ravel(), Y.ravel()], -1)
    paths = engine.trajectories(name, HIMMELBLAU, starts=starts, steps=60, **hp)
    pos = paths.positions[0]  # (9, 61, 2)
    minima = np.asarray([m.xy for m in HIMMELBLAU.minima])
    d2 = ((pos[:, :, None, :] - minima) ** 2).sum(-1)  # (9, 61, 4)
    near = d2 <= tol * tol
    first = np.where(near.any(1), near.argmax(1), NEVER)
    np.testing.assert_array_equal(got.first_hit.reshape(9, 4), first)
    np.testing.assert_array_equal(got.diverged.ravel(), paths.diverged_step[0])
    ok = paths.diverged_step[0] == NEVER
    np.testing.assert_allclose(got.final_xy.reshape(9, 2)[ok], pos[ok, -1], rtol=1e-5, atol=1e-5)
    if name == "sgd":  # at this rate SGD throws some starts to infinity
        assert not ok.all()


def test_hparam_map_follows_the_heavy_ball_stability_limit():
    """On the bowl (curvatures 1 and 20) momentum SGD is stable iff lr * 20 < 2 (1 + mu)."""
    a = optviz.atlas("momentum", "bowl", grid=12, steps=200,
                     map={"lr": (0.01, 0.3), "momentum": (0.0, 0.9)})  # fmt: skip
    out = a.panels["momentum"]
    L, M = np.meshgrid(a.x.values, a.y.values)
    ratio = L * 20.0 / (2.0 * (1.0 + M))
    start_loss = float(surfaces.get("bowl").fn(np.asarray(a.start)))
    stable, unstable = ratio < 0.85, ratio > 1.2
    assert stable.sum() > 20 and unstable.sum() > 20
    assert (out.final_loss[stable] < start_loss).all()
    assert np.isin(out.outcome[unstable], [DIVERGED, LEFT]).all()
    assert a.x.name == "learning_rate" and a.y.name == "momentum"


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"map": {"lrr": (1e-3, 1e-1), "momentum": (0, 0.9)}}, "did you mean 'lr'"),
        ({"map": {"lr": (1e-1, 1e-3), "momentum": (0, 0.9)}}, "LO must be below HI"),
        ({"map": {"lr": (0, 1e-1), "momentum": (0, 0.9)}, "log": ["lr"]}, "must be positive"),
        ({"map": {"lr": (1e-3, 1e-1)}}, "exactly two"),
        ({"grid": 1}, "at least 2"),
        ({"grid": 100_000}, "too large"),
    ],
)
def test_bad_requests_are_refused(kw, message):
    with pytest.raises(OptvizError, match=message):
        optviz.atlas("momentum", "rosenbrock", **kw)


def test_a_grid_beyond_the_memory_limit_names_the_limit(monkeypatch):
    from optviz import limits

    monkeypatch.setattr(limits, "budget", lambda: 2**20)
    with pytest.raises(OptvizError, match=r"the limit here is 0\.0 GiB"):
        optviz.atlas("sgd", "himmelblau", grid=400)


# --- The trainability fractal -----------------------------------------------------------


def paper_network(lr_in, lr_out, steps, width=16):
    """The paper's network and readout, in numpy float64, from the same weights and data."""
    p = {k: v.astype(np.float64) for k, v in fractal.problem(width).items()}
    w1, w2, x, y = p["w1"], p["w2"], p["x"], p["y"]
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            z = x @ w1 / math.sqrt(width)
            h = np.tanh(math.sqrt(2) * z)
            out = h @ w2 / width
            r = out - y
            losses.append(np.mean(r**2))
            d_out = 2 * r / r.size
            g2 = h.T @ d_out / width
            dh = d_out @ w2.T / width
            dz = dh * math.sqrt(2) * (1 - h**2)
            g1 = x.T @ dz / math.sqrt(width)
            w1, w2 = w1 - lr_in * g1, w2 - lr_out * g2
    v = np.asarray(losses)
    v = np.where(np.isfinite(v), v, 1e6) / v[0]
    v = np.minimum(v, 1e6)
    return -v.sum() if v[-20:].mean() < 1 else (1 / v).sum()


def test_trainability_map_matches_the_papers_network_in_float64():
    x = Axis(fractal.X_NAME, 1e-1, 1e5, 3, True)
    y = Axis(fractal.Y_NAME, 1e-1, 1e5, 3, True)
    got = fractal.trainability_map(x, y, 30)
    for i, j in [(0, 0), (2, 2), (1, 0), (0, 2)]:
        want = paper_network(x.values[j], y.values[i], 30)
        assert np.sign(got["measure"][i, j]) == np.sign(want), (i, j)
        # a diverging run is chaotic: float32 and float64 part after a few steps
        assert got["measure"][i, j] == pytest.approx(want, rel=1e-3 if want < 0 else 3e-2)
    assert got["measure"][0, 0] < 0 < got["measure"][2, 2]  # slow converges, fast diverges
    blown = got["diverged"] != NEVER
    assert (got["measure"][blown] > 0).all()


def test_trainability_atlas_zooms_into_its_boundary(tmp_path):
    a = optviz.atlas(trainability=True, grid=12, steps=30, zoom=1)
    assert len(a.levels) == 2
    first, second = a.levels
    assert (first.measure < 0).any() and (first.measure > 0).any()
    width = lambda ax: math.log10(ax.hi) - math.log10(ax.lo)  # noqa: E731
    assert width(second.x) == pytest.approx(width(first.x) / 4)
    assert first.x.lo <= second.x.lo < second.x.hi <= first.x.hi
    info = a.save(tmp_path / "zoom.gif", size=(240, 240))
    with Image.open(info.path) as im:
        assert im.size == (240, 240) and im.n_frames >= 2
    assert 0.5 < a.dimension() <= 2.0


# --- Box counting -------------------------------------------------------------------------


def test_box_counting_on_shapes_of_known_dimension():
    n = 256
    line = np.eye(n, dtype=bool)
    assert boxcount.dimension(line) == pytest.approx(1.0, abs=0.02)
    yy, xx = np.mgrid[:n, :n]
    disc = np.where((xx - 128) ** 2 + (yy - 128) ** 2 < 90**2, -1.0, 1.0)
    assert boxcount.dimension(boxcount.sign_edges(disc)) == pytest.approx(1.0, abs=0.08)
    full = np.ones((n, n), bool)
    assert boxcount.dimension(full) == pytest.approx(2.0, abs=1e-9)
    sierpinski = (xx & yy) == 0  # Pascal's triangle mod 2: N(s) = 3^k exactly
    assert boxcount.dimension(sierpinski) == pytest.approx(math.log(3) / math.log(2), abs=1e-9)
    assert math.isnan(boxcount.dimension(np.zeros((n, n), bool)))


# --- Files and display ----------------------------------------------------------------------


def test_png_and_npz_read_back(basins_8, tmp_path):
    info = basins_8.save(tmp_path / "b.png", size=(700, 400))
    with Image.open(info.path) as im:
        assert im.size == (700, 400)
        rgb = np.asarray(im.convert("RGB"))
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50  # a picture, not a blank
    basins_8.save(tmp_path / "b.npz")
    with np.load(tmp_path / "b.npz") as f:
        np.testing.assert_array_equal(f["sgd/outcome"], basins_8.panels["sgd"].outcome)
        np.testing.assert_array_equal(f["adam/first_hit"], basins_8.panels["adam"].first_hit)
        np.testing.assert_array_equal(f["x"], basins_8.x.values)
    assert basins_8._repr_png_().startswith(b"\x89PNG")
    assert "basins of attraction of sgd, adam on himmelblau, 11x11" in repr(basins_8)
    with pytest.raises(OptvizError, match="zoom"):
        basins_8.save(tmp_path / "b.gif")
    assert not (tmp_path / "b.gif").exists()


def test_outcome_codes_cover_every_pixel(basins_8):
    for out in basins_8.panels.values():
        codes = set(np.unique(out.outcome).tolist())
        assert codes <= {0, 1, 2, 3, NOT_CONVERGED, LEFT, DIVERGED}
