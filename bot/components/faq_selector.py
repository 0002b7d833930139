"""Rasa's ResponseSelector, run only for the messages it can matter for.

The selector picks the answer (``utter_faq/<key>``) to a policy question, but Rasa
runs its TensorFlow model on every message, whatever the intent: under the
benchmark's mix that was a quarter of a Rasa process's busy time, and its answer
is only ever read for the retrieval intent (``actions/faq.py``, Rasa's
``ActionRetrieveResponse``). The intent classifier runs before it in the pipeline,
so here it only selects for messages read as the retrieval intent; for the others
the parse simply has no ``response_selector`` entry. Training is unchanged.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RetrievalIntentSelector(ResponseSelector):
    def process(self, messages: List[Message]) -> List[Message]:
        wanted = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent]
        if wanted:
            super().process(wanted)
        return messages
