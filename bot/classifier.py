"""Intent classifier: TF-IDF weighting of the count features, then logistic regression.

Rasa's ``LogisticRegressionClassifier`` fits raw counts. Weighting them first (sublinear term frequency,
inverse document frequency, unit-length rows) lets rare, telling words ("tuất", "mai táng", "thử việc")
outweigh the words every question shares ("bhxh", "được", "không"), and gives ~1.5 points of intent
macro-F1 on our data (``make eval``). Probabilities stay calibrated enough for ``FallbackClassifier``.

It also reads a message that asks several things ("đóng bao nhiêu và đăng ký ở đâu?"): the message is cut
where a question ends or a new one begins, each part is classified on its own tokens' features, and the
parts that are confidently different topics are reported as ``segments`` beside the intent. A story
followed by its question ("tôi làm ở công ty từ 2019 … xin hỏi tôi có được hỗ trợ không?") also gets
``question``: the intent of its asking sentences read on their own, which the dialogue answers when the
whole story leaves the classifier unsure.

Referenced in config.yml as ``bot.classifier.TfidfLogisticRegressionClassifier``.
"""
from __future__ import annotations

import logging
import weakref
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from scipy.special import expit
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import softmax

from bot.questions import is_question
from knowledge.text import fold

logger = logging.getLogger(__name__)

IDF_FILE = "idf.npy"
MODEL_FILE = "classifier.skops"
SEGMENTS = "segments"
QUESTION = "question"
# Words that open a new question after another one ("... và đăng ký ở đâu?").
QUESTION_JOINERS = {"va", "con", "ngoai ra", "them nua", "voi lai", "hoi them", "cho hoi them", "rieng"}
# Punctuation that may end a question (a part counts only if it asks something: is_question).
QUESTION_ENDS = set("?;.!,\n")
MAX_SEGMENTS = 3


def inverse_document_frequency(X: csr_matrix) -> np.ndarray:
    """Smoothed idf per column, as scikit-learn's TfidfTransformer computes it."""
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1]) if X.nnz else np.zeros(X.shape[1])
    return np.log((1.0 + n) / (1.0 + df)) + 1.0


# Per fitted model: (its coef_, a C-contiguous copy of coef_.T). Kept beside the model, not on it, so that
# the model's persisted form is scikit-learn's own.
_TRANSPOSED: "weakref.WeakKeyDictionary[LogisticRegression, tuple]" = weakref.WeakKeyDictionary()


def predict_proba(model: LogisticRegression, X: csr_matrix) -> np.ndarray:
    """``model.predict_proba(X)``, the same numbers, without its cost per call.

    scikit-learn computes the scores as ``X @ coef_.T``; ``coef_.T`` is not C-contiguous, so scipy's sparse
    product copies the whole coefficient matrix (classes × vocabulary, 30,000 columns here) on every call:
    7 ms of a one-row message, most of the pipeline's time under load. The transposed copy is made once per
    fitted model (rebuilt when its coefficients change) and the probabilities computed as
    scikit-learn 1.1 does (softmax for the multinomial model, normalised logistic for one-vs-rest).
    """
    cached = _TRANSPOSED.get(model)
    if cached is None or cached[0] is not model.coef_:
        cached = (model.coef_, np.ascontiguousarray(model.coef_.T))
        _TRANSPOSED[model] = cached
    coef_t = cached[1]
    scores = np.asarray(X @ coef_t) + model.intercept_
    decision = scores.ravel() if scores.shape[1] == 1 else scores
    ovr = model.multi_class in ("ovr", "warn") or (
        model.multi_class == "auto" and (model.classes_.size <= 2 or model.solver == "liblinear"))
    if ovr:
        prob = expit(decision)
        if prob.ndim == 1:
            return np.vstack([1 - prob, prob]).T
        return prob / prob.sum(axis=1).reshape((prob.shape[0], -1))
    return softmax(np.c_[-decision, decision] if decision.ndim == 1 else decision, copy=False)


