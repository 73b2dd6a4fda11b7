"""Normalisation: width, case, script, punctuation, emoji, synonyms."""

from bot.core.normalize import Normalizer

N = Normalizer({"xyk": "信用卡", "征心": "征信", "停息": "停息挂账", "cs": "催收", "家访": "上门"})


def test_full_width_and_case():
    assert N.basic("ＡＢＣ１２３") == "abc123"
    assert N.basic("XYK") == "xyk"


def test_traditional_to_simplified():
    assert N.basic("催收員說今天五點前要還款") == "催收员说今天五点前要还款"


def test_punctuation_and_emoji_become_separators():
    assert N.basic("上门？？😭😭 怎么办！！") == "上门 怎么办"
    assert N.basic("🙏🙏🙏") == ""


def test_synonyms_replace_variants():
    assert N("XYK逾期了") == "信用卡逾期了"
    assert N("征心会花吗") == "征信会花吗"
    assert N("催收说要家访") == "催收说要上门"


def test_canonical_terms_are_not_expanded_again():
    assert N("能停息挂账吗") == "能停息挂账吗"
    assert N("能停息吗") == "能停息挂账吗"


def test_latin_abbreviations_only_as_whole_words():
    assert N("cs天天打电话") == "催收天天打电话"
    assert N("docs") == "docs"
