"""What a match returns, and the settings that decide it: frozen values the core and the shell share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.concerns import Concern
from bot.core.features import FloatArray
from bot.core.recognise import Facts
from bot.core.scoring import Weights
from bot.core.smalltalk import SmallTalk

Decision = Literal["answer", "clarify", "none"]
OUT_OF_SCOPE = "__out_of_scope__"
# (entry index, phrasing index, per-entry scores with that phrasing left out)
HeldOut = tuple[int, int, FloatArray]


@dataclass(frozen=True)
class MatchSettings:
    """Decision thresholds on the calibrated probability (chosen by measurement: README)."""

    weights: Weights = field(default_factory=Weights)
    answer_at: float = 0.70
    clarify_at: float = 0.30
    # "Did you mean" offers entries whose combined score is within this of the best one.
    clarify_window: float = 0.10
    max_candidates: int = 3
    folds: int = 5
    # A question answered outright holds at least this many domain-bearing 2-grams or words.
    min_content: int = 2


@dataclass(frozen=True)
class Candidate:
    entry: str
    topic: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    query: str
    normalized: str
    decision: Decision
    candidates: tuple[Candidate, ...]  # best first, up to max_candidates (none for small talk)
    out_of_scope: float  # the topic classifier's probability that the question is off-topic
    # What "did you mean" offers: the best entry of each topic within clarify_window of the
    # best score (siblings only if fewer than two topics qualify), up to max_candidates.
    options: tuple[Candidate, ...] = ()
    confidence: float = 0.0  # calibrated probability that the best entry's topic is right
    smalltalk: SmallTalk | None = None  # set (with decision "none") when there is no question
    facts: Facts = field(default_factory=Facts)
    concerns: tuple[Concern, ...] = ()  # each concern of a message that carries several

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0