def weigh(X: csr_matrix, idf: np.ndarray) -> csr_matrix:
    """Sublinear tf (1 + log count) times idf, each row scaled to unit length."""
    X = csr_matrix(X, dtype=np.float64, copy=True)
    X.data = 1.0 + np.log(X.data, where=X.data > 0, out=np.zeros_like(X.data))
    if idf.shape[0] != X.shape[1]:
        raise ValueError(f"feature size {X.shape[1]} does not match the trained idf size {idf.shape[0]}")
    X.data *= idf[X.indices]  # X @ diags(idf), without building the diagonal matrix and the product
    return normalize(X, norm="l2", copy=False)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Logistic regression over TF-IDF-weighted sparse sentence features."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 50.0,
            "max_iter": 1000,
            "min_segment_tokens": 2,
            "segment_threshold": 0.5,
        }

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = LogisticRegression(
            C=float(self.config["C"]),
            solver=self.config["solver"],
            max_iter=self.config["max_iter"],
            class_weight="balanced",
            tol=self.config["tol"],
            random_state=self.config["random_state"],
        )
        self.idf: Optional[np.ndarray] = None

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        counts = super()._create_X(messages)
        if self.idf is None:
            raise RuntimeError(f"{self.__class__.__name__} is used before it was trained")
        return weigh(counts, self.idf)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("intent") and e.get("text")]
        if not examples:
            logger.debug("No intent examples: %s is not trained.", self.__class__.__name__)
            return self._resource
        self.fit(examples, [e.get("intent") for e in examples])
        self.persist()
        return self._resource

    def fit(self, examples: List[Message], labels: List[str]) -> None:
        counts = LogisticRegressionClassifier._create_X(self, examples)
        self.idf = inverse_document_frequency(csr_matrix(counts))
        self.clf.fit(weigh(counts, self.idf), labels)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.idf is None:
            # Untrained (no intent examples): leave the messages to the fallback, like Rasa's classifiers.
            return messages
        messages = super().process(messages)
        for message in messages:
            self.read_parts(message)
        return messages

    def probabilities(self, X_lemmas: csr_matrix, texts: List[str]) -> np.ndarray:
        """The intents' probabilities per row of weighted lemma features (``texts``: the rows' text)."""
        return predict_proba(self.clf, X_lemmas)

    def read_parts(self, message: Message) -> None:
        """Sets ``segments`` (the questions of a message that asks several) and ``question`` (the intent of
        the asking sentences of a story, read without the story) when the message has several parts."""
        parts, question = self.parts(message)
        if parts:
            message.set(SEGMENTS, parts, add_to_output=True)
        if question:
            message.set(QUESTION, question, add_to_output=True)

    def parts(self, message: Message) -> tuple:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        sequence = message.get_sparse_features(attribute=TEXT)[0]
        text = message.get(TEXT) or ""
        if sequence is None or len(tokens) < 2 * self.config.get("min_segment_tokens", 2):
            return [], None
        spans = split_questions(text, tokens, self.config.get("min_segment_tokens", 2))
        if len(spans) < 2:
            return [], None
        rows = csr_matrix(sequence.features)
        sums = [np.asarray(rows[a:b].sum(axis=0)) for a, b in spans]
        texts = [text[tokens[a].start:tokens[b - 1].end] for a, b in spans]
        found = []
        for (a, b), part, proba in zip(spans, texts, self.probabilities(weigh(csr_matrix(np.vstack(sums)), self.idf), texts)):
            best = int(np.argmax(proba))
            found.append({"text": part, "start": tokens[a].start, "end": tokens[b - 1].end,
                          "intent": str(self.clf.classes_[best]), "confidence": float(proba[best])})
        logger.debug("segments of %r: %s", text, found)
        asking = [i for i, f in enumerate(found) if is_question(text, f)]
        question = None
        if asking and len(asking) < len(found):
            # A story, then what it asks: the asking sentences together, without the story around them.
            joined = " ".join(texts[i] for i in asking)
            proba = self.probabilities(weigh(csr_matrix(sum(sums[i] for i in asking)), self.idf), [joined])[0]
            best = int(np.argmax(proba))
            question = {"text": joined, "intent": str(self.clf.classes_[best]), "confidence": float(proba[best])}
        threshold = self.config.get("segment_threshold", 0.5)
        questions = [found[i] for i in asking if found[i]["confidence"] >= threshold]
        if len({f["intent"] for f in questions}) < 2:
            return [], question
        return questions[:MAX_SEGMENTS], question

    def segments(self, message: Message) -> List[Dict[str, Any]]:
        """The questions of a message that asks several, each with its intent; [] for one question."""
        return self.parts(message)[0]

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.clf, model_dir / MODEL_FILE)
            np.save(model_dir / IDF_FILE, self.idf)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfLogisticRegressionClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                component.read(model_dir)
        except (ValueError, FileNotFoundError) as error:
            # The resource is missing when training had no intent examples.
            logger.warning("%s: no trained model loaded (%s)", cls.__name__, error)
        return component

    def read(self, model_dir: Any) -> None:
        """The trained model's files (what :meth:`persist` wrote)."""
        self.clf = load_skops(model_dir / MODEL_FILE)
        self.idf = np.load(model_dir / IDF_FILE, allow_pickle=False)


