"""The notebooks of examples/ run top to bottom (nbclient), so they cannot silently break.

The kernel is ipykernel's ``python3`` started with *this* interpreter (a kernelspec written to a
temporary folder), so the notebooks see the same installed packages as the tests, and nothing is
registered globally."""
import glob
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "examples", "*.ipynb")))


def test_there_is_one_notebook_per_paper_group():
    names = {os.path.basename(p) for p in NOTEBOOKS}
    assert {"sam_gda.ipynb", "eos_catapult.ipynb", "arithmetic.ipynb"} <= names


def _kernel_manager(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kdir = tmp_path / "kernels" / "python3"
    kdir.mkdir(parents=True)
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (the test interpreter)", "language": "python"}))
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return KernelManager(kernel_name="python3", kernel_spec_manager=ksm)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p) for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import nbclient        # imported here, not at collection (about 0.5 s per xdist worker)
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", km=_kernel_manager(tmp_path),
                                     resources={"metadata": {"path": ROOT}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # every figure cell displayed its figure
    fig_cells = [c for c in nb.cells if c.cell_type == "code" and "figures.get(" in c.source]
    assert fig_cells
    for c in fig_cells:
        assert any("image/png" in o.get("data", {}) for o in c.outputs), c.source
