"""The sentiment classifier: trained through Rasa's graph API on a small subset."""

from __future__ import annotations

import json

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.sentiment import model as sentiment
from bot.sentiment.__main__ import main as cli
from bot.sentiment.component import SentimentAnalyzer

# Small and quick: 2,000 reviews + all cue lines, two epochs.
SMALL = {"max_reviews": 2000, "epochs": 2}
NEGATIVE = "什么垃圾东西 我要投诉 退钱！！！"
POSITIVE = "质量很好 很喜欢 谢谢亲"


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    return LocalModelStorage(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def resource():
    return Resource("sentiment_analyzer")


@pytest.fixture(scope="module")
def context():
    return ExecutionContext(GraphSchema({}), "test-model")


@pytest.fixture(scope="module")
def loaded(storage, resource, context):
    trained = SentimentAnalyzer.create({**SentimentAnalyzer.get_default_config(), **SMALL}, storage, resource, context)
    # The bot's NLU data is passed in by Rasa and ignored.
    returned = trained.train(TrainingData([Message(data={"text": "你好", "intent": "greet"})]))
    assert returned == resource
    return SentimentAnalyzer.load({**SentimentAnalyzer.get_default_config(), **SMALL}, storage, resource, context)


def sentiment_of(component: SentimentAnalyzer, text: str) -> dict:
    [message] = component.process([Message(data={"text": text})])
    return message.get("sentiment")


def test_angry_chat_is_strongly_negative(loaded):
    result = sentiment_of(loaded, NEGATIVE)
    assert result["label"] == "negative"
    assert result["score"] < -0.5
    assert sentiment_of(loaded, "你们是骗子吧 我要投诉")["label"] == "negative"


def test_happy_chat_is_positive(loaded):
    result = sentiment_of(loaded, POSITIVE)
    assert result["label"] == "positive"
    assert result["score"] > 0.5


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_neutral_zero(loaded, text):
    assert sentiment_of(loaded, text) == {"label": "neutral", "score": 0.0}


def test_output_contract(loaded):
    texts = [NEGATIVE, POSITIVE, "在吗", "好的", "订单号是251120583921", "？？？", "😡😡", "ok", "", "a" * 2000]
    messages = loaded.process([Message(data={"text": t}) for t in texts])
    for message in messages:
        result = message.get("sentiment")
        assert set(result) == {"label", "score"}
        assert result["label"] in {"negative", "neutral", "positive"}
        assert isinstance(result["score"], float) and -1.0 <= result["score"] <= 1.0
        threshold = loaded.config["neutral_threshold"]
        expected = "neutral" if abs(result["score"]) < threshold else ("positive" if result["score"] > 0 else "negative")
        assert result["label"] == expected
        # Added to the parse result, which is what ends up in tracker.latest_message.
        assert message.as_dict(only_output_properties=True)["sentiment"] == result


def test_short_neutral_chat_is_mostly_neutral(loaded):
    texts = ["在吗", "你好", "好的", "订单号是251120583921", "什么时候发货", "我的快递到哪了"]
    labels = [sentiment_of(loaded, t)["label"] for t in texts]
    assert labels.count("neutral") >= len(texts) - 1, labels
    assert "negative" not in labels


def test_untrained_resource_loads_without_sentiment(storage, context):
    component = SentimentAnalyzer.load(SentimentAnalyzer.get_default_config(), storage, Resource("never_trained"), context)
    [message] = component.process([Message(data={"text": NEGATIVE})])
    assert message.get("sentiment") is None


def test_fingerprint_follows_settings_and_data():
    defaults = SentimentAnalyzer.get_default_config()
    assert SentimentAnalyzer.fingerprint_addon({}) == SentimentAnalyzer.fingerprint_addon(defaults)
    assert SentimentAnalyzer.fingerprint_addon({}) != SentimentAnalyzer.fingerprint_addon({"epochs": 1})


def test_holdout_evaluation_reports_accuracy():
    report = sentiment.holdout_evaluation(SMALL)
    assert report["n_reviews"] == 200
    assert report["accuracy"] > 0.75
    assert report["cues_accuracy"] > 0.6
    assert set(report["reviews_per_class"]) == {"negative", "positive"}
    assert report["train_seconds"] > 0
    assert report["latency_ms_chat"]["p50"] < 20


def test_reviews_are_deduplicated_and_splits_disjoint():
    reviews = sentiment.load_reviews()
    texts = [e.text for e in reviews]
    assert len(texts) == len(set(texts)) > 15000
    train, test = sentiment.split(reviews, 0.1, 42)
    assert not {e.text for e in train} & {e.text for e in test}
    assert sentiment.split(reviews, 0.1, 42) == (train, test)


def test_cue_file_is_balanced_and_valid():
    cues = sentiment.load_cues()
    counts = {label: sum(e.label == label for e in cues) for label in ("neg", "neu", "pos")}
    assert all(n >= 150 for n in counts.values()), counts
    assert len({sentiment.normalize(e.text) for e in cues}) == len(cues)


def test_normalize_keeps_hotlines_and_hides_order_numbers():
    assert sentiment.normalize("打１２３１５！！") == "打12315!!"
    assert "251120583921" not in sentiment.normalize("订单号是251120583921")


def test_cli_predict_prints_the_contract(loaded, tmp_path, capsys):
    loaded.model.to_disk(tmp_path / "model")
    assert cli(["predict", "--model", str(tmp_path / "model"), NEGATIVE, ""]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["label"] == "negative" and first["score"] < -0.5
    assert second == {"label": "neutral", "score": 0.0}


def test_sentiment_reaches_tracker_latest_message(loaded):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    [message] = loaded.process([Message(data={"text": NEGATIVE})])
    # What rasa.core.processor does with the graph's output.
    parse_data = {"text": NEGATIVE, "intent": {"name": "complaint", "confidence": 1.0}, "entities": []}
    parse_data.update(message.as_dict(only_output_properties=True))
    tracker = DialogueStateTracker.from_events("shopper", [UserUttered(NEGATIVE, parse_data=parse_data)])
    assert tracker.latest_message.parse_data["sentiment"]["label"] == "negative"
    assert tracker.current_state()["latest_message"]["sentiment"] == message.get("sentiment")
