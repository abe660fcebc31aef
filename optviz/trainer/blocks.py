"""The conv blocks of a network of some depth: sizes, channels, pools and skip projections.

Pure Python on a `ModelConfig` (hashable), so the plan is computed once per
configuration and is static under ``jit``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optviz.trainer.model import ModelConfig

MAX_DEPTH = 32  # conv blocks; each is unrolled in the compiled program


@dataclass(frozen=True)
class Block:
    """One conv block: conv -> norm -> (+ skip) -> activation -> pool (if ``pool``)."""

    index: int  # 1-based
    in_channels: int
    channels: int
    side: tuple[int, int]  # input (= conv output) height and width
    pool: bool
    projection: str | None  # name of the 1x1 skip projection, when channels change

    @property
    def name(self) -> str:
        return f"conv{self.index}"

    @property
    def out_side(self) -> tuple[int, int]:
        h, w = self.side
        return (h // 2, w // 2) if self.pool else (h, w)


def max_pools(image_shape: tuple[int, int]) -> int:
    """How many 2x2 max-pools the image allows (each halves it, rounding down, to >= 1)."""
    side, n = min(image_shape), 0
    while side >= 2:
        side, n = side // 2, n + 1
    return n


@functools.lru_cache(maxsize=256)
def plan(cfg: ModelConfig) -> tuple[Block, ...]:
    """The blocks of ``cfg``: P = min(depth, pools the image allows) pools, spread evenly.

    The pools close the blocks ceil(k * depth / P), k = 1..P: at depth 2 (the
    default) after both blocks, as the lecture's network; deeper networks get
    stages of blocks at one size. Each stage has ``channels[stage]`` channels.
    """
    if not 1 <= cfg.depth <= MAX_DEPTH:
        raise ValueError(f"depth must be in 1..{MAX_DEPTH}, not {cfg.depth}")
    n_pools = min(cfg.depth, max_pools(cfg.image_shape))
    closing = {-(-k * cfg.depth // n_pools) for k in range(1, n_pools + 1)}
    blocks, side, c_in, stage = [], tuple(cfg.image_shape), cfg.in_channels, 0
    for i in range(1, cfg.depth + 1):
        c = cfg.channels[min(stage, len(cfg.channels) - 1)]
        proj = f"skip{i}" if cfg.skip and c != c_in else None
        block = Block(i, c_in, c, side, i in closing, proj)
        blocks.append(block)
        side, c_in, stage = block.out_side, c, stage + block.pool
    return tuple(blocks)
