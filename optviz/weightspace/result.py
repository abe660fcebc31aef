"""`Landscape`: the numbers of `optviz.landscape` and its pictures, shown inline in Jupyter."""

from __future__ import annotations

import base64
import functools
import html
import os
import tempfile
from pathlib import Path as FsPath
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from optviz import optimizers as _optimizers
from optviz.render import RenderInfo

INLINE_SIZE = (640, 360)
INLINE_FRAMES = 60
INLINE_FPS = 20


class Landscape:
    """A network's training loss on a plane of its weight space, and the optimizers'
    paths projected onto it.

    alphas, betas: the grid's axes; loss[j, i]: training loss at (alphas[i], betas[j]).
    paths[name]: (n, 2) plane coordinates of the recorded weights, at training steps
    steps[name]; true_loss[name]: the training loss of those weights;
    plane_loss[name]: the loss at their projections onto the plane; distance[name]:
    each snapshot's distance from the plane (in weight space), mean_distance[name]
    its mean. explained_variance: the two PCA axes' shares of the paths' variance
    (None for other planes). interpolation: (t, {name: loss}) along the straight
    line start + t (final - start).
    """

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self.optimizers = tuple(str(n) for n in arrays["names"])
        self.dataset = str(arrays["dataset"])
        self.plane = str(arrays["plane"])
        self.alphas, self.betas = arrays["alphas"], arrays["betas"]
        self.loss = arrays["loss"]
        self.start = arrays["start"]
        ev = arrays["explained_variance"]
        self.explained_variance = None if np.isnan(ev).any() else (float(ev[0]), float(ev[1]))

        def per(field: str) -> dict[str, np.ndarray]:
            return {n: arrays[f"p{i}.{field}"] for i, n in enumerate(self.optimizers)}

        self.steps, self.paths = per("steps"), per("coords")
        self.true_loss, self.plane_loss = per("true_loss"), per("plane_loss")
        self.distance = per("distance")
        self.interpolation = (arrays["interp_t"], per("interp"))
        self.keep_every = int(arrays["keep_every"])
        self.recorded_bytes = int(arrays["recorded_bytes"])

    @property
    def mean_distance(self) -> dict[str, float]:
        return {n: float(np.nanmean(d)) for n, d in self.distance.items()}

    @property
    def axis_labels(self) -> tuple[str, str]:
        if self.plane == "pca":
            a, b = self.explained_variance
            return f"PC 1 ({a:.0%} of variance)", f"PC 2 ({b:.0%})"
        if self.plane == "random":
            return "random direction 1", "random direction 2"
        _, p1, p2 = (str(p) for p in self.arrays["points"])
        return f"towards {p1}", f"towards {p2} (orthogonalised)"

    def surface(self):
        from optviz.render.netscape import grid_surface

        return grid_surface(self.alphas, self.betas, self.loss, self.start, self.dataset)

    def drawn_paths(self):
        from optviz.render.netscape import held_paths

        return held_paths(self.optimizers, self.steps, self.paths, self.true_loss,
                          self.plane_loss)  # fmt: skip

    def title(self) -> str:
        what = {"pca": "PCA plane", "random": "random plane", "points": "plane of 3 points"}
        return f"CNN on {self.dataset}: training loss on a {what[self.plane]}"

    def save(self, out: str | os.PathLike, **options: Any) -> RenderInfo:
        """Write the animation to `out` (gif, webp, mp4; png: the last frame).

        options: view ("2d", "3d", "both"), frames, fps, size, theme, title,
        loss_panel, lang, hold, progress."""
        from optviz.render.netscape import render_netscape

        if options.get("title") is None:
            options["title"] = self.title()
        return render_netscape(self.surface(), self.drawn_paths(), self.axis_labels, out,
                               **options)  # fmt: skip

    def plot(
        self,
        *,
        view: str = "2d",
        size=(880, 440),
        theme: str = "light",
        title: str | None = None,
        loss_panel: bool = True,
        lang: str = "en",
    ) -> Figure:
        """A static figure: every path in full over the plane's loss, and the loss panel."""
        from optviz.racing import _register_figure_display
        from optviz.render.netscape import landscape_stage

        stage, _ = landscape_stage(
            self.surface(), self.drawn_paths(), self.axis_labels, still=True, view=view,
            size=size, theme=theme, title=title or self.title(), loss_panel=loss_panel,
            lang=lang,
        )  # fmt: skip
        _register_figure_display()
        return stage.fig

    def plot_interpolation(self, **options: Any) -> Figure:
        """The 1-D plot: loss along the line from the start to each final point."""
        from optviz.render.netscape import interpolation_figure

        t, curves = self.interpolation
        return interpolation_figure(t, curves, **options)

    def save_interpolation(self, out: str | os.PathLike, **options: Any) -> FsPath:
        """The 1-D plot as a PNG (written whole or not at all)."""
        from optviz.render.encode import atomic_output

        out = FsPath(out)
        fig = self.plot_interpolation(**options)
        with atomic_output(out) as tmp:
            fig.savefig(tmp, format="png", facecolor=fig.get_facecolor())
        return out

    @functools.cached_property
    def gif(self) -> bytes:
        with tempfile.TemporaryDirectory(prefix="optviz-") as tmp:
            out = FsPath(tmp) / "landscape.gif"
            self.save(out, frames=INLINE_FRAMES, fps=INLINE_FPS, size=INLINE_SIZE)
            return out.read_bytes()

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif).decode("ascii")
        w, h = INLINE_SIZE
        alt = html.escape(self.summary())
        return f'<img src="data:image/gif;base64,{data}" width="{w}" height="{h}" alt="{alt}">'

    def _repr_png_(self) -> bytes:
        with tempfile.TemporaryDirectory(prefix="optviz-") as tmp:
            out = FsPath(tmp) / "landscape.png"
            self.save(out, size=INLINE_SIZE)
            return out.read_bytes()

    def summary(self) -> str:
        g = len(self.alphas)
        return (f"{', '.join(self.optimizers)} on {self.dataset}, {self.plane} plane, "
                f"{g}x{g} grid")  # fmt: skip

    def report(self) -> list[str]:
        """What the picture flattens, in words: one line per optimizer, and the plane's."""
        lines = []
        if self.explained_variance is not None:
            a, b = self.explained_variance
            lines.append(f"PCA plane keeps {a + b:.1%} of the paths' variance "
                         f"(PC 1 {a:.1%}, PC 2 {b:.1%})")  # fmt: skip
        width = max(len(_optimizers.spec(n).display) for n in self.optimizers)
        for n in self.optimizers:
            d = _optimizers.spec(n).display
            bad = ~np.isfinite(self.paths[n]).all(axis=1)
            if bad.any():
                step = int(self.steps[n][np.argmax(bad)])
                lines.append(f"{d:<{width}}  diverged: weights not finite by step {step}")
                continue
            lines.append(
                f"{d:<{width}}  final training loss {self.true_loss[n][-1]:.4g} "
                f"(plane {self.plane_loss[n][-1]:.4g}), mean distance from the plane "
                f"{self.mean_distance[n]:.3g} (path length "
                f"{np.linalg.norm(np.diff(self.paths[n], axis=0), axis=1).sum():.3g} on it)"
            )
        return lines

    def __repr__(self) -> str:
        return "\n".join([f"Landscape({self.summary()})", *("  " + x for x in self.report())])
