"""The explorer: ipywidgets controls around a `LiveFigure` (`optviz.render.live`).

Every control is an attribute, so code (and tests) can drive it like a user:

>>> ex = optviz.explore("beale")                     # doctest: +SKIP
>>> ex.lr_sliders["adam"].value = 0.05               # recompute Adam, redraw
>>> ex.optimizer_boxes["sgd"].value = False          # hide SGD
>>> ex.step_slider.value = 40                        # scrub
>>> ex.result, ex.figure                             # Trajectories, matplotlib Figure

The picture is a persistent figure drawn by the same figure engine as the GIFs: a
slider move recomputes the optimizers whose inputs changed (no recompilation: see
`optviz.explorer.paths`) and updates line data; the figure is laid out again only
when the legend, the loss axis or the surface changes.

With ipympl installed (the interactive matplotlib backend for Jupyter, in the
`notebook` extra), the figure is shown on an ipympl canvas widget (`ex.canvas`) and a
click on the contour plot sets the start point (`Explorer.click`). Without it, the
figure is shown as PNG bytes in an image widget (`ex.image`) and only the start
fields set the start point.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import ipywidgets as W

from optviz import engine
from optviz import optimizers as _optimizers
from optviz import surfaces as _surfaces
from optviz.errors import OptvizError
from optviz.explorer import controls
from optviz.explorer.paths import PathCache
from optviz.render import RenderInfo
from optviz.render.live import LiveFigure


def ipympl_parts() -> tuple[type, type] | None:
    """ipympl's canvas widget class and figure manager class, or None without ipympl."""
    try:
        module = importlib.import_module("ipympl.backend_nbagg")
    except ImportError:
        return None
    return module.Canvas, module.FigureManager


