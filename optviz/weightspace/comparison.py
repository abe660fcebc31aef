"""`Comparison`: the numbers of `optviz.compare_landscapes` and its picture."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from optviz.weightspace.knobs import Knob
from optviz.weightspace.result import Landscape

SIZE = (1440, 520)
INLINE_SIZE = (1200, 470)


def _side(arrays: dict, side: str) -> dict:
    prefix = f"{side}."
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


class Comparison:
    """Two landscapes that differ in one knob, and the 1-D cut between or through them.

    knob: the `Knob` (name, option, values); labels: ("skip off", "skip on");
    landscapes: the two `Landscape`s (one optimizer each, centred on its final
    weights); sharpness: (λ_max of A, λ_max of B); min_eigenvalue: (λ_min of A,
    λ_min of B); nonconvexity: each side's |λ_min / λ_max| (Li et al. 2018); the
    *_converged flags: whether Lanczos converged at each end; final_loss: each solution's
    training loss; epochs, steps: each side's training (the labels name the epochs
    when they differ); line_kind: "interpolation" (t, loss along (1 - t) θ_A + t θ_B:
    `line = (t, loss)`) or "slices" (each side's cut along its first direction
    through its solution: `slices = ((α, loss_A), (α, loss_B))`).
    """

    def __init__(self, knob: Knob, arrays: dict[str, np.ndarray]):
        self.knob = knob
        self.arrays = arrays
        self.landscapes = (Landscape(_side(arrays, "a")), Landscape(_side(arrays, "b")))
        self.optimizer = self.landscapes[0].optimizers[0]
        self.epochs = tuple(int(arrays[f"{s}.epochs"]) for s in "ab")
        self.steps = tuple(int(land.steps[self.optimizer][-1]) for land in self.landscapes)
        self.labels = (knob.label(0), knob.label(1))
        if self.epochs[0] != self.epochs[1]:  # one side trained longer: say so on each
            pairs = zip(self.labels, self.epochs, strict=True)
            self.labels = tuple(f"{lab}, {e} epochs" for lab, e in pairs)
        self.sharpness = tuple(float(arrays[f"{s}.sharpness.sharpness"]) for s in "ab")
        self.sharpness_converged = tuple(bool(arrays[f"{s}.sharpness.converged"]) for s in "ab")
        self.min_eigenvalue = tuple(float(arrays[f"{s}.sharpness.min_eigenvalue"]) for s in "ab")
        self.min_converged = tuple(bool(arrays[f"{s}.sharpness.min_converged"]) for s in "ab")
        self.nonconvexity = tuple(float(arrays[f"{s}.sharpness.nonconvexity"]) for s in "ab")
        self.final_loss = tuple(float(land.true_loss[self.optimizer][-1])
                                for land in self.landscapes)  # fmt: skip
        self.line_kind = str(arrays["line.kind"])
        t = np.asarray(arrays["line.t"])
        if self.line_kind == "interpolation":
            self.line = (t, np.asarray(arrays["line.a"]))
            self.slices = None
        else:
            self.line = None
            tb = np.asarray(arrays["line.tb"])
            self.slices = ((t, np.asarray(arrays["line.a"])), (tb, np.asarray(arrays["line.b"])))

    def title(self) -> str:
        land = self.landscapes[0]
        return (f"{self.labels[0]} vs {self.labels[1]}: {self.optimizer} on {land.dataset}, "
                f"{land.plane} plane about each solution")  # fmt: skip

    def plot(self, *, size=SIZE, theme: str = "light", title: str | None = None):
        """The figure: both landscapes on one colour scale, and the 1-D cut."""
        from optviz.racing import _register_figure_display
        from optviz.render.compare import Panel, comparison_figure

        panels = []
        for k, land in enumerate(self.landscapes):
            name = self.optimizer
            panels.append(Panel(
                label=self.labels[k], alphas=land.alphas, betas=land.betas, loss=land.loss,
                path=np.asarray(land.paths[name]), axis_labels=land.axis_labels,
                sharpness=self.sharpness[k], final_loss=self.final_loss[k],
                nonconvexity=self.nonconvexity[k],
                show_path=land.plane == "pca",
            ))  # fmt: skip
        line = [self.line] if self.line is not None else list(self.slices)
        fig = comparison_figure(panels, self.line_kind, line, size=tuple(size), theme=theme,
                                title=self.title() if title is None else title)  # fmt: skip
        _register_figure_display()
        return fig

    def save(self, out: str | os.PathLike, **options: Any) -> Path:
        """The figure as a PNG, written whole or not at all. options: size, theme, title."""
        from optviz.errors import OptvizError
        from optviz.render.encode import atomic_output

        out = Path(out)
        if out.suffix.lower() != ".png":
            raise OptvizError(f"a comparison is a still picture: {out} must end in .png")
        if not out.parent.is_dir():
            raise OptvizError(f"cannot write {out}: folder {out.parent} does not exist")
        fig = self.plot(**options)
        with atomic_output(out) as tmp:
            fig.savefig(tmp, format="png", facecolor=fig.get_facecolor(),
                        metadata={"Software": None})  # fmt: skip
        return out

    def _repr_png_(self) -> bytes:
        with tempfile.TemporaryDirectory(prefix="optviz-") as tmp:
            return self.save(Path(tmp) / "comparison.png", size=INLINE_SIZE).read_bytes()

    def report(self) -> list[str]:
        """One line per side (its sharpness, smallest Hessian eigenvalue and |λmin/λmax|,
        and final training loss), and the line's."""
        width = max(len(lab) for lab in self.labels)
        lines = []
        for k, lab in enumerate(self.labels):
            note = "" if self.sharpness_converged[k] else " (Lanczos not converged)"
            min_note = "" if self.min_converged[k] else " (Lanczos not converged)"
            lines.append(f"{lab:<{width}}  sharpness (largest Hessian eigenvalue) "
                         f"{self.sharpness[k]:.4g}{note}, smallest {self.min_eigenvalue[k]:.4g}"
                         f"{min_note} (|λmin/λmax| {self.nonconvexity[k]:.3g}), final training "
                         f"loss {self.final_loss[k]:.4g} after {self.steps[k]} steps")  # fmt: skip
        if self.line is not None:
            t, loss = self.line
            inside = loss[(t > 0) & (t < 1)]
            top = float(np.nanmax(inside)) if inside.size else float("nan")
            lines.append(f"on the straight line between them the loss peaks at {top:.4g} "
                         "(between t = 0 and 1)")  # fmt: skip
        return lines

    def __repr__(self) -> str:
        return "\n".join([f"Comparison({self.title()})", *("  " + x for x in self.report())])
