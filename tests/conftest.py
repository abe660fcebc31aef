"""Test-session set-up."""

from __future__ import annotations

import os
import shutil
import tempfile

import jax

pytest_plugins = ["tests.train_fixtures"]

# One persistent JAX compilation cache for the whole session, in a fresh
# temporary folder: a program that several tests build (through new jit
# objects, a notebook kernel or a command-line subprocess, which inherit these
# variables) compiles once. Every program is cached, however small or quick.
_JAX_CACHE = tempfile.mkdtemp(prefix="optviz-tests-jax-cache-")
_JAX_SETTINGS = {
    "jax_compilation_cache_dir": _JAX_CACHE,
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": -1,
}
for _name, _value in _JAX_SETTINGS.items():
    os.environ[_name.upper()] = str(_value)
    jax.config.update(_name, _value)


def pytest_unconfigure(config):
    shutil.rmtree(_JAX_CACHE, ignore_errors=True)
