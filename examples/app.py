"""A small data CLI whose start-up is dominated by imports it often does not need.

    python examples/app.py stats 1 2 3 4      # uses numpy and scipy.stats only
    python examples/app.py plot out.png 3 1 2 # uses matplotlib
    python examples/app.py tensor 1 2 3       # uses torch

Run it as it is, or with lazyhook:  python -m lazyhook run --lazy @data,torch examples/app.py stats 1 2 3
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.stats
import torch


def stats(values: list[float]) -> str:
    data = np.array(values)
    t = scipy.stats.ttest_1samp(data, 0.0)
    return f"mean={data.mean():.3f} t={t.statistic:.3f}"


def table(values: list[float]) -> str:
    frame = pd.DataFrame({"value": values})
    return frame.describe().to_string()


def plot(path: str, values: list[float]) -> str:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(values)
    fig.savefig(path)
    return f"wrote {path}"


def tensor(values: list[float]) -> str:
    return str(torch.tensor(values).softmax(0))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("stats", "table", "plot", "tensor"):
        print(__doc__.strip())
        return 2
    command, rest = argv[0], argv[1:]
    if command == "plot":
        print(plot(rest[0], [float(v) for v in rest[1:]]))
    else:
        print({"stats": stats, "table": table, "tensor": tensor}[command]([float(v) for v in rest]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
