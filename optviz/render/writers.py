"""One writer per output format, registered by file extension.

Each writer has the shape of matplotlib's `AbstractMovieWriter`: `open` it on a
path, `add` frames ((H, W, 3|4) uint8 arrays) one at a time, `finish` to close the
file. Frame writers know nothing about matplotlib. A writer that draws in the
viewer instead (`wants_stage`: the html page, `optviz.render.html`) is handed the
`Stage` once, through `write_stage`, and gets no frames. `format_of` is the one
place that decides a file's format from its name; the command line, `Race.save`
and the gallery all go through it.

>>> format_of("race.GIF"), WRITERS["webp"].alpha
('gif', True)
"""

from __future__ import annotations

import abc
import queue
import threading
from collections.abc import Sequence
from pathlib import Path as FsPath
from typing import ClassVar

import numpy as np

from optviz.errors import OptvizError
from optviz.render import encode
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
        """Append one frame."""

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


class GifWriter(Writer):
    """A streamed GIF with one global palette (see `encode.GifStream`)."""

    fmt, palette = "gif", True

    @classmethod
    def check(cls, *, fps: float, transparent: bool) -> None:
        super().check(fps=fps, transparent=transparent)
        if fps > encode.MAX_GIF_FPS:
            raise OptvizError(
                f"GIF cannot play faster than {encode.MAX_GIF_FPS} fps (got {fps}); "
                "use .mp4 or .webp"
            )

    def _open(self, samples, reserved) -> None:
        self._frames = _Feed()
        palette = encode.Palette(list(samples), list(reserved))
        self._frames.start(
            lambda it: encode.write_gif(it, self.path, fps=self.fps, palette=palette)
        )

    def add(self, frame: np.ndarray) -> None:
        self._frames.put(frame)

    def finish(self) -> Encoded:
        return self._frames.close()

    def abort(self) -> None:
        self._frames.cancel()


class WebpWriter(Writer):
    """Lossless animated WebP (libwebp stores unchanged regions and repeats cheaply)."""

    fmt, alpha = "webp", True

    def _open(self, samples, reserved) -> None:
        self._frames = _Feed()
        n, fps, alpha = self.n_frames, self.fps, self.transparent
        self._frames.start(lambda it: encode.write_webp(it, self.path, fps=fps, n=n, alpha=alpha))

    def add(self, frame: np.ndarray) -> None:
        self._frames.put(frame)

    def finish(self) -> Encoded:
        return self._frames.close()

    def abort(self) -> None:
        self._frames.cancel()


class Mp4Writer(Writer):
    """H.264 through imageio's ffmpeg plugin (the optional `mp4` extra)."""

    fmt = "mp4"

    @classmethod
    def check(cls, *, fps: float, transparent: bool) -> None:
        super().check(fps=fps, transparent=transparent)
        encode.require_mp4()

    def _open(self, samples, reserved) -> None:
        self._frames = _Feed()
        self._frames.start(lambda it: encode.write_mp4(it, self.path, fps=self.fps))

    def add(self, frame: np.ndarray) -> None:
        self._frames.put(frame)

    def finish(self) -> Encoded:
        return self._frames.close()

    def abort(self) -> None:
        self._frames.cancel()


class PngWriter(Writer):
    """A still: the last frame added."""

    fmt, alpha, still = "png", True, True

    def _open(self, samples, reserved) -> None:
        self._last: np.ndarray | None = None

    def add(self, frame: np.ndarray) -> None:
        self._last = frame

    def finish(self) -> Encoded:
        if self._last is None:
            raise OptvizError("no frames to write")
        return encode.write_png(self._last, self.path, alpha=self.transparent)


# html.py subclasses `Writer` (defined above). This package's __init__ imports this
# module first, so the import below always finds `Writer` in place.
from optviz.render.html import HtmlWriter  # noqa: E402

WRITERS: dict[str, type[Writer]] = {
    w.fmt: w for w in (GifWriter, WebpWriter, Mp4Writer, PngWriter, HtmlWriter)
}
FORMATS: tuple[str, ...] = tuple(WRITERS)


def format_of(out: str | FsPath, fmt: str | None = None) -> str:
    """The format of output file `out`: `fmt` if given (it must agree with a known
    extension), else the one its extension names."""
    suffix = FsPath(out).suffix.lower().lstrip(".")
    if fmt is not None:
        if fmt not in WRITERS:
            raise OptvizError(f"unknown format {fmt!r}; choose from: {', '.join(FORMATS)}")
        if suffix in WRITERS and suffix != fmt:
            raise OptvizError(f"the file name {FsPath(out).name!r} says {suffix}, not {fmt}")
        return fmt
    if suffix not in WRITERS:
        raise OptvizError(
            f"cannot tell the format of {FsPath(out).name!r} from its extension; "
            f"use one of: {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def writer_for(fmt: str) -> Writer:
    """A new writer for `fmt`."""
    try:
        return WRITERS[fmt]()
    except KeyError:
        raise OptvizError(f"unknown format {fmt!r}; choose from: {', '.join(FORMATS)}") from None


class _Feed:
    """Runs a pull-style encoder (it iterates over frames) in a thread, fed by `put`,
    so a push-style writer streams without holding every frame. At most two frames
    wait in between; an encoder error reaches the caller at the next `put` or at
    `close`."""

    _END = object()

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._result: Encoded | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()

    def start(self, encoder) -> None:
        def frames():
            while True:
                item = self._queue.get()
                if item is self._END or self._stop.is_set():
                    return
                yield item

        def run():
            try:
                self._result = encoder(frames())
            except BaseException as err:  # handed to the caller's thread
                self._error = err
            finally:
                self._stop.set()
                _drain(self._queue)

        self._thread = threading.Thread(target=run, name="optviz-writer", daemon=True)
        self._thread.start()

    def put(self, frame: np.ndarray) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(frame, timeout=0.05)
                return
            except queue.Full:
                continue
        self._raise()

    def close(self) -> Encoded:
        if not self._stop.is_set():
            self.put(self._END)
        self._thread.join()
        self._raise()
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        self._stop.set()
        _drain(self._queue)
        self._queue.put(self._END)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def _drain(q: queue.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return
