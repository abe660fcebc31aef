"""The real command line in a subprocess, for the fault tests (signals, a full disk)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(args, cwd: Path, *, blocks: int | None = None) -> subprocess.Popen:
    """`python -m optviz ARGS`, under a file-size limit of `blocks` (the shell's
    `ulimit -f`: no preexec_fn, so no fork of this JAX-loaded process)."""
    cmd = [sys.executable, "-m", "optviz", *args]
    # A signal that lands while JAX probes for accelerator backends stalls that probe
    # for 60 s and makes JAX warn (JAX's behaviour, not optviz's): these tests are
    # about optviz's files and messages, so the subprocess uses the CPU it has.
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    if blocks is not None:
        cmd = ["sh", "-c", f'ulimit -f {blocks} && exec "$0" "$@"', *cmd]
        # JAX writes cache entries in place: under the limit they would be cut short
        # and poison the session's shared compilation cache. The subprocess reads
        # the cache and writes nothing to it (only programs that took longer than
        # this to compile would be written).
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "1e9"
    return subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
