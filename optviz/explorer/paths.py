"""Trajectories for the explorer, at one fixed shape so slider moves never recompile.

Every optimizer always runs for `max_steps` from one start point: a new learning
rate, start point or step count then reuses the compiled scan (the engine traces
numeric hyperparameters), and a shorter step count is a slice of the long run.
Each optimizer's run is cached under its inputs, so moving one optimizer's slider
recomputes that optimizer alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz import engine
from optviz.surfaces.base import Surface


@dataclass(frozen=True)
class Run:
    """One optimizer's path over `max_steps` steps."""

    positions: np.ndarray  # (max_steps + 1, 2)
    losses: np.ndarray  # (max_steps + 1,)
    diverged_step: int  # engine.NOT_DIVERGED (-1) or the step that went non-finite
    hparams: Mapping[str, Any]


class PathCache:
    """name -> its latest `Run`, recomputed only when its inputs change."""

    def __init__(self, max_steps: int):
        self.max_steps = int(max_steps)
        self._runs: dict[str, tuple[tuple, Run]] = {}
        self.computed = 0  # runs computed (not served from the cache); tests read it

    def run(
        self, name: str, surface: Surface, start: Sequence[float], hparams: Mapping[str, Any]
    ) -> Run:
        key = (surface, float(start[0]), float(start[1]), tuple(sorted(hparams.items())))
        hit = self._runs.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        result = engine.trajectories(
            [name], surface, starts=[tuple(start)], steps=self.max_steps, **hparams
        )
        run = Run(
            positions=result.positions[0, 0],
            losses=result.losses[0, 0],
            diverged_step=int(result.diverged_step[0, 0]),
            hparams=result.hparams[name],
        )
        self._runs[name] = (key, run)
        self.computed += 1
        return run

    def trajectories(
        self,
        names: Sequence[str],
        surface: Surface,
        start: Sequence[float],
        steps: int,
        hparams: Mapping[str, Mapping[str, Any]],
    ) -> engine.Trajectories:
        """The paths of `names` for `steps` steps, as `optviz.trajectories` would give them."""
        steps = int(np.clip(steps, 1, self.max_steps))
        runs = [self.run(n, surface, start, hparams.get(n, {})) for n in names]
        diverged = [
            r.diverged_step if r.diverged_step <= steps else engine.NOT_DIVERGED for r in runs
        ]
        n = len(runs)
        pos = [r.positions[: steps + 1] for r in runs] or [np.zeros((0, steps + 1, 2), np.float32)]
        loss = [r.losses[: steps + 1] for r in runs] or [np.zeros((0, steps + 1), np.float32)]
        return engine.Trajectories(
            optimizers=tuple(names),
            surface=surface.name,
            starts=np.asarray([start], dtype=np.float32),
            positions=np.stack(pos).reshape(n, 1, steps + 1, 2),
            losses=np.stack(loss).reshape(n, 1, steps + 1),
            diverged_step=np.asarray(diverged, dtype=np.int64).reshape(n, 1),
            hparams={n: r.hparams for n, r in zip(names, runs, strict=True)},
        )
