"""CPU seconds per process from /proc (Linux), to say where a bench's CPU went."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcessCpu:
    """One process: parent, command line and CPU seconds (user + system) so far."""

    pid: int
    ppid: int
    command: str
    cpu_s: float


def snapshot() -> dict[int, ProcessCpu]:
    """Every process's CPU seconds now (an empty map where /proc is missing)."""
    found: dict[int, ProcessCpu] = {}
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # ended meanwhile
        # Fields after the command name, which may itself hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        found[pid] = ProcessCpu(pid, int(fields[1]), command, cpu)
    return found


def cpu_by_role(
    before: dict[int, ProcessCpu],
    after: dict[int, ProcessCpu],
    role: Callable[[ProcessCpu], str],
) -> dict[str, float]:
    """CPU seconds spent between two snapshots, added up by role (processes that ended are lost)."""
    spent: dict[str, float] = {}
    for pid, now in after.items():
        then = before.get(pid)
        used = now.cpu_s - (then.cpu_s if then and then.command == now.command else 0.0)
        if used > 0:
            key = role(now)
            spent[key] = spent.get(key, 0.0) + used
    return spent


def listening_pid(port: int) -> int | None:
    """The process listening on a local TCP port (from /proc/net/tcp*), None if not found:
    a bench counts its own broker, not another one running on the machine."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            # local address "HEX_IP:HEX_PORT", state 0A = LISTEN, inode in column 10.
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if links & inodes:
            return int(pid)
    return None
