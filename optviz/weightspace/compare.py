"""`compare_landscapes(...)`: one training knob, two values, two landscapes side by side.

>>> cmp = optviz.compare_landscapes("skip=off,on", depth=8, epochs=2)  # doctest: +SKIP
>>> cmp.sharpness, cmp.save("skip.png")  # doctest: +SKIP

Both sides train the same optimizer from the same seed with every other option
equal; each landscape is taken on a plane built the same way (the same kind,
grid and span rule) about that side's own final weights (`optviz.landscape`,
one optimizer, centred on it), so the two pictures share their coordinates'
meaning and are drawn on one colour scale. Beside them, a 1-D cut:

* the two networks have the same weights and compute the same function of them
  (the knob is batch size, learning rate, weight decay, dropout or init): the
  straight line between the two solutions, w(t) = (1 - t) θ_A + t θ_B for t in
  [-0.5, 1.5], as Keskar et al. (2017);
* otherwise (depth, norm, skip, activation) the two solutions live in different
  weight spaces and no line joins them: each landscape's own cut along its
  plane's first direction through its solution (the grid's row through it,
  the 1-D plot of Li et al. 2018).

Sharpness: the largest Hessian eigenvalue of the training loss at each solution,
with the smallest and |λmin/λmax| (Li et al.'s non-convexity) from the same run
(`optviz.trainer.sharpness`, Lanczos on its first SUBSET training examples;
a batch-normalised network normalised by those examples' own statistics, the
same training-mode rule as its landscape).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from optviz.errors import OptvizError
from optviz.weightspace.api import RANDOM_SPAN, Progress, check_request
from optviz.weightspace.knobs import Knob, parse_compare, side_options

OPTIMIZER = "momentum"  # SGD with momentum, as Li et al. (2018) trained theirs
EPOCHS = 6
GRID = 31
PLANES = ("random", "pca")  # a points plane needs three points; one run has two


def check_compare(
    compare: Any,
    optimizer: Any,
    *,
    plane: Any,
    span: Any,
    landscape_options: Mapping[str, Any],
    train_options: Mapping[str, Any],
):
    """The knob and both sides' checked `Request`s, before any data is read."""
    knob = parse_compare(compare)
    if not isinstance(optimizer, str) or "," in optimizer:
        raise OptvizError(f"a comparison trains one optimizer, not {optimizer!r}")
    if plane not in PLANES:
        from optviz.errors import UnknownNameError

        raise UnknownNameError("plane for a comparison", str(plane), PLANES)
    if span is None and plane == "random":
        span = RANDOM_SPAN  # Li et al.'s [-1, 1]^2: the same box on both sides
    options = dict(landscape_options)
    epochs = side_epochs(options.pop("epochs", EPOCHS))
    requests = tuple(
        check_request(
            [optimizer],
            plane=plane,
            span=span,
            center=optimizer,
            points=None,
            keep_every=None,
            epochs=epochs[i],
            train_options=side_options(knob, i, optimizer, train_options),
            **options,
        )
        for i in range(2)
    )
    return knob, requests


def side_epochs(epochs: Any) -> tuple[Any, Any]:
    """Each side's epochs: one number for both, or a pair (A's, B's), so that a side that
    learns more slowly (a larger batch takes fewer steps an epoch) can train longer, to a
    comparable training loss (Keskar et al. compare solutions that fit alike). Each
    number is checked with the rest of a side's request."""
    if isinstance(epochs, str):
        parts = [p.strip() for p in epochs.split(",")]
        if len(parts) not in (1, 2) or not all(p.lstrip("-").isdigit() for p in parts):
            raise OptvizError(f"epochs takes N or A,B (whole numbers), not {epochs!r}")
        epochs = [int(p) for p in parts] if len(parts) == 2 else int(parts[0])
    if isinstance(epochs, list | tuple):
        if len(epochs) != 2:
            raise OptvizError(f"epochs takes one number or a pair (A's, B's), not {epochs!r}")
        return epochs[0], epochs[1]
    return epochs, epochs


def compare_landscapes(
    compare: str | Mapping[str, Any],
    optimizer: str = OPTIMIZER,
    *,
    dataset: Any = "digits",
    epochs: int | tuple[int, int] = EPOCHS,
    plane: str = "random",
    grid: int = GRID,
    span: float | None = None,
    seed: int = 0,
    cache: bool | str | Path = True,
    progress: Progress | None = None,
    **train_options: Any,
):
    """Train `optimizer` twice, once per value of one knob, and compare the landscapes.

    compare: "KNOB=A,B" or {KNOB: [A, B]}; KNOB one of batch-size, depth, norm,
    skip, lr, dropout, weight-decay, activation, init (e.g. "skip=off,on",
    {"batch-size": [16, "full"]}). plane: "random" (default; filter-normalised,
    [-1, 1]^2 unless `span`) or "pca" (each run's own path), about each side's
    final weights. epochs: one number for both sides, or a pair (A's, B's) to train
    one side longer. Other arguments as `optviz.landscape`. Returns a `Comparison`
    (`.plot()`, `.save(out)`, `.sharpness`, `.line`). Checked before any training.
    """
    from optviz.weightspace.comparenums import compare_numbers
    from optviz.weightspace.comparison import Comparison

    knob, requests = check_compare(
        compare, optimizer, plane=plane, span=span,
        landscape_options=dict(dataset=dataset, epochs=epochs, grid=grid, seed=seed),
        train_options=train_options,
    )  # fmt: skip
    from optviz.weightspace.cache import folder_for

    return Comparison(knob, compare_numbers(knob, requests, folder_for(cache), progress))


__all__ = ["Knob", "check_compare", "compare_landscapes"]
