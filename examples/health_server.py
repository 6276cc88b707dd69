"""A stdlib web app that serves lazyhook's status from a health endpoint.

    LAZY_IMPORTS=@data python examples/health_server.py [PORT]

GET /health  -> JSON: every configured package with its state, load time, trigger
GET /warm    -> loads every pending lazy module now (a warm-up endpoint), then /health
GET /stats   -> uses numpy and scipy.stats (so they load on the first request)
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lazyhook

lazyhook.install(["numpy", "scipy"])

import numpy as np  # noqa: E402 - deferred: nothing runs until a request needs it
import scipy.stats  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/warm":
            handle = lazyhook.load_all()
            body = {"warmed": handle.total, "errors": {k: repr(v) for k, v in handle.errors.items()},
                    "status": lazyhook.status()}
        elif self.path == "/health":
            body = {"status": lazyhook.status()}
        elif self.path == "/stats":
            body = {"p": float(scipy.stats.norm.cdf(np.float64(1.0)))}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
