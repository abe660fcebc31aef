"""What a training run produces: per-optimizer curves, a JSON-lines log, saved weights."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optviz.trainer.model import ModelConfig


@dataclass
class Curves:
    """One optimizer's numbers. Epoch 0 is the shared initial model."""

    epoch: list[int] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # training time so far
    # Mini-batch loss as training goes (one value per logged chunk of steps).
    batch_step: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in dataclasses.asdict(self).items()}


@dataclass
class TrainResult:
    """Curves per optimizer (in the order trained), the final weights, and the setup."""

    optimizers: list[str]
    curves: dict[str, Curves]
    params: dict[str, dict]
    config: ModelConfig
    dataset: str
    batch_size: int
    steps_per_epoch: int
    interrupted: bool = False
    # Per optimizer: the model's state (batch norm's running statistics, {} without).
    model_state: dict[str, dict] = field(default_factory=dict)
    # Per optimizer: the largest Hessian eigenvalue of the training loss at the end.
    sharpness: dict[str, float] = field(default_factory=dict)
    # Per optimizer: the `optviz.trainer.sharpness.Sharpness` measured (both ends of
    # the Hessian's spectrum, each with its residual and whether it converged).
    hessian: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> list[dict]:
        """One row per optimizer with its last evaluated numbers."""
        rows = []
        for name in self.optimizers:
            c = self.curves[name]
            if not c.epoch:
                continue
            seconds = c.seconds[-1]
            rows.append(
                {
                    "optimizer": name,
                    "epochs": c.epoch[-1],
                    "train_loss": c.train_loss[-1],
                    "train_acc": c.train_acc[-1],
                    "test_loss": c.test_loss[-1],
                    "test_acc": c.test_acc[-1],
                    "seconds": seconds,
                    "steps_per_s": c.step[-1] / seconds if seconds > 0 else math.nan,
                    "sharpness": self.sharpness.get(name, math.nan),
                    "min_eigenvalue": getattr(self.hessian.get(name), "min_value", math.nan),
                    "nonconvexity": getattr(self.hessian.get(name), "nonconvexity", math.nan),
                }
            )
        return rows


class MetricsLog:
    """A metrics.jsonl file: one JSON object per line, flushed as written."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file = open(self.path, "w", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_metrics(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


STATE = "state:"  # prefix of the model state's arrays in a params .npz


def save_params(
    path: str | Path, params: dict, cfg: ModelConfig, state: dict | None = None
) -> Path:
    """Weights as ``layer/w`` arrays in an .npz, with the model config as JSON.

    The model's state (batch norm's running statistics) goes in as ``state:layer/k``.
    """
    arrays = {f"{layer}/{k}": np.asarray(v) for layer, p in params.items() for k, v in p.items()}
    for layer, part in (state or {}).items():
        arrays.update({f"{STATE}{layer}/{k}": np.asarray(v) for k, v in part.items()})
    arrays["config"] = np.array(json.dumps(dataclasses.asdict(cfg)))
    path = Path(path)
    np.savez(path, **arrays)
    return path


def load_params(path: str | Path) -> tuple[dict, ModelConfig]:
    params, _, cfg = load_model(path)
    return params, cfg


def load_model(path: str | Path) -> tuple[dict, dict, ModelConfig]:
    """Weights, model state and config from a params .npz (`save_params`)."""
    with np.load(path) as z:
        raw = json.loads(str(z["config"]))
        cfg = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
        params: dict = {}
        state: dict = {}
        for key in z.files:
            if key != "config":
                into = state if key.startswith(STATE) else params
                layer, name = key.removeprefix(STATE).split("/")
                into.setdefault(layer, {})[name] = z[key]
    return params, state, cfg