class Explorer:
    """Interactive paths on one surface; see the module docstring.

    interactive: whether the picture is an ipympl canvas (`canvas`) that takes clicks,
    rather than an image widget (`image`, None when interactive).
    """

    def __init__(
        self,
        surface: Any = "beale",
        optimizers: Sequence[Any] = _optimizers.EXPLORE_DEFAULT,
        *,
        domain: Any = None,
        steps: int = 300,
        max_steps: int = 1000,
        start: Sequence[float] | None = None,
        size: tuple[int, int] = (880, 440),
        theme: str = "light",
        interactive: bool | None = None,
    ):
        optimizers = engine.optimizer_names(optimizers)  # "all", checked names; objects named
        # the registry's optimizers, then the others asked for (optax:NAME, torch:NAME, objects)
        names = [*_optimizers.names(), *(n for n in optimizers if n not in _optimizers.REGISTRY)]
        if not 1 <= steps <= max_steps:
            raise OptvizError(f"steps must be between 1 and max_steps={max_steps}, got {steps}")
        self.size, self.theme = size, theme
        self.cache = PathCache(max_steps)
        self._holding, self._pending = 0, set()
        surf = _surfaces.surface(surface, domain)
        # a surface of the user's (a formula, a function) joins the registry's in the menu
        listed = _surfaces.REGISTRY.get(surf.name)
        self._own = {} if listed is not None and listed.fn is surf.fn else {surf.name: surf}
        self.surface_dropdown = W.Dropdown(
            options=[*self._own, *_surfaces.names()], value=surf.name, description="surface",
            style=controls.STYLE,
        )  # fmt: skip
        self.optimizer_boxes = {
            n: controls.optimizer_box(_optimizers.spec(n).display, n in optimizers) for n in names
        }
        self.lr_sliders = {n: controls.lr_slider() for n in names}
        for n, slider in self.lr_sliders.items():  # a transformation object has its rate inside
            slider.disabled = "learning_rate" not in _optimizers.spec(n).hyperparameters
        self.knobs = {n: k for n in names if (k := _optimizers.spec(n).knob) is not None}
        self.extra_sliders = {n: controls.extra_slider(hp) for n, hp in self.knobs.items()}
        self.steps_slider = controls.steps_slider(steps, max_steps)
        self.start_x, self.start_y = controls.start_field("x"), controls.start_field("y")
        self.step_slider = W.IntSlider(
            value=steps, min=0, max=steps, description="step", style=controls.STYLE
        )
        self.play = W.Play(value=steps, min=0, max=steps, step=max(1, steps // 60), interval=80)
        self._link = W.jslink((self.play, "value"), (self.step_slider, "value"))
        self.file_name = W.Text(value="explorer.gif", description="file", style=controls.STYLE)
        self.save_button = W.Button(description="Save GIF", icon="download")
        self.status = W.Label()
        # None: the clickable ipympl canvas where ipympl is installed. False: the
        # image widget, for frontends without ipympl's extension (a blank widget there).
        self._ipympl = ipympl_parts() if interactive is not False else None
        if interactive and self._ipympl is None:
            raise OptvizError("interactive=True needs ipympl: pip install 'optviz[notebook]'")
        self.interactive = self._ipympl is not None
        self.image = None if self.interactive else W.Image(format="png")
        self.view: LiveFigure | None = None
        self._result: engine.Trajectories | None = None
        self._set_surface_defaults(surf, start)
        self.view = self._new_view(surf)
        self.widget = self._layout()
        self._connect()
        self.refresh()

    def _layout(self) -> W.Widget:
        rows = []
        for n, box in self.optimizer_boxes.items():
            row = [box, self.lr_sliders[n]]
            if n in self.extra_sliders:
                row.append(self.extra_sliders[n])
            rows.append(W.HBox(row))
        self._show_rows()
        general = W.VBox(
            [
                self.surface_dropdown,
                W.HBox([self.start_x, self.start_y]),
                self.steps_slider,
                W.HBox([self.play, self.step_slider]),
                W.HBox([self.file_name, self.save_button]),
                self.status,
            ]
        )
        wrap = W.Layout(flex_flow="row wrap")  # the general controls go below when narrow
        picture = self.canvas if self.interactive else self.image
        return W.VBox([picture, W.HBox([W.VBox(rows), general], layout=wrap)])

    def _connect(self) -> None:
        self.surface_dropdown.observe(self._on_surface, names="value")
        for box in self.optimizer_boxes.values():
            box.observe(self._on_toggle, names="value")
        inputs = [*self.lr_sliders.values(), *self.extra_sliders.values()]
        for w in [*inputs, self.start_x, self.start_y]:
            w.observe(lambda _: self._request("compute"), names="value")
        self.steps_slider.observe(self._on_steps, names="value")
        self.step_slider.observe(lambda _: self._request("draw"), names="value")
        self.save_button.on_click(self._on_save)

    # -- state -----------------------------------------------------------------------

    @property
    def surface(self) -> _surfaces.Surface:
        name = self.surface_dropdown.value
        return self._own[name] if name in self._own else _surfaces.get(name)

    @property
    def selected(self) -> list[str]:
        """The optimizers ticked, in registry order."""
        return [n for n, box in self.optimizer_boxes.items() if box.value]

    @property
    def start(self) -> tuple[float, float]:
        return (float(self.start_x.value), float(self.start_y.value))

    @property
    def steps(self) -> int:
        return int(self.steps_slider.value)

    def hparams(self) -> dict[str, dict[str, float]]:
        """The slider values per selected optimizer, in optax's names."""
        out = {}
        for n in self.selected:
            slider = self.lr_sliders[n]
            hp = {} if slider.disabled else {"learning_rate": float(slider.value)}
            if n in self.knobs:
                hp[self.knobs[n]] = float(self.extra_sliders[n].value)
            out[n] = hp
        return out

    @property
    def result(self) -> engine.Trajectories:
        """The paths now shown, as `optviz.trajectories` returns them."""
        return self._result

    @property
    def figure(self):
        """The persistent matplotlib Figure behind the picture."""
        return self.view.fig

    @property
    def canvas(self):
        """The ipympl canvas widget showing the figure (None when not interactive)."""
        return self.view.canvas if self.interactive else None

    # -- updates ---------------------------------------------------------------------

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls with one recompute and redraw at the end."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        if not self._holding and self._pending:
            compute = "compute" in self._pending
            self._pending.clear()
            self.refresh(compute)

    def _request(self, what: str) -> None:
        if self._holding:
            self._pending.add(what)
        else:
            self.refresh(what == "compute")

    def refresh(self, recompute: bool = True) -> None:
        """Recompute the paths (if asked) and redraw the picture."""
        if recompute:
            try:
                surf = self.surface
                res = self.cache.trajectories(
                    self.selected, surf, self.start, self.steps, self.hparams()
                )
            except OptvizError as err:
                self.status.value = f"error: {err}"
                return
            self._result = res
            self.status.value = ""
        paths = self._result.paths() if self._result is not None else []
        try:  # an interactive canvas sends the changed pixels itself (blitting)
            self.view.show(paths, self.step_slider.value, start=self.start)
        except OptvizError as err:  # a start outside the surface's domain
            self.status.value = f"error: {err}"
            return
        if not self.interactive:
            self.image.value = self.view.png()

    def _set_surface_defaults(self, surf: _surfaces.Surface, start=None) -> None:
        for n, slider in self.lr_sliders.items():
            hp = _optimizers.spec(n).resolve(surf)
            if "learning_rate" in hp:
                slider.value = hp["learning_rate"]
            if n in self.knobs:
                self.extra_sliders[n].value = hp[self.knobs[n]]
        x, y = surf.start if start is None else start
        self.start_x.value, self.start_y.value = float(x), float(y)

    def _new_view(self, surf: _surfaces.Surface) -> LiveFigure:
        options = {"canvas": self._new_canvas} if self.interactive else {}
        view = LiveFigure(surf, size=self.size, theme=self.theme, title=surf.name, **options)
        if self.interactive:
            view.canvas.mpl_connect("button_press_event", self._on_press)
        return view

    def _new_canvas(self, fig):
        """An ipympl canvas widget for `fig`, without pyplot: no toolbar, header or
        footer, a fixed size, and none of matplotlib's default key and mouse
        bindings (so a click only ever sets the start)."""
        canvas_class, manager_class = self._ipympl
        canvas = canvas_class(fig)
        with warnings.catch_warnings():
            # ipympl's toolbar warns as it is made (matplotlib/ipympl#488, #611)
            warnings.filterwarnings(
                "ignore", r"Passing unrecognized arguments to super\(Toolbar\)", DeprecationWarning
            )
            manager = manager_class(canvas, 1)  # draws need a manager; not put in pyplot
        for cid in (
            manager.key_press_handler_id,
            manager.button_press_handler_id,
            getattr(manager, "scroll_handler_id", None),
        ):
            if cid is not None:
                canvas.mpl_disconnect(cid)
        canvas.toolbar_visible = False
        canvas.header_visible = canvas.footer_visible = False
        canvas.resizable = False
        return canvas

    def _on_press(self, event) -> None:
        """A left click inside the contour plot's domain sets the start there."""
        ax = self.view.ax
        if event.inaxes is not ax or event.xdata is None or event.ydata is None:
            return
        if event.button != 1 or event.dblclick:
            return
        (x0, x1), (y0, y1) = self.view.surface.domain
        x, y = float(event.xdata), float(event.ydata)
        if not (min(x0, x1) <= x <= max(x0, x1) and min(y0, y1) <= y <= max(y0, y1)):
            return
        # round to the pixel: 10**-digits is at most one pixel's worth of data units
        width, height = ax.bbox.size
        pixel = min(abs(x1 - x0) / max(width, 1.0), abs(y1 - y0) / max(height, 1.0))
        digits = max(0, math.ceil(-math.log10(pixel))) if pixel > 0 else 6
        self.click(round(x, digits), round(y, digits))

    def _show_rows(self) -> None:
        for n, box in self.optimizer_boxes.items():
            shown = None if box.value else "none"
            self.lr_sliders[n].layout.display = shown
            if n in self.extra_sliders:
                self.extra_sliders[n].layout.display = shown

    def _on_toggle(self, _change: dict) -> None:
        self._show_rows()
        self._request("compute")

    def _on_surface(self, change: dict) -> None:
        surf = self.surface
        old = self.canvas
        with self.hold():
            self._set_surface_defaults(surf)
            self.view = self._new_view(surf)
            if old is not None:  # a new figure needs a new canvas widget
                self.widget.children = (self.canvas, *self.widget.children[1:])
                for widget in (old.toolbar, old):
                    if widget is not None:
                        widget.close()
            self._pending.add("compute")

    def _on_steps(self, change: dict) -> None:
        steps, at_end = int(change["new"]), self.step_slider.value >= change["old"]
        with self.hold():
            self.step_slider.max = self.play.max = steps
            self.play.step = max(1, steps // 60)
            if at_end:
                self.step_slider.value = self.play.value = steps
            self._pending.add("compute")

    def click(self, x: float, y: float) -> None:
        """Start the paths at (x, y), as a click on the contour plot does (only when
        `interactive`: with ipympl installed; otherwise use the start fields)."""
        with self.hold():
            self.start_x.value, self.start_y.value = float(x), float(y)

    # -- output ----------------------------------------------------------------------

    def save(self, out: str | os.PathLike | None = None, **options: Any) -> RenderInfo:
        """Animate the current view to `out` (default: the file-name field), with
        `Race.save`'s options (frames, fps, size, view, theme, loss_panel, ...)."""
        from optviz.racing import Race

        out = self.file_name.value if out is None else out
        return Race(self.result, self.surface).save(out, **options)

    def _on_save(self, _button: W.Button) -> None:
        try:
            info = self.save()
        except OptvizError as err:
            self.status.value = f"error: {err}"
        else:
            self.status.value = f"saved {info.path} ({info.n_frames} frames, {info.bytes:,} bytes)"

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)
