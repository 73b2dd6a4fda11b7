"""Which signals earn their place: the matcher with one part taken away, on every labelled set.

Usage:
    python -m benchmarks.ablation [--file Q.jsonl ...] [--out F]

Each variant is a full matcher (its own classifier and calibration, fitted and cached like the
production one) with the same decision thresholds; the figures are those of `python -m bot
eval`. A second table compares the topic classifier's features alone: character n-grams (what
the matcher uses), jieba words beside them, and jieba words alone.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.baselines import ours
from benchmarks.common import ROOT, default_questions, emit, pct, table
from bot.config import DEFAULT_KNOWLEDGE, Settings
from bot.core.evaluate import Labelled, read_labelled, score
from bot.core.features import extract_features
from bot.core.knowledge import KnowledgeBase, load_knowledge
from bot.core.matcher import MatchSettings, build_matcher
from bot.core.normalize import Normalizer
from bot.core.recognise import Recogniser
from bot.core.scoring import Weights

PRODUCTION = Weights()
VARIANTS: tuple[tuple[str, Weights, bool], ...] = (
    ("as the bot runs (all signals)", PRODUCTION, True),
    ("without the semantic model", PRODUCTION, False),
    ("without logistic regression", replace(PRODUCTION, lr=0.0), True),
    ("without naive Bayes", replace(PRODUCTION, nb=0.0), True),
    ("without fuzzy ratio", replace(PRODUCTION, fuzzy=0.0), True),
    ("semantic model alone", Weights(nearest=0, profile=0, nb=0, fuzzy=0, lr=0, semantic=1.0), True),
    (
        "the previous matcher's signals (TF-IDF, naive Bayes, fuzzy)",
        Weights(nearest=0.25, profile=0.25, nb=0.40, fuzzy=0.10, lr=0.0, semantic=0.0),
        False,
    ),
)


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def variants_table(kb: KnowledgeBase, sets: dict[str, list[Labelled]]) -> str:
    cache = Settings.from_env().model_cache_dir
    rows = []
    for name, weights, semantic in VARIANTS:
        matcher = build_matcher(kb, cache, semantic=semantic, settings=MatchSettings(weights=weights))
        for label, items in sets.items():
            s = score(items, ours(matcher)).summary()
            rows.append(
                [
                    name,
                    label,
                    pct(s["top1_topic"]),
                    pct(s["answer_correct"]),
                    pct(s["correct_or_offered"]),
                    pct(s["wrong_answer"]),
                    pct(s["oos_answered"]),
                    pct(s["oos_clarified"]),
                ]
            )
        print(f"ablation: {name} done", file=sys.stderr, flush=True)
    return table(
        [
            "matcher",
            "set",
            "top-1",
            "answer correct",
            "correct or offered",
            "wrong",
            "out of scope answered",
            "out of scope offered",
        ],
        rows,
    )


def word_features_table(kb: KnowledgeBase, sets: dict[str, list[Labelled]]) -> str:
    """Top-1 topic of a logistic-regression classifier alone, by feature set."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot.core.topic_model import LR_C, LR_TOL

    jieba.setLogLevel(logging.WARNING)
    normalize = Normalizer(kb.synonyms, Recogniser(kb.lenders, kb.people, kb.places))
    texts = [normalize(t) for e in kb.entries for t in (e.title, *e.questions)]
    labels = [e.topic for e in kb.entries for _ in (e.title, *e.questions)]

    def chars(text: str) -> list[str]:
        return [f for f, n in extract_features(text).items() for _ in range(n)]

    def words(text: str) -> list[str]:
        return ["w:" + w for w in jieba.lcut(text) if w.strip()]

    analyzers = {
        "character 1–3-grams (the matcher's)": chars,
        "character n-grams + jieba words": lambda t: chars(t) + words(t),
        "jieba words only": words,
    }
    rows = []
    for name, analyzer in analyzers.items():
        vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True)
        model = LogisticRegression(C=LR_C, tol=LR_TOL, solver="saga", max_iter=3000)
        model.fit(vectorizer.fit_transform(texts), labels)
        row = [name]
        for items in sets.values():
            inside = [it for it in items if it.topics]
            predicted = model.predict(vectorizer.transform([normalize(it.q[:600]) for it in inside]))
            row.append(pct(float(np.mean([p in it.topics for p, it in zip(predicted, inside, strict=True)]))))
        rows.append(row)
    return table(["topic classifier features", *sets], rows)


def run(files: list[Path], knowledge: Path = DEFAULT_KNOWLEDGE) -> str:
    kb = load_knowledge(knowledge)
    sets = {_label(f): read_labelled(f) for f in files}
    return "\n".join(
        [
            "## Ablation",
            "",
            "Each matcher refits its classifier and calibration without the part named; thresholds as in "
            "production. Percentages of in-scope questions (out-of-scope columns: of out-of-scope ones).",
            "",
            variants_table(kb, sets),
            "",
            "The topic classifier alone (logistic regression as in the matcher, top-1 topic of in-scope "
            "questions), by features:",
            "",
            word_features_table(kb, sets),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ablation", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--file", action="append", type=Path, help="labelled .jsonl set (repeatable)")
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    return emit(run(args.file or [default_questions()], args.knowledge), args.out)


if __name__ == "__main__":
    raise SystemExit(main())
