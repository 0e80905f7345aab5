"""A local static server for the bench: the built book at /, the baseline at /baseline/.
Plain http.server (threaded), the same kind of server `make serve` uses."""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlsplit


class _Handler(http.server.SimpleHTTPRequestHandler):
    mounts: dict[str, Path] = {}

    def log_message(self, *args):
        pass

    def translate_path(self, path):
        url_path = urlsplit(path).path
        for prefix, directory in self.mounts.items():
            if url_path.startswith(prefix + "/"):
                self.directory = str(directory)
                return super().translate_path(url_path[len(prefix):])
        return super().translate_path(path)


def serve(book: Path, baseline: Path):
    handler = type("Handler", (_Handler,), {"mounts": {"/baseline": baseline}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(book)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
