"""The stack's resident memory is counted per process tree, children included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from gridflow.services.footprint import describe, resident_bytes

PARENT = ("import subprocess, sys, time; "
          "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
          "print(child.pid, flush=True); time.sleep(60)")


def test_a_process_tree_counts_its_children():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    try:
        assert resident_bytes(parent.pid) > resident_bytes(child_pid) > 0
    finally:
        os.kill(child_pid, signal.SIGKILL)
        parent.kill()
        parent.wait()


def test_a_stopped_or_unknown_process_holds_nothing():
    assert resident_bytes(None) == 0
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert resident_bytes(done.pid) == 0


def test_describe_sums_in_mib_and_leaves_out_stopped_processes():
    assert describe({"prefect-server": 300 * 2**20, "worker": 0, "api": 100 * 2**20}) == (
        "400 MiB resident (prefect-server 300, api 100)")
