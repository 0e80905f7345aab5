"""Bytes a page and its dedicated worker transfer before the lab is ready. Playwright reports
the worker's requests as the page's; each is placed against the `lab:ready` mark by its
end time, and tagged as the worker's when the worker's own resource timing lists it."""
from __future__ import annotations

MB = 1e6
WORKER_URLS = "() => performance.getEntriesByType('resource').map((e) => e.name)"


class Traffic:
    def __init__(self, page):
        self.page = page
        self.requests = []
        page.on("requestfinished", lambda request: self.requests.append(request))

    def before_ready(self, ready_ms: float, line_mbit: float | None = None) -> dict:
        origin = self.page.evaluate("() => performance.timeOrigin")
        worker_urls = {u for w in self.page.workers for u in w.evaluate(WORKER_URLS)}
        rows = []
        for request in self.requests:
            timing, sizes = request.timing, request.sizes()
            end = timing["startTime"] + max(timing["responseEnd"], 0)
            rows.append({"url": request.url, "bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                         "worker": request.url in worker_urls, "end_ms": end - origin,
                         "download_ms": timing["responseEnd"] - max(timing["requestStart"], 0)})
        before = [r for r in rows if r["end_ms"] <= ready_ms + 1]
        biggest = sorted(before, key=lambda r: -r["bytes"])
        out = {"bytes_before_ready_mb": sum(r["bytes"] for r in before) / MB,
               "worker_bytes_before_ready_mb": sum(r["bytes"] for r in before if r["worker"]) / MB,
               "requests_before_ready": len(before),
               "in_flight_or_later": [_short(r) for r in rows if r["end_ms"] > ready_ms + 1],
               "biggest": [_short(r) for r in biggest[:8]]}
        if line_mbit and self.page.workers:  # the naive page has no worker
            out["worker_emulation"] = _check_worker_throttled(before, line_mbit)
        return out


def _short(row: dict) -> dict:
    return {"file": row["url"].rsplit("/", 1)[-1], "mb": round(row["bytes"] / MB, 3), "worker": row["worker"],
            "end_ms": round(row["end_ms"])}


def _check_worker_throttled(rows: list[dict], line_mbit: float) -> dict:
    """The worker's largest download must not have arrived faster than the emulated line
    (a page-level emulation that missed the worker would deliver it at localhost speed)."""
    worker = [r for r in rows if r["worker"] and r["download_ms"] > 0]
    if not worker:
        raise RuntimeError("slow network: no worker download seen before ready; cannot tell the emulation reached the worker")
    largest = max(worker, key=lambda r: r["bytes"])
    mbit = largest["bytes"] * 8 / (largest["download_ms"] / 1e3) / 1e6
    if mbit > line_mbit * 1.25:
        raise RuntimeError(f"slow network: the worker downloaded {largest['url']} at {mbit:.0f} Mbit/s, faster than the "
                           f"emulated {line_mbit:g} Mbit/s: the emulation did not reach the worker")
    return {"file": largest["url"].rsplit("/", 1)[-1], "mb": largest["bytes"] / MB, "mbit_s": mbit}
