"""Feature maps of one image through a trained model (the lecture's pictures)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optviz.errors import OptvizError
from optviz.trainer.data import Dataset

if TYPE_CHECKING:
    from optviz.trainer.model import ModelConfig


def draw_layers(
    data: Dataset,
    out: str | Path,
    *,
    params: str | Path | None = None,
    index: int = 0,
    channels: int = 8,
    epochs: int = 3,
    seed: int = 0,
) -> Path:
    """Write a PNG of test image ``index`` after each conv, activation and pooling layer.

    ``params``: an .npz saved by ``train(out=...)``; without it, trains a quick
    model with Adam for ``epochs`` epochs.
    """
    import jax.numpy as jnp

    from optviz.render.encode import atomic_output
    from optviz.trainer.api import train
    from optviz.trainer.model import feature_maps
    from optviz.trainer.plots import feature_maps_png

    out = Path(out)
    if out.suffix.lower() != ".png":
        raise OptvizError(f"--out {out} must be a .png file")
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise OptvizError(f"channels must be a positive whole number, not {channels!r}")
    if not 0 <= index < len(data.x_test):
        raise OptvizError(f"index must be in 0..{len(data.x_test) - 1}, not {index}")
    if params is not None:
        if not Path(params).is_file():
            raise OptvizError(f"no saved model at {str(params)!r}")
        weights, state, cfg = _load_checked(params, data.image_shape)
    else:
        result = train(["adam"], dataset=data, epochs=epochs, seed=seed, sharpness=False)
        weights, cfg = result.params["adam"], result.config
        state = result.model_state["adam"]
    image = data.x_test[index]
    maps = feature_maps(weights, jnp.asarray(image[None]), cfg, state)
    arrays = {k: np.asarray(v[0]) for k, v in maps.items()}
    with atomic_output(out) as tmp:  # no partial or empty PNG, an old one kept on failure
        feature_maps_png(image, arrays, tmp, channels=channels)
    return out


def _load_checked(path: str | Path, image_shape: tuple[int, int]) -> tuple[dict, dict, ModelConfig]:
    """Weights, model state and config from a params_NAME.npz, checked against its model."""
    import jax

    from optviz.trainer.model import init_params, init_state
    from optviz.trainer.result import load_model

    not_ours = f"{path} is not a parameter file written by optviz train"
    try:
        weights, state, cfg = load_model(path)
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise OptvizError(f"{not_ours} ({type(err).__name__})") from None
    if tuple(cfg.image_shape) != tuple(image_shape):
        raise OptvizError(
            f"{path} was trained on {cfg.image_shape} images, the dataset has {image_shape}"
        )
    try:
        expected = jax.eval_shape(lambda: init_params(jax.random.key(0), cfg))
        expected_state = jax.eval_shape(lambda: init_state(cfg))
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise OptvizError(f"{not_ours} ({type(err).__name__})") from None
    for found, wanted in ((weights, expected), (state, expected_state)):
        for layer, arrays in wanted.items():
            for key, want in arrays.items():
                got = found.get(layer, {}).get(key)
                if got is None or got.shape != want.shape:
                    raise OptvizError(f"{not_ours} ({layer}/{key} missing or of the wrong shape)")
                if not np.issubdtype(got.dtype, np.floating) or not np.isfinite(got).all():
                    raise OptvizError(f"{not_ours} ({layer}/{key} is not finite numbers)")
    return weights, state, cfg
