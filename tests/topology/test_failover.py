"""The multi-replica topology, started for real: nginx, two Rasa replicas, two consoles, two
action servers, PostgreSQL and Redis; one Rasa replica is killed under load.

Runs in the PostgreSQL + Redis pass of `make test` (the topology is defined on them);
`xiaoer benchmark --failover` runs the same drill by hand and prints its figures.
"""

from __future__ import annotations

import os

import pytest
import requests

from bench import failover
from bench.topology import Shape, Topology
from bot.chat_clients import WidgetClient
from tests.services import services_only

pytestmark = [services_only, pytest.mark.slow]


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    with Topology(tmp_path_factory.mktemp("topology"), Shape(rasa=2, consoles=2, actions=2),
                  out=open(os.devnull, "w")) as stack:
        yield stack


def test_nginx_exposes_the_channels_and_the_console_but_not_rasas_api(topology):
    assert requests.get(f"{topology.url}/webhooks/rest/", timeout=5).status_code == 200
    assert requests.get(f"{topology.url}/console/health", timeout=5).status_code == 200
    for private in ("/model/parse", "/conversations/x/tracker", "/status"):
        assert requests.get(f"{topology.url}{private}", timeout=5).status_code == 404


def test_a_polling_socket_stays_on_one_replica(topology):
    """Long-polling is several requests per session: without stickiness the second replica
    would not know the session and the connection would fail."""
    shopper = WidgetClient(topology.url)
    try:
        assert shopper.send("你好")["ok"]
        assert shopper.reply_texts()
    finally:
        shopper.close()


def test_a_rasa_replica_dies_under_load_and_every_conversation_goes_on(topology):
    figures = failover.run(topology, rate=8, seconds=20, kill_after=6, victim=2)
    widget, rest = figures["widget"], figures["rest"]
    assert figures["killed_rasa_pid"]
    assert widget["reconnects"] > 0, "no socket was on the killed replica: nginx did not spread them"
    for phase in (widget, rest):
        assert phase["messages"] > 50
        assert phase["lost"] == 0, phase.get("lost_examples")
        assert phase["errors"] == 0
    assert figures["conversations_stalled_after_kill"] == []
    assert figures["unanswered_in_chat_log"] == 0
