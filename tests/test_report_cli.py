"""`python -m bot report --html`: writes the page for the bundled knowledge, fails on a broken one."""

from __future__ import annotations

import pytest

from bot.cli import build_parser
from bot.config import DEFAULT_KNOWLEDGE
from bot.core.knowledge import load_knowledge
from tests.conftest import FIXTURES
from tests.test_cli import run_cli


def test_report_has_help(capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["report", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--html" in out and "--today" in out and "--knowledge" in out


def test_report_writes_the_page(tmp_path):
    out = tmp_path / "out.html"
    result = run_cli("report", "--html", str(out), "--today", "2028-01-01")
    assert result.returncode == 0, result.stderr
    entries = len(load_knowledge(DEFAULT_KNOWLEDGE).entries)  # all were reviewed in 2026
    assert f"{entries} entries, {entries} not reviewed since 2027-01-01" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "催收问答 · 知识库报告 2028-01-01" in page


def test_report_refuses_a_broken_knowledge_base(tmp_path):
    out = tmp_path / "out.html"
    result = run_cli("report", "--html", str(out), "--knowledge", str(FIXTURES / "kb_bad"))
    assert result.returncode == 1
    assert "kb_bad/entries/broken.yaml:3:" in result.stderr
    assert not out.exists()
