"""A real Jupyter kernel (jupyter_client driving ipykernel) running the same notebook
cells with and without ``%load_ext lazyhook``: the same outputs, deferred imports, and
the report rendered as HTML output naming the cells.

Needs the ``integration`` extra (pandas, scipy, scikit-learn, ipykernel, jupyter_client);
torch joins the cells where it is installed (Python 3.11: ``pip install torch==2.13.0``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tempfile

import pytest

pytestmark = pytest.mark.integration

jupyter_client = pytest.importorskip("jupyter_client", reason="the integration extra installs jupyter_client")
pytest.importorskip("ipykernel", reason="the integration extra installs ipykernel")

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src"))
HAS_TORCH = importlib.util.find_spec("torch") is not None
# numpy too: IPython's first Out[] must not load a deferred numpy (docs/integrations.md).
PACKAGES = ["numpy", "pandas", "scipy", "sklearn"] + (["torch"] if HAS_TORCH else [])

CELLS = [
    "import pandas as pd\nimport numpy as np\nfrom scipy import linalg\n"
    "from sklearn.linear_model import LinearRegression" + ("\nimport torch" if HAS_TORCH else ""),
    "1 + 1",
    "df = pd.DataFrame({'a': [1, 2, 3], 'b': [2.0, 4.5, 6.25]})\ndf",
    "%precision 3",
    "np.float64(1.23456789)",
    "linalg.det(np.array([[1.0, 2.0], [3.0, 4.0]]))",
    "LinearRegression().fit(df[['a']], df['b']).coef_.round(6).tolist()",
] + (["torch.arange(6).reshape(2, 3).sum(dim=0).tolist()"] if HAS_TORCH else [])


class Kernel:
    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZY", "PYTEST_XDIST"))}
        env["PYTHONPATH"] = SRC
        self.manager, self.client = jupyter_client.manager.start_new_kernel(
            kernel_name="python3", env=env, cwd=os.path.dirname(SRC))

    def run(self, code: str) -> list[tuple[str, dict]]:
        """The cell's outputs: ("stream", text) / ("result", data) / ("display", data) / ("error", ename)."""
        msg_id = self.client.execute(code)
        outputs = []
        while True:
            msg = self.client.get_iopub_msg(timeout=300)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                return outputs
            if kind == "stream":
                outputs.append(("stream", content["text"]))
            elif kind in ("execute_result", "display_data"):
                outputs.append(("result" if kind == "execute_result" else "display", content["data"]))
            elif kind == "error":
                outputs.append(("error", f"{content['ename']}: {content['evalue']}"))

    def value(self, expression: str):
        (kind, data), = self.run(expression)
        assert kind == "result", data
        return eval(data["text/plain"])  # noqa: S307 - our own expression's repr

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel():
    started = Kernel()
    yield started
    started.close()


def without_memory_addresses(outputs):
    return [(kind, {mime: re.sub(r"0x[0-9a-f]+", "0x", text) for mime, text in data.items()}
             if isinstance(data, dict) else data) for kind, data in outputs]


def test_cells_give_the_same_outputs_with_deferred_imports_and_an_html_report(kernel):
    eager = Kernel()
    try:
        eager_outputs = [without_memory_addresses(eager.run(cell)) for cell in CELLS]
    finally:
        eager.close()

    loaded = kernel.run("%load_ext lazyhook")
    assert loaded == [("stream", "lazyhook: no package is configured lazy; name some with %lazyhook on "
                                 "torch,@data (or in lazyhook.toml / LAZY_IMPORTS)\n")]
    kernel.run(f"%lazyhook on {','.join(PACKAGES)}")
    outputs = []
    for number, cell in enumerate(CELLS):
        outputs.append(without_memory_addresses(kernel.run(cell)))
        if number == 1:  # after the imports and a first Out[]: nothing has loaded
            kernel.run("import lazyhook")
            assert kernel.value(f"[lazyhook.is_pending(n) for n in {PACKAGES!r}]") == [True] * len(PACKAGES)
    assert outputs == eager_outputs
    assert all(kind != "error" for cell in outputs for kind, _ in cell), outputs

    (kind, report), = kernel.run("%lazyhook report")
    assert kind == "display" and report["text/html"].startswith("<iframe srcdoc=")
    # In[1] and In[2] are the magics, two cells check is_pending after CELLS[1].
    dataframe_cell = f"Cell In[{2 + 2 + CELLS.index(next(c for c in CELLS if c.startswith('df = '))) + 1}]"
    assert f"first used: {dataframe_cell}:1" in report["text/html"]  # pandas, by the DataFrame cell
    pandas_row = next(line for line in report["text/plain"].splitlines() if line.split()[:1] == ["pandas"])
    assert f"{dataframe_cell}:1 (" in pandas_row  # (DataFrame); 3.15 records the name read, (pd)
    (kind, status), = kernel.run("%lazyhook status")
    assert "<table" in status["text/html"]
    states = {line.split()[0]: line.split()[1] for line in status["text/plain"].splitlines()[1:]}
    assert {states[name] for name in PACKAGES} == {"loaded"}


BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.skipif(BROWSER is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_the_report_output_renders_in_a_notebook_page(kernel):
    """The display output placed in a page as a notebook places it, in headless Chromium:
    the iframe's document has a bar for each package's load with the cell that used it,
    and the page's own styles are not restyled by the report's."""
    kernel.run("%load_ext lazyhook")
    kernel.run("%lazyhook on pandas,scipy")
    kernel.run("import pandas as pd\nfrom scipy import linalg")
    kernel.run("pd.Series([1, 2]).sum(), linalg.norm([3.0, 4.0])")
    (kind, report), = kernel.run("%lazyhook report")
    output_html, packages, browser = report["text/html"], ["pandas", "scipy"], BROWSER
    with tempfile.TemporaryDirectory() as work:
        page = os.path.join(work, "notebook.html")
        with open(page, "w") as fh:
            fh.write("<!doctype html><html><body style='margin:7px'><div class=output>" + output_html + "</div>"
                     "<script>window.addEventListener('load', () => {"
                     " const doc = document.querySelector('iframe').contentDocument;"
                     " document.body.dataset.bars = [...doc.querySelectorAll('.bar')].map(b => b.dataset.module).join(',');"
                     " document.body.dataset.sites = [...doc.querySelectorAll('.site')].map(s => s.textContent).join('|');"
                     " document.body.dataset.margin = getComputedStyle(document.body).margin; });</script></body></html>")
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 f"--user-data-dir={os.path.join(work, 'profile')}", "--virtual-time-budget=5000"]
        dom = subprocess.run([browser, *flags, "--dump-dom", "file://" + page], capture_output=True, text=True,
                             timeout=120).stdout
        bars = re.search(r'data-bars="([^"]*)"', dom)
        assert bars is not None, dom[-2000:]
        assert set(packages) <= set(bars.group(1).split(",")), bars.group(1)
        assert "Cell In[" in re.search(r'data-sites="([^"]*)"', dom).group(1)  # each row says which cell
        assert 'data-margin="7px"' in dom  # the report's body{margin:24px} stayed inside its frame
        shot = os.environ.get("LAZYHOOK_NOTEBOOK_SCREENSHOT")  # to look at it: a path for a PNG
        if shot:
            subprocess.run([browser, *flags, "--window-size=1000,500", f"--screenshot={shot}", "file://" + page],
                           capture_output=True, timeout=120)
