"""PyTorch optimizers on the JAX surfaces (the optional extra: ``pip install -e ".[torch]"``).

``torch:NAME`` is any `torch.optim` optimizer class (``torch:SGD``, ``torch:Adam``);
in Python, any `torch.optim.Optimizer` subclass or a factory ``f(params, lr=...)``
(``functools.partial(torch.optim.SGD, momentum=0.9)``) races too.

A PyTorch optimizer keeps its state in tensors it changes in place, so it cannot
run inside the engine's compiled scan: it is stepped here, on the host. Every path
is one float32 parameter tensor of two numbers with its own optimizer; each step,
one jitted JAX call gives the loss and gradient of every path, the gradient is
handed to torch as ``p.grad`` and ``optimizer.step()`` moves the point. An
optimizer whose ``step`` needs a closure (``torch.optim.LBFGS``) gets one that
asks JAX for the loss and gradient at the current point. A path whose loss or
position goes non-finite is no longer stepped (the engine cuts it there).

Hyperparameters use optviz's names: ``learning_rate`` (``lr``, as the alias) and
torch's own for the rest (``momentum``, ``nesterov``, ``weight_decay``...);
``torch:NAME`` starts at learning rate 0.01, not tuned by optviz.

torch is imported only when a PyTorch optimizer is asked for.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from optviz import interrupt
from optviz.errors import OptvizError, UnknownNameError
from optviz.optimizers.registry import SPARE_COLORS, SPARE_MARKER
from optviz.optimizers.spec import OptimizerSpec

PREFIX = "torch:"
INSTALL = 'pip install -e ".[torch]"'
DEFAULT_LR = 1e-2
# torch.optim's switches of implementation, not of the method
_IMPLEMENTATION = {"foreach", "fused", "capturable", "differentiable"}


def load_torch():
    """The torch module, or an `OptvizError` naming the extra that installs it."""
    try:
        import torch
    except ImportError:
        raise OptvizError(f"PyTorch optimizers need PyTorch: {INSTALL}") from None
    return torch


def torch_names() -> tuple[str, ...]:
    """The optimizer classes of `torch.optim` (SGD, Adam, ...)."""
    torch = load_torch()
    found = []
    for name in dir(torch.optim):
        obj = getattr(torch.optim, name)
        if isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer):
            if obj is not torch.optim.Optimizer:
                found.append(name)
    return tuple(sorted(found))


def is_torch(obj: Any) -> bool:
    """A torch optimizer class, a partial of one, or a factory whose first parameter is
    ``params`` (torch's convention). Only asked when torch is already imported."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    func = obj.func if isinstance(obj, functools.partial) else obj
    if isinstance(func, torch.optim.Optimizer):
        raise OptvizError(
            "give the optimizer's class or a factory f(params, lr=...), not an optimizer "
            "already built on parameters"
        )
    if isinstance(func, type):
        return issubclass(func, torch.optim.Optimizer)
    try:
        first = next(iter(inspect.signature(obj).parameters), None)
    except (TypeError, ValueError):
        return False
    return first == "params"


@functools.cache
def named_spec(alias: str) -> OptimizerSpec:
    """The spec of ``torch:ALIAS``; a colour from the spare ones by a stable hash."""
    known = torch_names()
    if alias not in known:
        raise UnknownNameError("PyTorch optimizer", alias, known)
    digest = hashlib.sha256((PREFIX + alias).encode()).digest()[0]
    cls = getattr(load_torch().optim, alias)
    colors = SPARE_COLORS[digest % len(SPARE_COLORS)]
    return _spec(PREFIX + alias, f"{alias} (PyTorch)", cls, colors, DEFAULT_LR)


def user_spec(key: str, obj: Any, colors: tuple[str, str]) -> OptimizerSpec:
    """A user's class or factory: its own default learning rate, if it has one."""
    return _spec(key, key, obj, colors, None)


def _spec(
    key: str, display: str, maker: Callable, colors: tuple[str, str], lr: float | None
) -> OptimizerSpec:
    """An ordinary spec whose `factory` states the hyperparameters and whose `host`
    steps the paths."""
    params = _hyperparameters(maker, key)
    rate = "lr" if "lr" in params else "learning_rate" if "learning_rate" in params else None
    if rate is None:
        raise OptvizError(f"optimizer {key!r}: a PyTorch optimizer must take lr")
    own = [p.replace(name="learning_rate") if n == rate else p for n, p in params.items()]
    own = [p.replace(kind=p.KEYWORD_ONLY) for p in own]

    def hyperparameters(**hp):  # the spec's `make`: never called by the engine
        return hp

    hyperparameters.__signature__ = inspect.Signature(own)  # type: ignore[attr-defined]
    if lr is None:
        default = params[rate].default
        ok = isinstance(default, int | float) and not isinstance(default, bool) and default > 0
        lr = float(default) if ok else DEFAULT_LR
    return OptimizerSpec(
        name=key, display=display, color=colors[0], dark_color=colors[1], marker=SPARE_MARKER,
        formula=f"{getattr(maker, '__name__', key)} (PyTorch, stepped on the host)",
        factory=hyperparameters, defaults={"learning_rate": lr},
        source="PyTorch's defaults, learning rate not tuned by optviz",
        host=functools.partial(run, maker, rate),
    )  # fmt: skip


def _hyperparameters(maker: Callable, key: str) -> dict[str, inspect.Parameter]:
    target = maker.__init__ if isinstance(maker, type) else maker
    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        raise OptvizError(f"optimizer {key!r}: cannot read its parameters") from None
    if isinstance(maker, type):
        params = params[1:]  # self
    if not params or params[0].name != "params":
        raise OptvizError(f"optimizer {key!r}: a PyTorch optimizer takes params first")
    return {
        p.name: p
        for p in params[1:]
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in _IMPLEMENTATION
    }


def run(maker: Callable, rate: str, hps: Sequence[dict], surface, xy0: np.ndarray, steps: int):
    """Every (hyperparameters, start) path, stepped together: (H, S, T, 2), (H, S, T)."""
    torch = load_torch()
    batched, single = _value_and_grad(surface.fn)
    H, S = len(hps), len(xy0)
    params = [
        torch.tensor(np.asarray(xy, np.float32), requires_grad=True) for _ in hps for xy in xy0
    ]
    opts = []
    for h, hp in enumerate(hps):
        kwargs = {(rate if k == "learning_rate" else k): v for k, v in hp.items()}
        for s in range(S):
            try:
                opts.append(maker([params[h * S + s]], **kwargs))
            except Exception as err:  # torch checks its arguments: say which, in one line
                raise OptvizError(f"PyTorch refused the settings {hp}: {err}") from None
    closure = _needs_closure(opts[0])
    pos = np.empty((steps + 1, H * S, 2), np.float32)
    loss = np.empty((steps + 1, H * S), np.float32)
    cur = np.stack([p.detach().numpy().copy() for p in params])
    alive = np.ones(H * S, bool)
    for t in range(steps + 1):
        value, grad = (np.asarray(a) for a in batched(cur))
        pos[t], loss[t] = cur, value
        if t == steps:
            break
        if t % 32 == 0:
            interrupt.check()
        alive &= np.isfinite(value) & np.isfinite(cur).all(axis=1)
        for i in np.flatnonzero(alive):
            p = params[i]
            if closure:
                opts[i].step(_closure(p, single, torch))
            else:
                p.grad = torch.from_numpy(grad[i].astype(np.float32))
                opts[i].step()
        cur = np.stack([p.detach().numpy().copy() for p in params])
    pos = np.moveaxis(pos.reshape(steps + 1, H, S, 2), 0, 2)
    loss = np.moveaxis(loss.reshape(steps + 1, H, S), 0, 2)
    return pos, loss


@functools.lru_cache(maxsize=16)
def _value_and_grad(fn: Callable) -> tuple[Callable, Callable]:
    """The surface's value and gradient, jitted once per surface: over a stack of points
    (every path's step) and at one point (a closure's call)."""
    import jax

    return jax.jit(jax.vmap(jax.value_and_grad(fn))), jax.jit(jax.value_and_grad(fn))


def _needs_closure(opt) -> bool:
    """`step(closure)` with no default: the optimizer evaluates the loss itself (LBFGS)."""
    param = inspect.signature(opt.step).parameters.get("closure")
    return param is not None and param.default is inspect.Parameter.empty


def _closure(p, value_and_grad, torch):
    def closure():
        value, grad = value_and_grad(p.detach().numpy())
        p.grad = torch.from_numpy(np.asarray(grad, dtype=np.float32).copy())
        return torch.tensor(float(value))

    return closure
