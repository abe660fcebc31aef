"""Pictures of maps (`optviz.atlas`): basins of attraction, hyperparameter maps, and the
trainability fractal, in the toy pictures' theme and type sizes.

Numbers in (the arrays of `optviz.maps`), a matplotlib Figure or frames out; nothing
here runs an optimizer.

Basins: one hue per known minimum (Okabe & Ito's colours, which stay apart for the
common colour-vision deficiencies), full where a run got there early and paler the
later it arrived (log of the step); greys for "not converged" and "left the domain",
near-black for "diverged". Hyperparameter maps: the final loss above the minimum on a
log colour scale, the divergence region in the diverged colour. The trainability map
follows the paper's picture: the measure's signed rank through the Spectral colour
map, blue for runs that converged, red for runs that diverged, deeper the slower.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from optviz.maps.axes import DIVERGED, LEFT, NOT_CONVERGED, Axis, Outcomes
from optviz.render.scene2d import mark_known_points, style_axes
from optviz.render.stage import DPI, base_fontsize
from optviz.render.theme import Theme
from optviz.surfaces.base import Surface

MINIMUM_HUES = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = {NOT_CONVERGED: "#d9d9d9", LEFT: "#8c8c8c", DIVERGED: "#2b2b2b"}
PALEST = 0.7  # how far towards the background the latest arrivals fade


def _rgb(color: str) -> np.ndarray:
    return np.asarray(to_rgb(color), dtype=np.float64)


def basin_colors(out: Outcomes, steps: int, n_minima: int, theme: Theme) -> np.ndarray:
    """(ny, nx, 3) float RGB of a basin map (see the module docstring)."""
    img = np.zeros((*out.outcome.shape, 3))
    for code, color in OTHER.items():
        img[out.outcome == code] = _rgb(color)
    fade = np.log1p(np.clip(out.step, 0, steps)) / np.log1p(max(steps, 1))
    bg = _rgb(theme.background)
    for k in range(n_minima):
        hit = out.outcome == k
        hue = _rgb(MINIMUM_HUES[k % len(MINIMUM_HUES)])
        w = PALEST * fade[hit][:, None]
        img[hit] = (1 - w) * hue + w * bg
    return img


def outcome_handles(surface: Surface, theme: Theme) -> list[Patch]:
    """Legend entries: each minimum's hue, then the other outcomes."""
    handles = [
        Patch(color=MINIMUM_HUES[k % len(MINIMUM_HUES)], label=f"→ ({m.xy[0]:.2f}, {m.xy[1]:.2f})")
        for k, m in enumerate(surface.minima)
    ]
    names = {NOT_CONVERGED: "not converged", LEFT: "left the domain", DIVERGED: "diverged"}
    handles += [Patch(color=OTHER[c], label=names[c]) for c in (NOT_CONVERGED, LEFT, DIVERGED)]
    return handles


def _figure(size: tuple[int, int], theme: Theme) -> tuple[Figure, float]:
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(fig)
    return fig, base_fontsize(size)


def _title(fig: Figure, title: str | None, theme: Theme, fs: float) -> None:
    if title:
        fig.suptitle(title, color=theme.text, fontsize=fs * 1.1)


def basins_figure(
    surface: Surface,
    panels: Sequence[tuple[str, Outcomes]],
    x: Axis,
    y: Axis,
    steps: int,
    *,
    size: tuple[int, int],
    theme: Theme,
    title: str | None = None,
) -> Figure:
    """One panel per optimizer: every start point coloured by where its run ended."""
    fig, fs = _figure(size, theme)
    n = len(panels)
    axes = fig.subplots(1, n, squeeze=False)[0]
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.3, top=0.86, wspace=0.12)
    extent = (x.lo, x.hi, y.lo, y.hi)
    for i, (ax, (label, out)) in enumerate(zip(axes, panels, strict=True)):
        style_axes(ax, theme, fs * 0.85)
        img = basin_colors(out, steps, len(surface.minima), theme)
        ax.imshow(img, origin="lower", extent=extent, interpolation="nearest", aspect="equal")
        mark_known_points(ax, surface, theme)
        ax.set_xlim(x.lo, x.hi)
        ax.set_ylim(y.lo, y.hi)
        ax.set_title(label, color=theme.text, fontsize=fs)
        ax.set_xlabel("x")
        if i == 0:
            ax.set_ylabel("y", rotation=0, labelpad=8)
        else:
            ax.tick_params(labelleft=False)
    legend = fig.legend(
        handles=outcome_handles(surface, theme),
        loc="lower center",
        ncol=4,
        frameon=False,
        fontsize=fs * 0.8,
        labelcolor=theme.text,
        handlelength=1.2,
        columnspacing=1.2,
        bbox_to_anchor=(0.5, 0.06),
    )
    legend.set_in_layout(False)
    fig.text(
        0.5,
        0.015,
        f"start points; paler: arrived later (of {steps} steps)",
        ha="center",
        va="bottom",
        color=theme.text,
        fontsize=fs * 0.75,
    )
    _title(fig, title, theme, fs)
    return fig


