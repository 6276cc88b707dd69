"""The compatibility suite's cases: real work on real packages, run eagerly and lazily.

Shared by tests/integration/test_compat.py and tools/compat-table (which writes
docs/compatibility.md).  Each case imports the way real code does, records which
configured modules are still pending right after the imports, then does real work and
prints a JSON-able result that must be identical with and without lazyhook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")

# name -> (distribution, lazy packages, import lines, work producing `result`)
CASES: dict[str, tuple[str, list[str], str, str]] = {
    "numpy": ("numpy", ["numpy"], "import numpy as np", """
        rng = np.random.default_rng(0)
        m = rng.normal(size=(20, 20))
        result = [round(float(np.linalg.det(m @ m.T)), 3), int(np.argmax(m.sum(axis=0)))]
    """),
    "pandas": ("pandas", ["pandas", "numpy"], "import pandas as pd", """
        df = pd.DataFrame({"k": list("abcab"), "v": [1, 2, 3, 4, 5]})
        result = df.groupby("k")["v"].agg(["sum", "mean"]).round(3).to_dict()
    """),
    "scipy": ("scipy", ["scipy", "numpy"], "import scipy.stats\nimport scipy.sparse\nfrom scipy import optimize", """
        import numpy as np
        sparse = scipy.sparse.identity(5, format="csr") * 3
        fit = optimize.minimize(lambda x: (x[0] - 2) ** 2 + (x[1] + 1) ** 2, [0.0, 0.0])
        result = [round(float(scipy.stats.norm.ppf(0.975)), 9), int(sparse.sum()),
                  [round(float(v), 4) for v in fit.x]]
    """),
    "scikit-learn": ("scikit-learn", ["sklearn", "numpy", "scipy"],
                     "from sklearn.ensemble import RandomForestClassifier\nfrom sklearn.datasets import load_iris", """
        X, y = load_iris(return_X_y=True)
        clf = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
        result = [clf.predict(X[::15]).tolist(), round(float(clf.score(X, y)), 4)]
    """),
    "matplotlib": ("matplotlib", ["matplotlib", "numpy"], "import matplotlib.pyplot as plt", """
        import hashlib, io
        import numpy as np
        fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
        ax.plot([0, 1, 2], [1, 0, 2])
        buf = io.BytesIO()
        fig.canvas.draw()
        pixels = np.asarray(fig.canvas.buffer_rgba())
        fig.savefig(buf, format="png")
        result = [hashlib.sha256(pixels.tobytes()).hexdigest(), buf.getvalue()[:8].hex()]
    """),
    "torch": ("torch", ["torch"], "import torch\nimport torch.nn.functional as F\nfrom torch import nn", """
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        out = F.softmax(model(torch.ones(2, 4)), dim=1)
        result = [round(v, 5) for v in out.flatten().tolist()]
    """),
    "pillow": ("pillow", ["PIL"], "from PIL import Image, ImageDraw", """
        import hashlib
        im = Image.new("RGB", (32, 16), "white")
        ImageDraw.Draw(im).line((0, 0, 31, 15), fill="red", width=2)
        result = [hashlib.sha256(im.tobytes()).hexdigest(), im.size]
    """),
    "sqlalchemy": ("sqlalchemy", ["sqlalchemy"], "import sqlalchemy as sa\nfrom sqlalchemy.orm import Session", """
        engine = sa.create_engine("sqlite://")
        meta = sa.MetaData()
        t = sa.Table("t", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String))
        meta.create_all(engine)
        with Session(engine) as s:
            s.execute(t.insert(), [{"name": "a"}, {"name": "b"}])
            result = [list(r) for r in s.execute(sa.select(t).order_by(t.c.id))]
    """),
    "seaborn": ("seaborn", ["seaborn", "matplotlib", "numpy", "pandas"], "import seaborn as sns", """
        import pandas as pd
        df = pd.DataFrame({"x": [1, 2, 3, 4], "y": [2, 4, 1, 3]})
        ax = sns.lineplot(data=df, x="x", y="y")
        import matplotlib
        result = [len(ax.lines), [round(float(v), 3) for v in ax.lines[0].get_ydata()],
                  "rocket" in matplotlib.colormaps]  # registered by seaborn's import
    """),
    "einops": ("einops", ["einops", "numpy"], "import numpy as np\nfrom einops import rearrange", """
        x = np.arange(24).reshape(2, 3, 4)
        result = rearrange(x, "a b c -> (a c) b").tolist()
    """),
    "safetensors": ("safetensors", ["safetensors", "numpy"], "import numpy as np\nfrom safetensors.numpy import save, load", """
        data = load(save({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}))
        result = data["w"].tolist()
    """),
    "transformers": ("transformers", ["transformers"], "import transformers", """
        config = transformers.BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        result = [config.hidden_size, type(config).__name__, transformers.__version__.split(".")[0]]
    """),
    "opencv": ("opencv-python-headless", ["cv2", "numpy"], "import cv2\nimport numpy as np", """
        img = np.zeros((16, 16), dtype=np.uint8)
        cv2.rectangle(img, (2, 2), (10, 10), 255, -1)
        result = [int(cv2.countNonZero(img)), list(cv2.GaussianBlur(img, (3, 3), 0)[5, :6])]
        result[1] = [int(v) for v in result[1]]
    """),
}


def script(case: str, lazy: bool) -> str:
    _dist, packages, imports, work = CASES[case]
    return "\n".join([
        "import json, sys, time",
        f"import lazyhook; lazyhook.install({packages!r}, policy=False)" if lazy else "",
        "start = time.perf_counter()",
        textwrap.dedent(imports),
        "import_ms = (time.perf_counter() - start) * 1000",
        "pending = sorted(r['module'] for r in sys.modules['lazyhook'].status() if r['state'] == 'pending') if 'lazyhook' in sys.modules else []",
        textwrap.dedent(work),
        'print(json.dumps({"result": result, "pending": pending, "import_ms": import_ms}, default=str))',
    ])


def run(case: str, lazy: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZY", "PYTHONPATH"))}
    env.update(PYTHONPATH=os.path.abspath(SRC), MPLBACKEND="Agg", TOKENIZERS_PARALLELISM="false",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", script(case, lazy)], capture_output=True, text=True,
                          env=env, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{case} ({'lazy' if lazy else 'eager'}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def installed(case: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(CASES[case][0])
    except metadata.PackageNotFoundError:
        return None
