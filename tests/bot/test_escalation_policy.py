"""The escalation triggers, on hand-built conversations."""

from typing import List, Optional

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.escalation import EscalationPolicy

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, delivery_problem, track_logistics, order_status, refund_request, complaint, request_human, nlu_fallback]
slots:
  handoff_reason: {type: text, influence_conversation: false, mappings: [{type: custom}]}
actions: [action_handoff, action_track_logistics, refund_form]
forms: {refund_form: {required_slots: []}}
""")


@pytest.fixture
def policy(tmp_path):
    return EscalationPolicy.create(
        EscalationPolicy.get_default_config(), LocalModelStorage(tmp_path),
        Resource("escalation"), ExecutionContext(GraphSchema({}), "test"),
    )


def said(text: str, intent: str, score: float = 0.0, order_no: Optional[str] = None) -> UserUttered:
    label = "negative" if score <= -0.45 else "positive" if score >= 0.45 else "neutral"
    entities = [{"entity": "order_no", "value": order_no}] if order_no else []
    return UserUttered(text, {"name": intent, "confidence": 0.9}, entities,
                       parse_data={"sentiment": {"label": label, "score": score}})


def answered(action: str = "action_track_logistics") -> List:
    return [ActionExecuted(action), ActionExecuted("action_listen")]


def predict(policy, *events):
    tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen"), *events])
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    if prediction.probabilities[best] == 0:
        return None, None
    reason = next((e.value for e in prediction.optional_events if e.key == "handoff_reason"), None)
    return DOMAIN.action_names_or_texts[best], reason


def test_a_calm_question_is_left_to_the_bot(policy):
    assert predict(policy, said("我的快递到哪了", "track_logistics", -0.1)) == (None, None)


def test_one_very_angry_message_goes_to_a_person(policy):
    assert predict(policy, said("气死我了 骗子", "track_logistics", -0.95)) == (
        "action_handoff", "negative_sentiment")


def test_an_upset_message_about_a_problem_the_bot_can_remedy_starts_the_remedy(policy):
    assert predict(policy, said("收到的杯子碎了", "delivery_problem", -0.99)) == (None, None)


def test_a_souring_trend_goes_to_a_person(policy):
    events = [said("怎么还没到", "track_logistics", -0.5), *answered(),
              said("都三天了", "order_status", -0.2), *answered(),
              said("太慢了吧 什么破快递", "greet", -0.7)]
    assert predict(policy, *events) == ("action_handoff", "negative_trend")


def test_one_mild_complaint_is_not_a_trend(policy):
    events = [said("你好", "greet", 0.1), *answered(),
              said("物流有点慢", "track_logistics", -0.5), *answered(),
              said("那好吧", "greet", 0.0)]
    assert predict(policy, *events) == (None, None)


def test_not_understanding_twice_goes_to_a_person(policy):
    once = [said("呃呃", "nlu_fallback"), *answered("action_default_fallback")]
    assert predict(policy, said("呃呃", "nlu_fallback")) == (None, None)
    assert predict(policy, *once, said("额额额", "nlu_fallback")) == ("action_handoff", "low_confidence")


def test_the_same_question_about_the_same_order_twice_goes_to_a_person(policy):
    first = [said("订单1到哪了", "track_logistics", order_no="1"), *answered()]
    assert predict(policy, *first, said("订单1到底到哪了", "track_logistics", order_no="1")) == (
        "action_handoff", "repeated_request")
    assert predict(policy, *first, said("那订单2呢", "track_logistics", order_no="2")) == (None, None)


def test_button_clicks_are_not_asking_again(policy):
    events = [said("我的快递到哪了", "track_logistics"), *answered(),
              said('/track_logistics{"order_no":"1"}', "track_logistics", order_no="1")]
    assert predict(policy, *events) == (None, None)


def test_asking_about_the_other_parcel_after_picking_one_is_not_a_repeat(policy):
    events = [said("我的快递到哪了", "track_logistics"), *answered(),
              said('/inform{"order_no":"1"}', "inform", order_no="1"), *answered(),
              said("还有一个包裹到哪了", "track_logistics")]
    assert predict(policy, *events) == (None, None)


def test_counting_starts_again_after_a_handoff(policy):
    events = [said("呃呃", "nlu_fallback"), *answered("action_default_fallback"),
              said("转人工", "request_human"), *answered("action_handoff"),
              said("额额额", "nlu_fallback")]
    assert predict(policy, *events) == (None, None)


def test_rules_keep_their_own_reasons(policy):
    assert predict(policy, said("我要投诉 骗子", "complaint", -0.99)) == (None, None)


def test_a_form_in_progress_is_left_alone(policy):
    events = [said("我要退款", "refund_request"), ActionExecuted("refund_form"),
              ActiveLoop("refund_form"), ActionExecuted("action_listen"),
              said("气死了", "nlu_fallback", -0.95)]
    assert predict(policy, *events) == (None, None)


def test_after_the_handoff_the_bot_listens(policy):
    events = [said("转人工", "request_human"), ActionExecuted("action_handoff")]
    assert predict(policy, *events) == ("action_listen", None)