def _log_ticks(ax, axis: Axis, which: str) -> None:
    """On a log axis drawn in log10 units: ticks at powers of ten where the axis spans
    decades (labelled 10^k), else a few plain values."""
    lo, hi = _extent(axis)
    target = ax.xaxis if which == "x" else ax.yaxis
    if hi - lo >= 2:
        target.set_major_locator(MaxNLocator(nbins=5, integer=True))
        target.set_major_formatter(FuncFormatter(lambda v, _: f"$10^{{{v:g}}}$"))
    else:
        target.set_major_locator(MaxNLocator(nbins=3))
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{10**v:.4g}"))


def _extent(axis: Axis) -> tuple[float, float]:
    return (np.log10(axis.lo), np.log10(axis.hi)) if axis.log else (axis.lo, axis.hi)


def hparam_figure(
    label: str,
    out: Outcomes,
    x: Axis,
    y: Axis,
    minimum_value: float,
    *,
    mark: tuple[float, float] | None,
    size: tuple[int, int],
    theme: Theme,
    title: str | None = None,
) -> Figure:
    """Final loss (above the minimum, log colours) over two hyperparameters; the
    divergence region in the diverged colour; `mark`: the default setting."""
    fig, fs = _figure(size, theme)
    ax = fig.add_axes((0.14, 0.22, 0.6, 0.66))
    cax = fig.add_axes((0.79, 0.22, 0.03, 0.66))
    style_axes(ax, theme, fs * 0.85)
    style_axes(cax, theme, fs * 0.75)
    gap = np.where(out.outcome == DIVERGED, np.nan, out.final_loss - minimum_value)
    gap = np.where(np.isfinite(gap), np.maximum(gap, 0.0), np.nan)
    positive = gap[gap > 0]
    lo = max(float(positive.min()), 1e-12) if positive.size else 1e-12
    hi = max(float(positive.max()), lo * 10) if positive.size else 1.0
    norm = LogNorm(vmin=lo, vmax=hi, clip=True)
    cmap = colormaps["viridis"].with_extremes(bad=OTHER[DIVERGED])
    (x0, x1), (y0, y1) = _extent(x), _extent(y)
    im = ax.imshow(
        np.clip(gap, lo, None),
        origin="lower",
        extent=(x0, x1, y0, y1),
        cmap=cmap,
        norm=norm,
        interpolation="nearest",
        aspect="auto",
    )
    if mark is not None:
        mx = np.log10(mark[0]) if x.log else mark[0]
        my = np.log10(mark[1]) if y.log else mark[1]
        ax.plot(
            [mx],
            [my],
            ls="none",
            marker="*",
            ms=16,
            mfc=theme.minimum,
            mec=theme.text,
            label="default",
        )
    for which, axis in (("x", x), ("y", y)):
        if axis.log:
            _log_ticks(ax, axis, which)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(x.name)
    ax.set_ylabel(y.name)
    ax.set_title(label, color=theme.text, fontsize=fs)
    bar = fig.colorbar(im, cax=cax)
    bar.set_label("final loss − minimum", color=theme.text, fontsize=fs * 0.8)
    handles = [Patch(color=OTHER[DIVERGED], label="diverged")]
    if mark is not None:
        handles += ax.get_legend_handles_labels()[0]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=2,
        frameon=False,
        fontsize=fs * 0.8,
        labelcolor=theme.text,
    )
    _title(fig, title, theme, fs)
    return fig


