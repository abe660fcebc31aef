"""`optviz atlas --distributed`: two processes on this machine share one map through
`jax.distributed` (a coordinator on localhost, CPU collectives over gloo) and the
file process 0 writes equals the map computed by one process alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np

import optviz
from optviz.maps.axes import DIVERGED


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


# every process: join, then the CLI's own path; the device check proves both joined
SCRIPT = """
import sys
from optviz.cli import main
sys.argv = ["optviz", "atlas", "sgd", "himmelblau", "--grid", "9", "--steps", "30",
            "--lr", "0.025", "--out", sys.argv[1], "--quiet", "--distributed"]
try:
    main()
except SystemExit as e:
    assert not e.code, e.code
import jax
assert jax.process_count() == 2 and jax.device_count() == 2, jax.devices()
"""


def test_two_processes_give_the_map_of_one(tmp_path):
    out = tmp_path / "two.npz"
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "JAX_NUM_PROCESSES": "2",
           "JAX_COORDINATOR_ADDRESS": f"localhost:{free_port()}"}  # fmt: skip
    env.pop("XLA_FLAGS", None)  # one CPU device per process
    procs = []
    for rank in (0, 1):
        run = [sys.executable, "-c", SCRIPT, str(out)]
        rank_env = {**env, "JAX_PROCESS_ID": str(rank)}
        procs.append(subprocess.Popen(run, env=rank_env, stderr=subprocess.PIPE, text=True))
    results = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        results.append((p.returncode, err))
    for code, err in results:
        assert code == 0, err[-2000:]
    one = optviz.atlas("sgd", "himmelblau", grid=9, steps=30, lr=0.025).arrays()
    outcome = one["sgd/outcome"]
    assert (outcome == DIVERGED).any() and (outcome >= 0).any()  # not a uniform picture
    with np.load(out) as two:
        assert set(two.files) == set(one)
        for key, value in one.items():
            np.testing.assert_array_equal(two[key], value, err_msg=key)
