"""Two landscapes side by side on one colour scale, and the 1-D cut beside them.

Numbers in (each side's grid, solution, sharpness and |λmin/λmax|; the line), a matplotlib
`Figure` out; nothing here trains or evaluates a network. Both panels' filled
contours share one `LogNorm` and one set of levels, so one colour is one loss
value in both, and one colour bar reads both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from optviz.render.landscape import theme_cmap
from optviz.render.scene2d import LINE_WIDTH, style_axes
from optviz.render.stage import DPI, base_fontsize
from optviz.render.theme import get_theme

SIDE_COLORS = ("#0072B2", "#D55E00")  # Okabe-Ito blue and vermillion: A and B
LEVELS = 28


@dataclass(frozen=True)
class Panel:
    """One side: its grid (loss[j, i] at (alphas[i], betas[j])), where its solution and
    path lie on its plane, its name and its numbers."""

    label: str
    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray
    path: np.ndarray  # (n, 2); the last row is the solution
    axis_labels: tuple[str, str]
    sharpness: float
    final_loss: float
    show_path: bool
    nonconvexity: float = float("nan")  # |λmin / λmax|


def shared_norm(losses: Sequence[np.ndarray]) -> LogNorm:
    """One log scale from the lowest to the highest finite loss of every grid."""
    values = np.concatenate([np.asarray(v, np.float64).ravel() for v in losses])
    good = values[np.isfinite(values) & (values > 0)]
    if good.size == 0:
        return LogNorm(1e-3, 1.0)
    lo, hi = float(good.min()), float(good.max())
    return LogNorm(lo, hi if hi > lo * 1.001 else lo * 10)


def _fmt(x: float, digits: int = 3) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.{digits}g}"


def comparison_figure(
    panels: Sequence[Panel],
    line_kind: str,
    line: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    size: tuple[int, int] = (1440, 520),
    theme: str = "light",
    title: str | None = None,
) -> Figure:
    """[A's landscape | B's landscape | colour bar | the 1-D cut].

    line_kind "interpolation": line[0] = (t, loss at (1 - t) θ_A + t θ_B);
    "slices": line[i] = (α, loss along side i's first plane direction)."""
    th = get_theme(theme)
    fs = base_fontsize((size[0] * 0.6, size[1]))
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor=th.background)
    norm = shared_norm([p.loss for p in panels])
    levels = np.geomspace(norm.vmin, norm.vmax, LEVELS)
    cmap = theme_cmap(th)
    # square panels, their height shared by the colour bar and the 1-D plot, leaving
    # room above for three lines of panel title and the figure's title
    bottom = 0.13
    side_px = min(0.23 * size[0], (0.86 - bottom) * size[1] - 4.4 * fs * DPI / 72)
    height, width = side_px / size[1], side_px / size[0]
    lefts = (0.055, 0.055 + width + 0.015)
    same_box = all(np.array_equal(p.betas, panels[0].betas) for p in panels)
    contour_sets = []
    for k, (p, left) in enumerate(zip(panels, lefts, strict=True)):
        ax = fig.add_axes((left, bottom, width, height))
        style_axes(ax, th, fs * 0.85)
        loss = np.clip(np.asarray(p.loss, np.float64), norm.vmin, norm.vmax)
        cs = ax.contourf(p.alphas, p.betas, loss, levels=levels, norm=norm, cmap=cmap,
                         extend="neither", antialiased=False)  # fmt: skip
        ax.contour(p.alphas, p.betas, loss, levels=levels[::3], colors=th.muted,
                   linewidths=0.6, alpha=th.contour_alpha)  # fmt: skip
        contour_sets.append(cs)
        color = SIDE_COLORS[k]
        if p.show_path:
            ax.plot(p.path[:, 0], p.path[:, 1], color=color, lw=LINE_WIDTH * 0.8, zorder=5)
        ax.plot(p.path[-1, 0], p.path[-1, 1], ls="none", marker="o", ms=11, mfc=color,
                mec=th.head_edge, mew=1.5, zorder=6)  # fmt: skip
        ax.set_aspect("equal", adjustable="box")
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel(p.axis_labels[0])
        ax.set_ylabel(p.axis_labels[1] if k == 0 else "")
        if k and same_box:
            ax.tick_params(labelleft=False)
        ax.set_title(
            f"{p.label}\nλmax {_fmt(p.sharpness)}   loss {_fmt(p.final_loss)}\n"
            f"|λmin/λmax| {_fmt(p.nonconvexity, 2)}",
            color=color, fontsize=fs, loc="center", pad=8, fontweight="bold",
        )  # fmt: skip
    cax = fig.add_axes((lefts[1] + width + 0.012, bottom, 0.012, height))
    bar = fig.colorbar(contour_sets[0], cax=cax)
    bar.ax.yaxis.set_major_locator(FixedLocator(np.geomspace(norm.vmin, norm.vmax, 6)))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    bar.ax.yaxis.set_minor_locator(FixedLocator([]))
    bar.set_label("training loss (shared scale)", color=th.text, fontsize=fs * 0.85)
    bar.ax.tick_params(colors=th.text, labelsize=fs * 0.75)
    bar.outline.set_edgecolor(th.muted)

    ax = fig.add_axes((0.71, bottom, 0.275, height))
    style_axes(ax, th, fs * 0.85)
    if line_kind == "interpolation":
        t, loss = line[0]
        ax.plot(t, loss, color=th.text, lw=LINE_WIDTH)
        for k, (x, p) in enumerate(zip((0.0, 1.0), panels, strict=True)):
            ax.axvline(x, color=SIDE_COLORS[k], lw=1.5, ls=":")
            y = float(np.interp(x, t, loss))
            ax.plot([x], [y], ls="none", marker="o", ms=11, mfc=SIDE_COLORS[k],
                    mec=th.head_edge, mew=1.5, zorder=6, label=p.label)  # fmt: skip
        ax.set_xlabel("t   (w = (1 − t) θ_A + t θ_B)")
        heading = "straight line between the solutions"
    else:
        for k, ((t, loss), p) in enumerate(zip(line, panels, strict=True)):
            ax.plot(t, loss, color=SIDE_COLORS[k], lw=LINE_WIDTH, label=p.label)
        ax.axvline(0.0, color=th.muted, lw=1.0, ls=":")
        ax.set_xlabel(f"{panels[0].axis_labels[0]}, through each solution")
        heading = "1-D cut through each solution"
    values = np.concatenate([np.asarray(v, np.float64) for _, v in line])
    good = values[np.isfinite(values) & (values > 0)]
    if good.size and good.max() / good.min() > 30:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.set_ylabel("training loss")
    ax.grid(True, color=th.muted, alpha=0.3, lw=0.8)
    ax.set_title(heading, color=th.text, fontsize=fs, loc="left", pad=8)
    ax.legend(loc="best", frameon=False, fontsize=fs * 0.85, labelcolor=th.text)
    if title:
        fig.suptitle(title, color=th.text, fontsize=fs * 1.1, x=0.5, y=0.985)
    return fig
