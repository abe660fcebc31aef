"""The `Writer` interface: frames in, one file out (matplotlib's `AbstractMovieWriter`
shape: `open`, `add` a frame at a time, `finish`). The writers themselves, and the
table that picks one by file extension, are in `optviz.render.writers`."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path as FsPath
from typing import ClassVar

import numpy as np

from optviz.errors import OptvizError
from optviz.render.encode import Encoded


class Writer(abc.ABC):
    """Frames in, one file out. `open` -> `add` ... -> `finish` (or `abort`)."""

    fmt: ClassVar[str]
    alpha: ClassVar[bool] = False  # can keep a transparent background
    still: ClassVar[bool] = False  # one picture: only the last frame is drawn
    palette: ClassVar[bool] = False  # wants sample frames and exact colours at `open`
    wants_stage: ClassVar[bool] = False  # draws from the stage itself (`write_stage`)

    def open(
        self,
        path: FsPath,
        *,
        fps: float,
        n_frames: int,
        transparent: bool = False,
        samples: Sequence[np.ndarray] = (),
        reserved: Sequence[tuple[int, int, int]] = (),
    ) -> None:
        """Start writing to `path`. samples: frames that show the picture's colours,
        reserved: colours that must come out exact (palette formats use them)."""
        self.path, self.fps, self.n_frames, self.transparent = path, fps, n_frames, transparent
        self._open(samples, reserved)

    def _open(self, samples, reserved) -> None:  # noqa: B027 - optional hook
        pass

    @abc.abstractmethod
    def add(self, frame: np.ndarray) -> None:
        """Append one frame. The writer may keep it (encoders run in a thread): the
        caller must not change the array afterwards; passing the same array again
        repeats the frame."""

    @abc.abstractmethod
    def finish(self) -> Encoded:
        """Complete the file and say what was stored."""

    def abort(self) -> None:  # noqa: B027 - optional hook
        """Stop after a failure; the caller removes the partial file."""

    def write_stage(self, path: FsPath, stage, steps: np.ndarray, *, fps: float, hold: float):
        """For `wants_stage` writers, instead of open/add/finish: write `path` from the
        `Stage` (its background, scenes and tracks) in one go. steps: the steps the
        frames of an animation would show (their count / fps is its run time); hold:
        seconds the end stays up. Returns an `Encoded`."""
        raise NotImplementedError(f"{self.fmt} writes frames, not a stage")

    @classmethod
    def check(cls, *, fps: float, transparent: bool) -> None:
        """Refuse settings the format cannot store, before any drawing."""
        if transparent and not cls.alpha:
            raise OptvizError("--transparent works with png and webp")