def trainability_colors(measure: np.ndarray, buffer: float = 0.25) -> np.ndarray:
    """(ny, nx, 3) RGB: the measure's signed rank through Spectral, as in the paper
    (converged in [0.25, 1] blue, diverged in [-1, -0.25] red, deeper the slower)."""
    flat = np.sort(measure.ravel())
    neg = int((flat < 0).sum())
    ranks = np.concatenate([np.linspace(-1, -buffer, neg), np.linspace(buffer, 1, flat.size - neg)])
    value = -np.interp(measure, flat, ranks)
    return colormaps["Spectral"]((value + 1) / 2)[..., :3]


def fractal_figure(
    image: np.ndarray,
    x: Axis,
    y: Axis,
    *,
    size: tuple[int, int],
    theme: Theme,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """The trainability map `image` ((ny, nx, 3) from `trainability_colors`)."""
    fig, fs = _figure(size, theme)
    ax = fig.add_axes((0.17, 0.2, 0.7, 0.68))
    style_axes(ax, theme, fs * 0.8)
    (x0, x1), (y0, y1) = _extent(x), _extent(y)
    ax.imshow(
        image, origin="lower", extent=(x0, x1, y0, y1), interpolation="nearest", aspect="auto"
    )
    _log_ticks(ax, x, "x")
    _log_ticks(ax, y, "y")
    ax.set_xlabel(x.name)
    ax.set_ylabel(y.name)
    spectral = colormaps["Spectral"]
    handles = [
        Patch(color=spectral(0.9), label="converged"),
        Patch(color=spectral(0.1), label="diverged"),
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=2,
        frameon=False,
        fontsize=fs * 0.8,
        labelcolor=theme.text,
        bbox_to_anchor=(0.5, 0.0),
    )
    if note:
        fig.text(0.5, 0.075, note, ha="center", va="bottom", color=theme.text, fontsize=fs * 0.7)
    _title(fig, title, theme, fs)
    return fig


def pixels(fig: Figure) -> np.ndarray:
    """The figure drawn: (H, W, 4) uint8."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def resample(image: np.ndarray, x: Axis, y: Axis, sub_x: Axis, sub_y: Axis) -> np.ndarray:
    """The part of `image` (over x, y) inside sub_x, sub_y, at the same pixel count
    (nearest pixel): the coarse preview shown while zooming in."""

    def idx(axis: Axis, sub: Axis) -> np.ndarray:
        a0, a1 = _extent(axis)
        b0, b1 = _extent(sub)
        t = (np.linspace(b0, b1, sub.n) - a0) / (a1 - a0)
        return np.clip(np.rint(t * (axis.n - 1)).astype(int), 0, axis.n - 1)

    return image[np.ix_(idx(y, sub_y), idx(x, sub_x))]


def zoom_frames(
    levels: Sequence[tuple[np.ndarray, Axis, Axis]],
    *,
    size: tuple[int, int],
    theme: Theme,
    title: str | None,
    between: int = 6,
    notes: Sequence[str] | None = None,
) -> Iterator[np.ndarray]:
    """Frames zooming through `levels` ((image, x, y) each, every one inside the one
    before): each level shown, then `between` frames that magnify it towards the next
    (its own pixels, growing), then the next, freshly computed."""
    for k, (image, x, y) in enumerate(levels):
        note = notes[k] if notes else None
        yield pixels(fractal_figure(image, x, y, size=size, theme=theme, title=title, note=note))
        if k + 1 == len(levels):
            return
        _, nx, ny = levels[k + 1]
        for j in range(1, between + 1):
            t = j / (between + 1)
            sx, sy = _towards(x, nx, t), _towards(y, ny, t)
            part = resample(image, x, y, sx, sy)
            yield pixels(
                fractal_figure(part, sx, sy, size=size, theme=theme, title=title, note=note)
            )


def _towards(a: Axis, b: Axis, t: float) -> Axis:
    """The axis a fraction t of the way (geometrically in width) from a to b."""
    a0, a1 = _extent(a)
    b0, b1 = _extent(b)
    wa, wb = a1 - a0, b1 - b0
    gamma = (wb / wa) ** t
    # the fixed point of the zoom: where a maps onto b
    c = (b0 - a0 * wb / wa) / (1 - wb / wa) if wa != wb else a0
    lo, hi = c + (a0 - c) * gamma, c + (a1 - c) * gamma
    if a.log:
        return Axis(a.name, 10**lo, 10**hi, a.n, True)
    return Axis(a.name, lo, hi, a.n, False)
