"""When the bot should stop and hand the shopper to a person.

A policy rather than rules, because the triggers look across turns — the sentiment
trend, how often the bot has already not understood, the same request asked again —
which rules cannot express. It outranks the other policies: when it fires, the
conversation goes to ``action_handoff`` with the reason recorded in the
``handoff_reason`` slot, whatever the rules would have answered.

It also predicts ``action_listen`` right after any ``action_handoff``, so that an
escalation in the middle of any flow ends the bot's turn cleanly instead of falling
through to the fallback.

Thresholds live in config.yml under this policy; README "Escalation" documents them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

HANDOFF_ACTION = "action_handoff"
REASON_SLOT = "handoff_reason"
FALLBACK_INTENT = "nlu_fallback"
# Intents a rule already hands over for, with a reason of its own.
HANDED_OVER_BY_RULES = ("request_human", "complaint")
# Problems the bot has a remedy for (a refund, an exchange…): one upset message about
# a broken cup should start the remedy, not a queue; the trend still escalates if
# the shopper stays upset.
REMEDIED_BY_BOT = ("delivery_problem", "refund_request", "exchange_request", "cancel_order",
                   "change_address")
# Questions the bot answers from data: asking one again, about the same order, right
# after the answer means the answer did not help. (Requests that start a form are not
# here: a second refund after the first one is a new request.)
REPEATABLE_QUESTIONS = (
    "order_status", "track_logistics", "refund_status", "payment_issue", "promotion_query",
)


@dataclass(frozen=True)
class Turn:
    """One shopper message, as the policy needs it."""

    typed: bool                 # False for a button click: an answer to the bot's question
    intent: Optional[str]
    order_no: Optional[str]
    sentiment: float
    negative: bool

    def repeats(self, other: "Turn") -> bool:
        return (self.typed and other.typed and self.intent in REPEATABLE_QUESTIONS
                and self.intent == other.intent and self.order_no == other.order_no)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class EscalationPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "priority": 7,                     # above RulePolicy (6): an escalation wins
            "max_fallbacks": 2,                # not understood this often → a person
            "strong_negative_score": -0.95,    # one message this angry → a person
            "trend_turns": 3,                  # the last N typed messages …
            "trend_negatives": 2,              # … with at least this many negative …
            "trend_mean_score": -0.45,         # … and this mean score → a person
            "repeat_escalates": True,          # the same request twice in a row → a person
        }

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        """Nothing to learn: the triggers are the merchant's settings."""
        return self._resource

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None, **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        last_action = tracker.latest_action_name
        if last_action == HANDOFF_ACTION:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities)
        if last_action != ACTION_LISTEN_NAME or tracker.active_loop_name:
            return self._prediction(probabilities)
        reason = self.reason(tracker)
        if reason is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(HANDOFF_ACTION)] = 1.0
        return self._prediction(probabilities, optional_events=[SlotSet(REASON_SLOT, reason)],
                                diagnostic_data={"reason": reason})

    def reason(self, tracker: DialogueStateTracker) -> Optional[str]:
        """Why this turn should go to a person, or None to let the bot answer."""
        turns = turns_since_handoff(tracker)
        if not turns or not turns[-1].typed or turns[-1].intent in HANDED_OVER_BY_RULES:
            return None
        latest = turns[-1]
        typed = [t for t in turns if t.typed]
        config = self.config
        if latest.sentiment <= config["strong_negative_score"] and latest.intent not in REMEDIED_BY_BOT:
            return "negative_sentiment"
        recent = typed[-config["trend_turns"]:]
        if (len(recent) >= config["trend_turns"]
                and sum(t.negative for t in recent) >= config["trend_negatives"]
                and sum(t.sentiment for t in recent) / len(recent) <= config["trend_mean_score"]):
            return "negative_trend"
        if latest.intent == FALLBACK_INTENT and \
                sum(t.intent == FALLBACK_INTENT for t in typed) >= config["max_fallbacks"]:
            return "low_confidence"
        if config["repeat_escalates"] and len(turns) >= 2 and latest.repeats(turns[-2]):
            return "repeated_request"
        return None


def turns_since_handoff(tracker: DialogueStateTracker) -> List[Turn]:
    """The shopper's messages since the conversation last went to a person.

    Button clicks (payloads like ``/track_logistics{...}``) are answers to the bot's
    own question: they carry no sentiment and are never "asking again", but they do
    separate two questions (asked, picked an order, asked about the other one).
    """
    turns: List[Turn] = []
    for event in reversed(tracker.applied_events()):
        if isinstance(event, ActionExecuted) and event.action_name == HANDOFF_ACTION:
            break
        if isinstance(event, UserUttered) and event.text:
            sentiment = (event.parse_data or {}).get("sentiment") or {}
            order_nos = [e.get("value") for e in event.entities or [] if e.get("entity") == "order_no"]
            turns.append(Turn(
                typed=not event.text.startswith("/"),
                intent=(event.intent or {}).get("name"),
                order_no="".join(c for c in str(order_nos[0]) if c.isdigit()) if order_nos else None,
                sentiment=float(sentiment.get("score") or 0.0),
                negative=sentiment.get("label") == "negative",
            ))
    return list(reversed(turns))
