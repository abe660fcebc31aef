"""Every registry default gives a sensible race on every surface."""

from __future__ import annotations

import pytest

import optviz
from optviz import optimizers, surfaces

# The steps `optviz animate` runs by default, from each surface's own starts: the race
# tests/test_stories.py runs too (one compiled program per surface for both).
STEPS = 1000
# the saddle is unbounded below: escaping it (and the view) is the point
ESCAPES = {"saddle"}


@pytest.mark.parametrize("surface", surfaces.names())
def test_defaults_run_finite_stay_in_view_and_go_downhill(surface):
    surf = surfaces.get(surface)
    r = optviz.trajectories(optimizers.names(), surf, steps=STEPS)
    (x0, x1), (y0, y1) = surf.domain
    for i, name in enumerate(r.optimizers):
        for s, start in enumerate(r.starts):
            if surface not in ESCAPES:  # on the saddle a fast escape overflows float32
                assert r.diverged(name, s) is None, f"{name} diverged on {surface} from {start}"
            xy, loss = r.positions[i, s], r.losses[i, s]
            assert loss[-1] < loss[0], f"{name} went uphill on {surface} from {start}"
            if surface not in ESCAPES:
                inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
                assert inside.all(), f"{name} left the view of {surface} from {start}"


def test_every_surface_has_tuned_defaults_for_every_optimizer():
    for name in optimizers.names():
        assert set(optimizers.spec(name).per_surface) == set(surfaces.names()), name
