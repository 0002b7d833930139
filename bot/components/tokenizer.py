"""Jieba tokenisation tuned for shopper messages.

Two changes to Rasa's JiebaTokenizer:
- whitespace tokens are dropped: shoppers mix Chinese with Latin words and numbers
  ("我的iPhone 15 订单") and Rasa keeps the spaces as tokens (rasa#7910);
- long numbers (order, tracking, phone numbers) become one placeholder token, so a
  21-digit order number does not flood the features with random digit n-grams and
  "取消订单251120-5839…" reads like "取消订单<号码>". Offsets stay on the original
  text, so entity extraction is unaffected.
Registered like the original so the dictionary directory is stored with the model.
"""

from __future__ import annotations

import re
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

NUMBER_PLACEHOLDER = "NUM"
_LONG_NUMBER = re.compile(r"^[A-Za-z]{0,4}[0-9][0-9-]{4,}$")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class ChineseTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        kept = [t for t in tokens if t.text.strip()] or tokens
        return [
            Token(NUMBER_PLACEHOLDER, t.start, t.end) if _LONG_NUMBER.match(t.text) else t
            for t in kept
        ]
