"""Resident memory of the local stack's processes, children included (what the demo reports)."""

from __future__ import annotations

import psutil


def resident_bytes(pid: int | None) -> int:
    """Resident memory of `pid` and all its descendants; 0 when it is not running."""
    if pid is None:
        return 0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:  # exited while we counted
            continue
    return total


def describe(rows: dict[str, int]) -> str:
    """`total MiB (name MiB, ...)` for a mapping of process name to resident bytes."""
    mib = {name: size / 2**20 for name, size in rows.items() if size}
    parts = ", ".join(f"{name} {size:,.0f}" for name, size in mib.items())
    return f"{sum(mib.values()):,.0f} MiB resident ({parts})"
