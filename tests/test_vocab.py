"""One vocabulary: every user-facing word comes from analysis/vocab/*.yml (analysis/vocab.py).

The scan parses each module of the package and fails on a string literal holding Chinese
outside the vocabulary and the reference data (what users' files say: analysis/reference/) and
the sample generator (its Chinese is sample data). Docstrings are documentation, not output.
"""

import ast
import re

import pytest

from analysis.config import PROJECT_ROOT
from analysis.vocab import LANGUAGES, all_labels, language, text, texts

PACKAGE = PROJECT_ROOT / "analysis"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
EXEMPT = ("reference/", "sample/", "vocab.py")


def chinese_literals(path):
    """(line, text) of every non-docstring string constant holding Chinese in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and CJK.search(node.value)]


MODULES = sorted(p for p in PACKAGE.rglob("*.py")
                 if not str(p.relative_to(PACKAGE)).startswith(EXEMPT))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_chinese_literal_outside_vocab_and_reference_data(path):
    found = chinese_literals(path)
    assert not found, f"{len(found)} Chinese literals, e.g. " + "; ".join(
        f"line {line}: {value!r}" for line, value in found[:5])


def test_every_label_has_both_languages_and_the_same_fields():
    for key, entry in all_labels().items():
        assert set(entry) == set(LANGUAGES), key
        fields = [set(re.findall(r"\{(\w+)", entry[code])) for code in LANGUAGES]
        assert fields[0] == fields[1], f"{key}: fields differ between languages"


def test_language_switches_every_label():
    with language("en"):
        assert text("table.orders") == "Orders"
    assert text("table.orders") == "订单表"
    assert texts("table")["customers"] == "客户表"


def test_a_key_written_twice_in_one_file_is_refused_naming_the_file(tmp_path):
    import yaml

    from analysis.vocab import _UniqueKeyLoader

    path = tmp_path / "dup.yml"
    path.write_text("a:\n  zh: x\n  en: x\nb:\n  zh: y\n  en: y\na:\n  zh: z\n  en: z\n",
                    encoding="utf-8")
    with path.open(encoding="utf-8") as stream, pytest.raises(ValueError, match="dup.yml.*'a'"):
        yaml.load(stream, Loader=_UniqueKeyLoader)


def test_the_fast_loader_reads_every_file_as_the_pure_python_one():
    import yaml

    from analysis.vocab import _FOLDER, _UniqueKeyLoader

    if getattr(yaml, "CSafeLoader", None) is not None:
        assert issubclass(_UniqueKeyLoader, yaml.CSafeLoader)
    for path in sorted(_FOLDER.glob("*.yml")):
        content = path.read_text(encoding="utf-8")
        assert yaml.load(content, Loader=_UniqueKeyLoader) == yaml.load(content, Loader=yaml.SafeLoader), path.name