def load_skops(path: Any) -> Any:
    """A scikit-learn model saved with skops, refused if the file holds any type skops does not trust."""
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    if untrusted:
        raise ValueError(f"untrusted types in {path}: {untrusted}")
    return sio.load(path, trusted=[])


def split_questions(text: str, tokens: List[Any], min_tokens: int) -> List[tuple]:
    """Token ranges [first, last) of the questions in ``text``: cut where a question ends ("?", ";") or a
    joining word opens a new one, keeping only cuts that leave ``min_tokens`` tokens on each side."""
    cuts = []
    for i in range(1, len(tokens)):
        gap = text[tokens[i - 1].end:tokens[i].start]
        lemma = (getattr(tokens[i], "lemma", None) or tokens[i].text).lower()
        if any(c in QUESTION_ENDS for c in gap):
            cuts.append(i)
        elif lemma.replace("_", " ") in QUESTION_JOINERS:
            cuts.append(i)  # the joining word opens the next question
    spans, start = [], 0
    for cut in cuts:
        if cut - start >= min_tokens and len(tokens) - cut >= min_tokens:
            spans.append((start, cut))
            start = cut
    spans.append((start, len(tokens)))
    return spans


# --- the classifier over the folded text --------------------------------------------------------------

VOCABULARY_FILE = "vocabulary.json"
TEXT_IDF_FILE = "text_idf.npz"


class FoldedTextFeatures:
    """Word 1-2-grams and character 3-5-grams (within words) of the accent-free, lower-cased message,
    each TF-IDF weighted with sublinear term frequency, the row scaled to unit length as a whole.

    Read from the whole text rather than from the segmenter's words: a long story ("tôi làm ở công ty
    từ 2019 … xin hỏi …") keeps the syllables it shares with the short examples, where word segmentation
    and the canonical domain terms split them into compounds the examples do not have. Averaged with the
    lemma model (:class:`FoldedTextClassifier`), answer-unit accuracy on the real dev questions went from
    0.64 to 0.71 with cross-validated macro-F1 unchanged at 0.91 (``make eval``, December 2026).
    """

    def __init__(self, word: Any = None, char: Any = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.word = word or TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, norm=None)
        self.char = char or TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, norm=None)

    @staticmethod
    def text(raw: str) -> str:
        return fold(raw or "").lower()

    @staticmethod
    def words(raw: str) -> str:
        """The segmenter's normalised words (abbreviations expanded: "ko" → "khong", "bn" → "bao nhieu")."""
        from bot.segment import segment

        return " ".join(w.lemma for w in segment(raw or ""))

    def fit_transform(self, texts: List[str]) -> csr_matrix:
        self.word.fit([self.words(t) for t in texts])
        self.char.fit([self.text(t) for t in texts])
        return self.transform(texts)

    def transform(self, texts: List[str], words: Optional[List[Optional[str]]] = None) -> csr_matrix:
        """The rows of ``texts``; ``words``, where given, are each text's :meth:`words` already computed (the
        tokenizer's lemmas), so that the message is not segmented twice."""
        from scipy.sparse import hstack

        words = [w if w is not None else self.words(t) for t, w in zip(texts, words or [None] * len(texts))]
        words = self.word.transform(words)
        chars = self.char.transform([self.text(t) for t in texts])
        return normalize(hstack([words, chars]).tocsr(), norm="l2", copy=False)

    def save(self, directory: Any) -> None:
        import json

        (directory / VOCABULARY_FILE).write_text(json.dumps(
            {"word": {k: int(v) for k, v in self.word.vocabulary_.items()},
             "char": {k: int(v) for k, v in self.char.vocabulary_.items()}}, ensure_ascii=False), encoding="utf-8")
        np.savez(directory / TEXT_IDF_FILE, word=self.word.idf_, char=self.char.idf_)

    @classmethod
    def read(cls, directory: Any) -> "FoldedTextFeatures":
        import json

        from sklearn.feature_extraction.text import TfidfVectorizer

        vocab = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        idf = np.load(directory / TEXT_IDF_FILE, allow_pickle=False)
        word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, norm=None, vocabulary=vocab["word"])
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, norm=None, vocabulary=vocab["char"])
        word.idf_, char.idf_ = idf["word"], idf["char"]
        return cls(word, char)


