"""The companion CNN trainer: the lecture's small network, every optimizer, same batches."""

from optviz.trainer.api import train
from optviz.trainer.result import Curves, TrainResult

__all__ = ["Curves", "TrainResult", "train"]
