"""The example notebooks: committed without outputs, and every cell runs without error."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a code cell has a count"
            assert "execution" not in cell.metadata


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("ipywidgets")
    work = tmp_path / path.name
    shutil.copy(path, work)
    nb = nbformat.read(work, as_version=4)
    # "python3" is ipykernel's own spec; jupyter_client starts it with this interpreter
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    if path.name == "compare_optimizers.ipynb":
        check_compare_optimizers(nb, tmp_path)


def check_compare_optimizers(nb, folder):
    from PIL import Image

    data = [o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    gifs = [d["text/html"] for d in data if "data:image/gif;base64," in d.get("text/html", "")]
    assert len(gifs) == 2  # the saddle race and the Rosenbrock race show as animations
    payload = gifs[0].split("base64,", 1)[1].split('"', 1)[0]
    with Image.open(io.BytesIO(base64.b64decode(payload))) as gif:
        assert gif.n_frames > 1
    assert sum("image/png" in d for d in data) >= 2  # the sweep's plot and race.plot()
    assert any("application/vnd.jupyter.widget-view+json" in d for d in data)  # the explorer
    with Image.open(folder / "rosenbrock.gif") as saved:  # race.save ran in the temp folder
        assert saved.n_frames > 1
