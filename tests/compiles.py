"""How many programs JAX has traced, counted through `jax.monitoring` (a public API).

Tests that check "a second call does not recompile" compare `engine_traces()`
before and after. Every jit trace (a new program, or a new shape of one) is
reported to the listener with the traced function's name; the engine's one
program per race is the function `optviz_paths` (see `optviz.engine._compiled`).
tests/test_engine.py checks that a new step count adds exactly one trace, so a
renamed function cannot make the "no recompilation" checks pass by counting nothing.
"""

from __future__ import annotations

import collections

import jax

TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
ENGINE_PROGRAM = "optviz_paths"

_traces: collections.Counter[str] = collections.Counter()


def _listen(event: str, duration: float, **kwargs) -> None:
    if event == TRACE_EVENT:
        _traces[kwargs.get("fun_name", "")] += 1


jax.monitoring.register_event_duration_secs_listener(_listen)


def traces(fun_name: str) -> int:
    """How often a jitted function named `fun_name` has been traced in this process."""
    return _traces[fun_name]


def engine_traces() -> int:
    """How often the engine has traced a race program (each trace is a compilation)."""
    return traces(ENGINE_PROGRAM)
