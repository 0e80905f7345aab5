"""The conditions a page is measured under, applied through the DevTools protocol before it
loads: a slow network, a slow CPU. What each reaches, found on Chromium 156 and checked in
every run (the report says what was slowed):

- Network.emulateNetworkConditions on the page's session also throttles the fetches of its
  dedicated worker (the snapshot, the wasm): `traffic.py` checks that the worker's largest
  download did not arrive faster than the emulated line, and the bench stops if it did.
- Emulation.setCPUThrottlingRate slows the page's main thread only, and Chromium refuses it
  on a dedicated worker's session ("Operation is only supported for pages, not workers").
  The worker's thread is slowed by the kernel instead: paused at its start (auto-attach,
  waitForDebuggerOnStart), moved into a cgroup-v1 cpu group whose quota is 1/rate of one
  CPU, then let go. Without root or such a controller it runs at full speed and the report
  says so. Both slowdowns are measured at the end of each run (a fixed loop, slowed and not).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

CGROUP_CPU = Path("/sys/fs/cgroup/cpu")   # cgroup v1's cpu controller: accepts single threads
WORKER_THREAD = "DedicatedWorker"         # Chromium's name for a dedicated worker's thread (comm)
PERIOD_US = 10_000                        # short: a 30 ms update is not stretched by one long pause
CPU_LOOP = ("() => { const t = performance.now(); let x = 0; for (let i = 0; i < 2e7; i++) x += Math.sqrt(i);"
            " return performance.now() - t; }")


@dataclass(frozen=True)
class Conditions:
    name: str
    download_mbit: float | None = None
    latency_ms: float = 0
    cpu_rate: float = 1

    def describe(self) -> str:
        parts = []
        if self.download_mbit:
            parts.append(f"{self.download_mbit:g} Mbit/s down, {self.latency_ms:g} ms latency")
        if self.cpu_rate != 1:
            parts.append(f"CPU slowed {self.cpu_rate:g}x")
        return ", ".join(parts) or "no emulation"


LOCALHOST = Conditions("localhost")
SLOW_NETWORK = Conditions("slow network", download_mbit=20, latency_ms=40)
SLOW_CPU = Conditions("CPU 4x", cpu_rate=4)


class WorkerCpuLimit:
    """A cgroup-v1 cpu group (one per bench run) that holds dedicated worker threads of the
    browser this process launched, at 1/rate of one CPU."""

    def __init__(self, rate: float):
        self.rate = rate
        self.group = CGROUP_CPU / f"mlsys-bench-{os.getpid()}"
        self.moved: set[int] = set()
        self.unavailable = None
        try:
            self.group.mkdir(exist_ok=True)
            (self.group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.group / "cpu.cfs_quota_us").write_text(str(round(PERIOD_US / rate)))
        except OSError as exc:
            self.unavailable = f"no writable cgroup-v1 cpu controller at {CGROUP_CPU} ({exc.strerror})"

    def describe(self) -> str:
        if self.unavailable:
            return f"worker thread not slowed: {self.unavailable}"
        return f"worker thread at {100 / self.rate:.0f}% of one CPU (cgroup-v1 cpu quota, {PERIOD_US // 1000} ms period)"

    def hold_workers(self) -> list[int]:
        """Move every dedicated worker thread of our browser not yet held into the group."""
        if self.unavailable:
            return []
        found = [tid for tid in _worker_threads() if tid not in self.moved]
        for tid in found:
            try:
                (self.group / "tasks").write_text(str(tid))
                self.moved.add(tid)
            except OSError:
                pass  # the thread ended meanwhile
        return found

    def release(self) -> None:
        """Back to full speed (the threads rejoin the root group)."""
        for tid in list(self.moved):
            try:
                (CGROUP_CPU / "tasks").write_text(str(tid))
            except OSError:
                pass
        self.moved.clear()

    def close(self) -> None:
        if self.unavailable:
            return
        self.release()
        try:
            self.group.rmdir()
        except OSError:
            pass


def _descendants(root: int) -> set[int]:
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier and pid not in found}
        found |= frontier
    return found


def _worker_threads() -> list[int]:
    """Dedicated worker threads of the browsers this process started (Playwright's driver is
    our child, the browser its), never another test's browser."""
    tids = []
    for pid in _descendants(os.getpid()):
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                if Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip() == WORKER_THREAD:
                    tids.append(int(tid))
        except OSError:
            continue
    return tids


class Applied:
    """Conditions in force on one page (set up before it navigates)."""

    def __init__(self, context, page, conditions: Conditions, worker_limit: WorkerCpuLimit | None):
        self.conditions, self.page, self.worker_limit = conditions, page, worker_limit
        self.cdp = context.new_cdp_session(page)
        if conditions.download_mbit:
            rate = conditions.download_mbit * 1e6 / 8
            self.cdp.send("Network.enable")
            self.cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": conditions.latency_ms,
                                                               "downloadThroughput": rate, "uploadThroughput": rate})
        if conditions.cpu_rate != 1:
            self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": conditions.cpu_rate})
            # Old-style (not flattened) auto-attach: Playwright's CDPSession cannot address a
            # child session, but it can send Target.sendMessageToTarget.
            self.cdp.on("Target.attachedToTarget", self._on_attached)
            self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})

    def _on_attached(self, event) -> None:
        if event["targetInfo"]["type"] == "worker" and self.worker_limit:
            self.worker_limit.hold_workers()
        if event.get("waitingForDebugger"):
            message = {"id": 1, "method": "Runtime.runIfWaitingForDebugger"}
            self.cdp.send("Target.sendMessageToTarget", {"sessionId": event["sessionId"], "message": json.dumps(message)})

    def describe(self) -> dict:
        slowed = {"network": self.conditions.describe() if self.conditions.download_mbit else None}
        if self.conditions.cpu_rate != 1:
            slowed["main thread"] = f"Emulation.setCPUThrottlingRate {self.conditions.cpu_rate:g}"
            if self.page.workers:  # the naive page has none
                slowed["worker"] = self.worker_limit.describe() if self.worker_limit else "not slowed"
        return slowed

    def measured_slowdown(self) -> dict:
        """The same loop on each thread slowed, then with the slowing lifted (ends it)."""
        slowed = _loop_ms(self.page)
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        if self.worker_limit:
            self.worker_limit.release()
        full = _loop_ms(self.page)
        return {thread: {"slowed_ms": slowed[thread], "full_speed_ms": full[thread],
                         "slowdown": slowed[thread] / full[thread]} for thread in slowed}


def _loop_ms(page) -> dict:
    times = {"main thread": min(page.evaluate(CPU_LOOP) for _ in range(3))}
    if page.workers:
        times["worker"] = min(page.workers[0].evaluate(CPU_LOOP) for _ in range(3))
    return times
