"""spaCy architecture: bag of jieba words *and* characters for Chinese text.

spaCy's ``spacy.TextCatBOW.v2`` looks only at token n-grams. For Chinese chat that
is brittle: jieba splits an unseen insult or a typo into pieces nobody trained on
("骗钱" vs "骗子", "垃圾平台"), and the few hundred hand-written chat cues cannot
cover every word. This architecture feeds the same sparse linear layer with word
n-grams (jieba tokens, as in TextCatBOW) plus character n-grams of the text,
so an unseen word still shares the weights of its characters.

Registered in spaCy's registry as ``xiaoer.TextCatBOWChars.v1``; importing this
module (``register()``) must happen before ``spacy.load`` of a saved pipeline.
"""

from __future__ import annotations

from functools import partial
from typing import List, Optional

import numpy

_REGISTERED = False

# Character n-gram keys are packed code points tagged in the top bits, so they never
# equal one another and practically never equal a 64-bit word hash.
_TAG_SHIFT = numpy.uint64(61)
_CP_SHIFT = numpy.uint64(21)


def _char_keys(text: str, size: int) -> numpy.ndarray:
    codes = numpy.frombuffer("".join(text.split()).encode("utf-32-le"), dtype=numpy.uint32).astype(numpy.uint64)
    keys = [codes | (numpy.uint64(1) << _TAG_SHIFT)]
    if size >= 2 and len(codes) > 1:
        keys.append((codes[:-1] << _CP_SHIFT) | codes[1:] | (numpy.uint64(2) << _TAG_SHIFT))
    return numpy.concatenate(keys) if keys else numpy.zeros((0,), dtype=numpy.uint64)


def register() -> None:
    global _REGISTERED
    if _REGISTERED:
        return
    from spacy.attrs import ORTH
    from spacy.ml.models.textcat import NEG_VALUE, resize_and_set_ref
    from spacy.util import registry
    from thinc.api import Logistic, Model, SparseLinear, chain, resizable, softmax_activation, with_cpu
    from thinc.layers.resizable import resize_linear_weighted
    from thinc.types import Floats2d

    def extract_forward(model: Model, docs, is_train: bool):
        xp = model.ops.xp
        batch_keys: List = []
        batch_vals: List = []
        for doc in docs:
            unigrams = model.ops.asarray(doc.to_array([ORTH]))
            parts = [unigrams]
            for n in range(2, model.attrs["ngram_size"] + 1):
                parts.append(model.ops.ngrams(n, unigrams))
            if model.attrs["char_ngram_size"] > 0:
                parts.append(_char_keys(doc.text, model.attrs["char_ngram_size"]))
            keys, vals = xp.unique(xp.concatenate(parts).astype("uint64"), return_counts=True)
            batch_keys.append(keys)
            batch_vals.append(vals)
        lengths = model.ops.asarray([len(k) for k in batch_keys], dtype="int32")
        keys = xp.concatenate(batch_keys) if batch_keys else xp.zeros((0,), dtype="uint64")
        vals = model.ops.asarray(xp.concatenate(batch_vals) if batch_vals else xp.zeros((0,)), dtype="f")

        def backprop(dY):
            return []

        return (keys, vals, lengths), backprop

    @registry.layers("xiaoer.extract_word_char_ngrams.v1")
    def extract_word_char_ngrams(ngram_size: int, char_ngram_size: int) -> Model:
        model: Model = Model("extract_word_char_ngrams", extract_forward)
        model.attrs["ngram_size"] = ngram_size
        model.attrs["char_ngram_size"] = char_ngram_size
        return model

    @registry.architectures("xiaoer.TextCatBOWChars.v1")
    def build_bow_chars_text_classifier(
        exclusive_classes: bool,
        ngram_size: int,
        char_ngram_size: int,
        no_output_layer: bool,
        nO: Optional[int] = None,
    ) -> Model[List, Floats2d]:
        # Same as spacy.TextCatBOW.v2 (spacy/ml/models/textcat.py) but for the features.
        fill_defaults = {"b": 0, "W": 0}
        with Model.define_operators({">>": chain}):
            sparse_linear = SparseLinear(nO=nO)
            output_layer = None
            if not no_output_layer:
                fill_defaults["b"] = NEG_VALUE
                output_layer = softmax_activation() if exclusive_classes else Logistic()
            resizable_layer = resizable(
                sparse_linear, resize_layer=partial(resize_linear_weighted, fill_defaults=fill_defaults)
            )
            model = extract_word_char_ngrams(ngram_size, char_ngram_size) >> resizable_layer
            model = with_cpu(model, model.ops)
            if output_layer:
                model = model >> with_cpu(output_layer, output_layer.ops)
        if nO is not None:
            model.set_dim("nO", nO)
        model.set_ref("output_layer", sparse_linear)
        model.attrs["multi_label"] = not exclusive_classes
        model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
        return model

    _REGISTERED = True
