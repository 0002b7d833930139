"""Turning real conversations into Rasa test stories.

Test stories are recorded, not hand-typed: a script of shopper messages (with the
intent each should be understood as) is played against the running product, and
the resulting tracker — every prediction, slot and form step exactly as it
happened — is written out with Rasa's own story writer. A message the model
misunderstands stops the recording, so a story never enshrines a mistake.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
import yaml

from bot.settings import Settings
from connectors.identity import issue_token

# {order:shipped} → the shopper's newest shipped order; {order:shipped#2} → the second
# newest; {order:shipped@u10004} → another shopper's; {order:shipped:nodash} → typed
# without the dash.
_PLACEHOLDER = re.compile(r"\{order:([a-z_]+)(?:#(\d+))?(?:@([A-Za-z0-9_-]+))?(:nodash)?\}")


@dataclass(frozen=True)
class Turn:
    text: str
    intent: str


@dataclass(frozen=True)
class Script:
    name: str
    shopper_id: Optional[str]
    turns: List[Turn]


class RecordingError(Exception):
    pass


def load_scripts(path: Path) -> List[Script]:
    data = yaml.safe_load(path.read_text()) or {}
    return [
        Script(
            name=item["name"],
            shopper_id=item.get("shopper"),
            turns=[Turn(str(t["text"]), str(t["intent"])) for t in item["turns"]],
        )
        for item in data.get("conversations", [])
    ]


def story_yaml(conversation_id: str, events: List[Dict[str, Any]], domain_path: Path,
               name: str) -> str:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

    domain = Domain.load(str(domain_path))
    tracker = DialogueStateTracker.from_dict(conversation_id, events, domain.slots)
    text = tracker.export_stories(YAMLStoryWriter(), e2e=True)
    return text.replace(f"story: {conversation_id}", f"story: {name}", 1)


class Recorder:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rasa = f"http://127.0.0.1:{settings.rasa_port}"
        self.orders = requests.Session()
        self.orders.headers["Authorization"] = f"Bearer {settings.order_api_token}"

    def resolve(self, text: str, shopper_id: Optional[str]) -> str:
        """Replaces {order:<status>} with that shopper's newest order in that state
        (``#n``: the n-th newest; ``@<shopper>``: another shopper's; ``:nodash``: typed
        without the dash)."""
        def order_in(match: re.Match) -> str:
            status, nth = match.group(1), int(match.group(2) or 1)
            owner, nodash = match.group(3) or shopper_id, match.group(4)
            answer = self.orders.get(
                f"{self.settings.order_api_url}/api/v1/shoppers/{owner}/orders",
                params={"status": status, "limit": nth}, timeout=10,
            )
            orders = answer.json().get("orders") or []
            if len(orders) < nth:
                raise RecordingError(f"{owner} has no {status} order #{nth}")
            order_no = orders[nth - 1]["order_no"]
            return order_no.replace("-", "") if nodash else order_no
        return _PLACEHOLDER.sub(order_in, text)

    def record(self, script: Script) -> tuple[str, List[Dict[str, Any]]]:
        sender = f"rec{uuid.uuid4().hex[:10]}"
        metadata = {}
        if script.shopper_id:
            metadata["token"] = issue_token(script.shopper_id, self.settings.shopper_token_secret)
        for turn in script.turns:
            text = self.resolve(turn.text, script.shopper_id)
            answer = requests.post(
                f"{self.rasa}/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata}, timeout=30,
            )
            if answer.status_code != 200:
                raise RecordingError(f"{script.name}: {text!r} got HTTP {answer.status_code}")
        conversation_id = (f"s-{script.shopper_id}:{sender}" if script.shopper_id else f"v-{sender}")
        tracker = requests.get(
            f"{self.rasa}/conversations/{conversation_id}/tracker",
            params={"token": self.settings.rasa_api_token}, timeout=10,
        ).json()
        users = [e for e in tracker["events"] if e["event"] == "user"]
        for turn, event in zip(script.turns, users):
            predicted = (event.get("parse_data") or {}).get("intent", {}).get("name")
            expected = turn.intent
            if predicted != expected and not (turn.text.startswith("/") and predicted):
                raise RecordingError(
                    f"{script.name}: {turn.text!r} understood as {predicted}, expected {expected}"
                )
        return conversation_id, tracker["events"]