TEXT_MODEL_FILE = "text_classifier.skops"


def tokenized_words(message: Message) -> Optional[str]:
    """:meth:`FoldedTextFeatures.words` of the message's text, read from the tokens the tokenizer made of it
    (the same segmenter, the same lemmas), or None when they do not cover the whole text."""
    from bot.components import ANALYSED_CHARS, SYMBOLS

    text = message.get(TEXT) or ""
    tokens = message.get(TOKENS_NAMES[TEXT])
    if tokens is None or len(text) > ANALYSED_CHARS:
        return None
    lemmas = [t.lemma for t in tokens]
    return "" if lemmas == [SYMBOLS] else " ".join(lemmas)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FoldedTextClassifier(TfidfLogisticRegressionClassifier):
    """Two logistic regressions, one over the featurizers' lemma n-grams (short chat fragments: "ho gd",
    "dc bn %"), one over :class:`FoldedTextFeatures` of the whole text (long stories); their
    probabilities are averaged, the text model weighing more the longer the message
    (``text_weight_min`` for a word or two, ``text_weight_max`` from ``long_words`` words on).

    Referenced in config.yml as ``bot.classifier.FoldedTextClassifier``, after the featurizers.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**TfidfLogisticRegressionClassifier.get_default_config(),
                "text_weight_min": 0.2, "text_weight_max": 0.9, "long_words": 20}

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.features: Optional[FoldedTextFeatures] = None
        self.text_clf = LogisticRegression(
            C=float(self.config["C"]), solver=self.config["solver"], max_iter=self.config["max_iter"],
            class_weight="balanced", tol=self.config["tol"], random_state=self.config["random_state"])

    def text_weight(self, text: str) -> float:
        lo, hi = float(self.config["text_weight_min"]), float(self.config["text_weight_max"])
        words = len((text or "").split())
        return lo + (hi - lo) * min(1.0, max(0, words - 2) / max(1, int(self.config["long_words"]) - 2))

    def class_order(self) -> np.ndarray:
        """The text model's column of each of the lemma model's classes (computed once per pair of fitted
        models: looking each class up on every message cost more than both models' products)."""
        key = (self.clf.classes_, self.text_clf.classes_)
        cached = getattr(self, "_class_order", None)
        if cached is None or cached[0][0] is not key[0] or cached[0][1] is not key[1]:
            position = {c: i for i, c in enumerate(self.text_clf.classes_.tolist())}
            cached = (key, np.array([position[c] for c in self.clf.classes_.tolist()], dtype=np.intp))
            self._class_order = cached
        return cached[1]

    def fit(self, examples: List[Message], labels: List[str]) -> None:
        super().fit(examples, labels)
        self.features = FoldedTextFeatures()
        self.text_clf.fit(self.features.fit_transform([e.get(TEXT) for e in examples]), labels)

    def probabilities(self, X_lemmas: csr_matrix, texts: List[str],
                      words: Optional[List[Optional[str]]] = None) -> np.ndarray:
        """Both models' probabilities per row, averaged with each text's weight (``words``: see
        :meth:`FoldedTextFeatures.transform`)."""
        lemma = predict_proba(self.clf, X_lemmas)
        text = predict_proba(self.text_clf, self.features.transform(texts, words))
        order = self.class_order()
        weights = np.array([self.text_weight(t) for t in texts])[:, None]
        return (1 - weights) * lemma + weights * text[:, order]

    def process(self, messages: List[Message]) -> List[Message]:
        if self.idf is None or self.features is None:
            return messages
        probas = self.probabilities(self._create_X(messages), [m.get(TEXT) or "" for m in messages],
                                    [tokenized_words(m) for m in messages])
        for message, proba in zip(messages, probas):
            ranking = sorted(({"name": str(k), "confidence": float(v)} for k, v in zip(self.clf.classes_, proba)),
                             key=lambda e: -e["confidence"])
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self.config["ranking_length"]] if self.config["ranking_length"] > 0 else ranking,
                        add_to_output=True)
            self.read_parts(message)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        super().persist()
        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.text_clf, model_dir / TEXT_MODEL_FILE)
            self.features.save(model_dir)

    def read(self, model_dir: Any) -> None:
        super().read(model_dir)
        self.text_clf = load_skops(model_dir / TEXT_MODEL_FILE)
        self.features = FoldedTextFeatures.read(model_dir)
