"""A usage error of the command line is one Chinese line: argparse's own English ("the following
arguments are required", "invalid choice", --help's headings) came inside the translated
"用法错误" before (ui/cli ARGPARSE_WORDS)."""
from __future__ import annotations

import re

import pytest

from resources import i18n
from ui import cli


@pytest.fixture
def chinese():
    before = i18n.language()
    i18n.set_language("zh_CN")
    yield
    i18n.set_language(before)


@pytest.mark.parametrize(("argv", "said"), [
    (["bill", "list"], "缺少必需的参数：account"),
    (["sell", "000001"], "缺少必需的参数：amount, --method"),
    (["bogus"], "参数 COMMAND：无效的选择：'bogus'"),
    (["sell", "1", "2", "--method", "x"], "参数 --method：无效的选择：'x'"),
    (["bill", "list", "1", "--bogus"], "无法识别的参数：--bogus"),
])
def test_a_usage_error_is_said_in_chinese(chinese, capsys, argv, said):
    with pytest.raises(SystemExit) as stop:
        cli.build_parser(argv).parse_args(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and said in err and "用法错误" in err
    assert len(err.strip().splitlines()) == 1
    assert not re.search(r"\b(the following|required|invalid choice|unrecognized|argument)\b", err)


def test_help_headings_in_chinese_and_english(capsys):
    before = i18n.language()
    try:
        for lang, words in (("zh_CN", ("用法：", "位置参数", "选项", "显示本帮助并退出")),
                            ("en", ("usage: ", "positional arguments", "options", "show this help message"))):
            i18n.set_language(lang)
            with pytest.raises(SystemExit):
                cli.build_parser(["bill", "--help"]).parse_args(["bill", "--help"])
            out = capsys.readouterr().out
            assert all(w in out for w in words), (lang, out)
    finally:
        i18n.set_language(before)
