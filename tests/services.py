"""Real databases and servers for tests: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests

from bot.settings import ROOT
from handoff.db import scratch_schema

PYTHON = str(Path(sys.executable).parent / "python")
# `make test` runs everything twice, on the embedded defaults and then on PostgreSQL and
# Redis. Tests of files and models alone (training, swapping models) would repeat the
# first pass exactly, at minutes a run: they run in the embedded pass only.
files_only = pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                                reason="touches no database: the embedded pass runs it")
# The multi-replica topology is defined on PostgreSQL and Redis: it runs in the second pass.
services_only = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql")
                                   or not os.environ.get("REDIS_URL"),
                                   reason="the topology runs on PostgreSQL and Redis: the second pass runs it")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def isolated_database(var_dir: Path) -> Iterator[str]:
    """A database URL of its own: a SQLite file, or a fresh schema in DATABASE_URL."""
    configured = os.environ.get("DATABASE_URL", "").strip()
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{var_dir / 'orders.db'}"
        return
    with scratch_schema(configured) as url:
        yield url


def seed_orders(env: Dict[str, str]) -> None:
    for step in (["migrate"], ["seed", "--force"]):
        subprocess.run([PYTHON, "-m", "order_service", *step], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


@contextmanager
def order_service(database_url: str, token: str) -> Iterator[str]:
    """The reference order service as its own process, seeded, on a free port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "ORDER_API_TOKEN": token,
           "PYTHONPATH": str(ROOT)}
    seed_orders(env)
    process = subprocess.Popen(
        [PYTHON, "-m", "order_service", "serve", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("order service did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# What a trainer edits: a copy of it lets a test label, add intents and retrain without
# touching the checkout.
TRAINING_INPUTS = ("config.yml", "domain", "data", "tests/data/nlu_heldout.yml", "tests/stories")


def training_copy(dest: Path) -> Path:
    """A copy of the trainer's files (the layout ``XIAOER_TRAINING_DIR`` expects) in ``dest``."""
    for name in TRAINING_INPUTS:
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        else:
            shutil.copy2(source, target)
    return dest
