"""Rasa graph components for Vietnamese: a segmenting tokenizer and a rule-based entity extractor.

Referenced in config.yml as ``bot.components.VietnameseTokenizer`` and
``bot.components.VietnameseEntityExtractor``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.limits import MAX_MESSAGE_CHARS
from bot.parsing import extract
from bot.segment import segment
from bot.smalltalk import match


# The dialogue answers a message longer than MAX_MESSAGE_CHARS with a polite refusal (actions/dialogue.py),
# so reading further is wasted; without a bound a huge message through the REST API would cost seconds.
ANALYSED_CHARS = 2 * MAX_MESSAGE_CHARS


# The lemma of the one token of a text with no words (only symbols or emoji).
SYMBOLS = "__symbols__"


def analysed(text: str) -> str:
    """The part of a message the pipeline reads: its beginning, up to ``ANALYSED_CHARS``."""
    return text[:ANALYSED_CHARS]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Word segmentation with underthesea and the domain dictionary.

    ``Token.text`` is always the exact span of the user's text (``start``/``end`` index it); ``Token.lemma``
    is the normalised, accent-free form (abbreviations expanded, domain terms canonical) that the
    featurizers read with ``use_lemma: true``.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["underthesea"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        words = segment(analysed(text))
        if not words:
            # Only symbols or emoji: one token for the whole text, like Rasa's whitespace tokenizer.
            return [Token(text, 0, len(text), lemma=SYMBOLS)] if text else []
        return self._apply_token_pattern([Token(w.text, w.start, w.end, lemma=w.lemma) for w in words])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class VietnameseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Amounts, durations, people, household group, gender, age, birth date, region and province."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entities": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._only = set(config.get("entities") or [])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseEntityExtractor":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {
                    "entity": f.entity,
                    "start": f.start,
                    "end": f.end,
                    "value": f.value,
                    "confidence": 1.0,
                    "text": f.text,
                }
                for f in extract(analysed(text))
                if not self._only or f.entity in self._only
            ]
            existing: Optional[List[Dict[Text, Any]]] = message.get(ENTITIES)
            message.set(ENTITIES, (existing or []) + self.add_extractor_name(found), add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SmallTalkRules(GraphComponent):
    """Overrides the classifier for whole-message yes/no/hello/thanks/bye (see ``bot.smalltalk``)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SmallTalkRules":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = match(message.get(TEXT) or "")
            if not intent:
                continue
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != intent]
            top = {"name": intent, "confidence": 1.0}
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        return messages


# Rasa-side adapters (channels/takeover.py: paused conversations still reach the action, which keeps the bot
# silent while staff have them; channels/reply_validation.py: action replies validated with a validator built
# once) are installed in every Rasa process that loads this pipeline, whichever channels credentials.yml lists.
import channels.takeover  # noqa: E402,F401  pylint: disable=wrong-import-position
from channels import action_fallback, admission, memory  # noqa: E402  pylint: disable=wrong-import-position
from cases import log_masking  # noqa: E402  pylint: disable=wrong-import-position

log_masking.install()  # the parse log lines quote the user's text: personal numbers masked in them
action_fallback.install()  # the action server down: an apology, not silence
admission.install()  # overloaded: a polite "busy" at once, not a request left hanging
memory.settle_when_loaded()  # the loaded model out of the collector's full passes (channels/memory.py)
