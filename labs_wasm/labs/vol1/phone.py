"""The Mobile context's app memory budget: one value for every lab and chapter that puts work
on the phone (Labs 05 and 08, Chapters 5 and 8), so the same phone never has two budgets.

ILLUSTRATIVE. Apple does not publish the limit ("The memory limit ... depends on the device",
Apple Developer Documentation, "Reducing your app's memory use"; the increased-memory-limit
entitlement raises it "on supported devices" without a figure), and Android's per-app limits
vary by maker. Developers measure it with os_proc_available_memory(): a report on the Apple
Developer Forums (thread 826325) measured about 3 GB available to one app on an 8 GB device,
3/8 of its memory. We take 3/8 of the phone's memory as the scenario's budget; the labs and
chapters call it illustrative wherever it appears.
"""
from __future__ import annotations

APP_MEMORY_FRACTION = 0.375


def app_budget_bytes(hardware) -> float:
    """Bytes one app may use on ``hardware`` (a phone) before the OS ends it."""
    return APP_MEMORY_FRACTION * hardware.memory.capacity.m_as("B")
