"""The encoder alone: uint8 frames in, a GIF out, no matplotlib involved."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from optviz.errors import OptvizError
from optviz.render import encode

WHITE, RED, BLUE, GREEN = (255, 255, 255), (228, 26, 28), (55, 126, 184), (77, 175, 74)


def square_frames(n, size=(64, 48), alpha=False):
    """A red square and a blue square moving over white: few colours, exact round trip."""
    w, h = size
    for k in range(n):
        f = np.full((h, w, 4 if alpha else 3), 255, np.uint8)
        f[5:15, 2 + 3 * k : 12 + 3 * k, :3] = RED
        f[30:40, 40 - 2 * k : 48 - 2 * k, :3] = BLUE
        yield f


def read_gif(path):
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append((np.asarray(im.convert("RGB")), im.info["duration"]))
        return out


@pytest.mark.parametrize("alpha", [False, True])
def test_gif_round_trip_is_exact_with_transparent_diffs(tmp_path, alpha):
    frames = list(square_frames(8, alpha=alpha))
    pal = encode.Palette([frames[0], frames[-1]], [WHITE, RED, BLUE])
    got = encode.write_gif(iter(frames), tmp_path / "a.gif", fps=20, palette=pal)
    back = read_gif(tmp_path / "a.gif")
    assert got.n_frames == len(back) == 8
    for (img, _), f in zip(back, frames, strict=True):
        assert np.array_equal(img, f[..., :3])
    assert sum(d for _, d in back) == 400


def test_duplicates_merge_and_durations_do_not_drift(tmp_path):
    a, b, c = list(square_frames(3))
    seq = [a, a, b, b, b, c, c]
    pal = encode.Palette([a], [WHITE, RED, BLUE])
    got = encode.write_gif(iter(seq), tmp_path / "d.gif", fps=30, palette=pal)
    back = read_gif(tmp_path / "d.gif")
    assert got.n_frames == 3 and [d for _, d in back] == [70, 100, 60]
    assert got.duration_s == pytest.approx(0.23)


def test_reserved_colours_keep_exact_slots_in_a_crowded_palette():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    near_green = np.array(GREEN, np.uint8)[None, None] + np.uint8(1)
    pal = encode.Palette([noise], [WHITE, GREEN])
    frame = noise.copy()
    frame[0, 0], frame[0, 1], frame[0, 2] = GREEN, near_green[0, 0], WHITE
    idx, _ = encode.Indexer(pal)(frame)
    assert tuple(pal.colors[idx[0, 0]]) == GREEN and idx[0, 0] == 1
    assert idx[0, 2] == 0 and idx.max() < encode.TRANSPARENT


def test_gif_is_streamed_not_buffered(tmp_path):
    out = tmp_path / "s.gif"
    rng = np.random.default_rng(1)
    sizes = []

    def frames():
        for _ in range(12):
            sizes.append(out.stat().st_size if out.exists() else 0)
            yield rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)

    pal = encode.Palette([rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)], [WHITE])
    encode.write_gif(frames(), out, fps=10, palette=pal)
    assert sizes[-1] > sizes[6] > 0  # bytes reach the file while frames still arrive


def test_gif_refuses_speeds_viewers_cannot_play(tmp_path):
    with pytest.raises(OptvizError, match="50 fps"):
        encode.write_gif(
            square_frames(2), tmp_path / "f.gif", fps=60, palette=encode.Palette([], [WHITE])
        )


def test_atomic_output_cleans_up_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "x.gif"
    out.write_bytes(b"old")
    with pytest.raises(ValueError), encode.atomic_output(out) as tmp:
        tmp.write_bytes(b"half")
        raise ValueError("fail")
    assert out.read_bytes() == b"old" and list(tmp_path.iterdir()) == [out]
    with encode.atomic_output(out) as tmp:
        tmp.write_bytes(b"new")
    assert out.read_bytes() == b"new" and list(tmp_path.iterdir()) == [out]


def test_frames_must_be_uint8_images(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        encode.write_gif(
            iter([np.zeros((4, 4, 3))]),
            tmp_path / "z.gif",
            fps=10,
            palette=encode.Palette([], [WHITE]),
        )
