"""Shopper sentiment: a spaCy (jieba) text classifier trained at build time.

``bot.sentiment.component.SentimentAnalyzer`` is the Rasa NLU component;
``bot.sentiment.model`` holds data loading, training, prediction and evaluation;
``python -m bot.sentiment evaluate | predict | train`` runs them standalone.
See README.md in this folder.
"""
