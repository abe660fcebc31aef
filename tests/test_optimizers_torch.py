"""PyTorch optimizers on the JAX surfaces (optimizers/pytorch.py): torch's SGD, momentum
and Adam follow optax's to float32 tolerance over 100 steps; LBFGS runs through its
closure; without torch, torch:NAME is one line naming the extra. Needs the `torch`
extra (CI installs it); skipped without it. torch is imported by the `torch` fixture,
not at collection, so the processes that run other modules never pay for it."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import optviz
from optviz.errors import OptvizError

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason='PyTorch optimizers need: pip install -e ".[torch]"',
)


@pytest.fixture(scope="module")
def torch():
    return importlib.import_module("torch")


START = [(2.0, 1.7), (1.0, -1.0)]  # two starts: each path has its own torch optimizer
STEPS = 100


def test_torch_sgd_momentum_and_adam_follow_optax(torch):
    """torch.optim.SGD (plain, momentum 0.9) and Adam against optax's sgd (plain, momentum) and
    adam at the same settings on Beale, from two starts. PyTorch's momentum buffer starts
    at the first gradient and optax's trace at zero, but both give v_t = sum mu^k g_{t-k},
    so the paths agree to float32 rounding."""
    line_up = [
        "sgd", "torch:SGD",
        "momentum", functools.partial(torch.optim.SGD, momentum=0.9),
        "adam", "torch:Adam",
    ]  # fmt: skip
    lr = {"sgd": 1e-3, "torch:SGD": 1e-3, "momentum": 5e-4, "torch.SGD": 5e-4,
          "adam": 0.02, "torch:Adam": 0.02}  # fmt: skip
    result = optviz.trajectories(line_up, "beale", starts=START, steps=STEPS, lr=lr)
    assert result.optimizers[1::2] == ("torch:SGD", "torch.SGD", "torch:Adam")
    pos = result.positions
    assert np.isfinite(pos).all() and not np.allclose(pos[0, :, -1], pos[0, :, 0])
    for i in range(0, 6, 2):
        np.testing.assert_allclose(pos[i + 1], pos[i], rtol=2e-5, atol=2e-5)
        np.testing.assert_allclose(result.losses[i + 1], result.losses[i], rtol=1e-4, atol=1e-5)


def test_lbfgs_runs_through_its_closure_to_the_minimum():
    """LBFGS asks for the loss and gradient itself (a closure): on the bowl, a quadratic, it
    lands on the known minimum within a few steps, where plain SGD is still far off."""
    result = optviz.trajectories(["torch:LBFGS"], "bowl", steps=5, lr=1.0)
    minimum = optviz.surfaces.get("bowl").minima[0].xy
    np.testing.assert_allclose(result.positions[0, 0, -1], minimum, atol=1e-4)


def test_a_user_optimizer_class_races_under_its_name_and_diverges_like_any_other(torch):
    class Reckless(torch.optim.SGD):
        def __init__(self, params, lr=10.0):
            super().__init__(params, lr=lr)

    race = optviz.race([Reckless], "rosenbrock", steps=30)
    assert race.optimizers == ("Reckless",)
    assert race.result.hparams["Reckless"] == {"learning_rate": 10.0}  # its own default
    step = race.diverged["Reckless"]
    assert step is not None and np.isfinite(race.paths["Reckless"]).all()  # frozen, finite


def test_bad_torch_input_is_one_line(torch):
    with pytest.raises(OptvizError, match="did you mean 'Adam'"):
        optviz.trajectories("torch:Adamm", "bowl", steps=5)
    with pytest.raises(OptvizError, match="PyTorch refused the settings"):
        optviz.trajectories("torch:SGD", "bowl", steps=5, lr=-1.0)
    with pytest.raises(OptvizError, match="not an optimizer already built"):
        optviz.trajectories(torch.optim.SGD([torch.zeros(2)], lr=0.1), "bowl", steps=5)
    with pytest.raises(OptvizError, match="trainer takes optax optimizers"):
        optviz.train(["torch:SGD"], epochs=1)


def test_without_torch_the_error_names_the_extra_and_optviz_never_imports_it():
    code = (
        "import sys\n"
        "import optviz, optviz.engine, optviz.racing, optviz.cli\n"
        "optviz.optimizers.adopt(['sgd', optviz.optimizers.kfac])\n"  # an object, not torch's
        "assert 'torch' not in sys.modules\n"
        "sys.modules['torch'] = None\n"  # `import torch` now fails
        "try:\n"
        "    optviz.trajectories(['torch:Adam'], 'bowl', steps=3)\n"
        "except optviz.OptvizError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout == 'PyTorch optimizers need PyTorch: pip install -e ".[torch]"\n'
