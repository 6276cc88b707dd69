"""The health-endpoint recipe, over real loopback HTTP, with real numpy and scipy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_health_endpoint_reports_states_and_warms_on_request():
    pytest.importorskip("scipy")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZY")}
    env["PYTHONPATH"] = str(ROOT / "src")
    server = subprocess.Popen([sys.executable, str(ROOT / "examples" / "health_server.py")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), server.stderr.read()
        base = line.split()[-1]

        def get(path: str) -> dict:
            with urllib.request.urlopen(base + path, timeout=60) as response:
                assert response.headers["Content-Type"] == "application/json"
                return json.loads(response.read())

        states = {r["module"]: r["state"] for r in get("/health")["status"]}
        assert states == {"numpy": "pending", "scipy": "pending", "scipy.stats": "pending"}
        assert abs(get("/stats")["p"] - 0.8413447460685429) < 1e-12
        rows = {r["module"]: r for r in get("/health")["status"]}
        # Loaded, with whatever the bodies deferred in turn (scipy's own `import numpy.typing`).
        assert {m: rows[m]["state"] for m in ("numpy", "scipy", "scipy.stats")} == {
            "numpy": "loaded", "scipy": "loaded", "scipy.stats": "loaded"}
        assert rows["scipy.stats"]["load_s"] > 0 and "health_server.py" in rows["scipy.stats"]["trigger"]
        warmed = get("/warm")
        assert warmed["warmed"] == 0 and warmed["errors"] == {}
    finally:
        server.terminate()
        server.communicate(timeout=10)  # closes the pipes
