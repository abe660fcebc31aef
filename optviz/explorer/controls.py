"""The explorer's individual controls: which hyperparameter each optimizer exposes, and
the ipywidgets that edit them (ranges, formats, sizes). No behaviour lives here."""

from __future__ import annotations

import ipywidgets as W

LR_EXPONENTS = (-6.0, 1.0)  # learning-rate slider range: 1e-6 .. 10
DAMPING_EXPONENTS = (-4.0, 3.0)
STYLE = {"description_width": "72px"}
SLIDER_WIDTH = 300


def wide(px: int) -> W.Layout:
    return W.Layout(width=f"{px}px")


def optimizer_box(display: str, checked: bool) -> W.Checkbox:
    return W.Checkbox(value=checked, description=display, indent=False, layout=wide(110))


def lr_slider() -> W.FloatLogSlider:
    """A log-scale learning-rate slider from 1e-6 to 10."""
    lo, hi = LR_EXPONENTS
    return W.FloatLogSlider(
        value=1e-2,
        base=10,
        min=lo,
        max=hi,
        step=0.01,
        description="lr",
        readout_format=".2e",
        style={"description_width": "24px"},
        layout=wide(SLIDER_WIDTH),
    )


def extra_slider(hp: str) -> W.FloatSlider | W.FloatLogSlider:
    """Damping on a log scale; the decay rates (momentum, b1, rho, decay) on [0, 0.999]."""
    style, layout = {"description_width": "64px"}, wide(SLIDER_WIDTH)
    if hp == "damping":
        lo, hi = DAMPING_EXPONENTS
        return W.FloatLogSlider(
            value=1.0,
            base=10,
            min=lo,
            max=hi,
            step=0.01,
            description=hp,
            readout_format=".2e",
            style=style,
            layout=layout,
        )
    return W.FloatSlider(
        value=0.9,
        min=0.0,
        max=0.999,
        step=0.001,
        description=hp,
        readout_format=".3f",
        style=style,
        layout=layout,
    )


def steps_slider(steps: int, max_steps: int) -> W.IntSlider:
    """How many steps to show; updates when released (a new length redraws the axes)."""
    return W.IntSlider(
        value=steps,
        min=1,
        max=max_steps,
        description="steps",
        style=STYLE,
        continuous_update=False,
    )


def start_field(axis: str) -> W.FloatText:
    return W.FloatText(description=f"start {axis}", style=STYLE, layout=wide(180))
