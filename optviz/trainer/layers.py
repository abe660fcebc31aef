"""Feature maps of one image through a trained model (the lecture's pictures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optviz.errors import OptvizError
from optviz.trainer.data import Dataset


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

    from optviz.trainer.api import train
    from optviz.trainer.model import feature_maps
    from optviz.trainer.plots import feature_maps_png
    from optviz.trainer.result import load_params

    if not 0 <= index < len(data.x_test):
        raise OptvizError(f"index must be in 0..{len(data.x_test) - 1}, not {index}")
    if params is not None:
        if not Path(params).is_file():
            raise OptvizError(f"no saved model at {str(params)!r}")
        weights, cfg = load_params(params)
        if tuple(cfg.image_shape) != data.image_shape:
            raise OptvizError(
                f"{params} was trained on {cfg.image_shape} images, "
                f"the dataset has {data.image_shape}"
            )
    else:
        result = train(["adam"], dataset=data, epochs=epochs, seed=seed)
        weights, cfg = result.params["adam"], result.config
    image = data.x_test[index]
    maps = feature_maps(weights, jnp.asarray(image[None]), cfg)
    arrays = {k: np.asarray(v[0]) for k, v in maps.items()}
    return feature_maps_png(image, arrays, out, channels=channels)
