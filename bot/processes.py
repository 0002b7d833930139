"""Starting, watching and stopping the product's processes as one unit.

Each child's output is prefixed with its name so the interleaved log of a whole
conversation (channel → Rasa → actions → order API) reads top to bottom.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import requests

COLOURS = ("\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[31m")
RESET = "\033[0m"


@dataclass
class Service:
    name: str
    command: Sequence[str]
    health_url: Optional[str] = None
    env: Dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 120.0
    cwd: Optional[str] = None          # the product's root unless the service lives elsewhere


class ProcessGroup:
    def __init__(self, env: Dict[str, str], cwd: str, out=sys.stdout) -> None:
        self.env = env
        self.cwd = cwd
        self.out = out
        self.running: List[tuple[Service, subprocess.Popen]] = []
        self._lock = threading.Lock()
        self._colour = use_colour(out)

    def start(self, service: Service) -> subprocess.Popen:
        process = subprocess.Popen(
            list(service.command),
            cwd=service.cwd or self.cwd,
            env={**self.env, **service.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        self.running.append((service, process))
        prefix = self._prefix(service.name, len(self.running) - 1)
        threading.Thread(
            target=self._pump, args=(process, prefix), daemon=True, name=f"log-{service.name}"
        ).start()
        return process

    def wait_healthy(self, service: Service, process: subprocess.Popen) -> None:
        if not service.health_url:
            return
        deadline = time.monotonic() + service.startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{service.name} exited with code {process.returncode}")
            try:
                if requests.get(service.health_url, timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{service.name} not healthy after {service.startup_timeout:.0f} s")

    def first_exited(self) -> Optional[tuple[Service, subprocess.Popen]]:
        for service, process in self.running:
            if process.poll() is not None:
                return service, process
        return None

    def stop(self, grace: float = 10.0) -> None:
        """Stops children newest first, so nothing calls a service already gone."""
        for service, process in reversed(self.running):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for service, process in reversed(self.running):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()

    def log(self, line: str) -> None:
        with self._lock:
            self.out.write(f"{self._prefix('xiaoer', -1)}{line}\n")
            self.out.flush()

    def _prefix(self, name: str, index: int) -> str:
        label = f"{name:>8} │ "
        if not self._colour or index < 0:
            return label
        return f"{COLOURS[index % len(COLOURS)]}{label}{RESET}"

    def _pump(self, process: subprocess.Popen, prefix: str) -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip()
            with self._lock:
                self.out.write(f"{prefix}{line}\n")
                self.out.flush()


def use_colour(out) -> bool:
    return hasattr(out, "isatty") and out.isatty() and not os.environ.get("NO_COLOR")


def run_until_interrupted(group: ProcessGroup, on_ready: Callable[[], None]) -> int:
    """Blocks until Ctrl-C / SIGTERM or a child dies; always stops every child."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        on_ready()
        while not stop.wait(0.5):
            exited = group.first_exited()
            if exited:
                service, process = exited
                group.log(f"{service.name} stopped unexpectedly (code {process.returncode}); stopping all")
                return 1
        group.log("stopping …")
        return 0
    finally:
        group.stop()
