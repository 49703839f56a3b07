"""Every user-facing word of the kit in one place: the YAML files in ``analysis/vocab/``.

A label is looked up by an English key (``clean.reason.missing_customer_id``) and comes back
in the run's language — Chinese by default, English with ``run.language: en``. Labels that
hold values are ``str.format`` templates (``"{table}没有可用的行"``). Keys are unique across
all the files (a duplicate stops the import), and every key has both languages
(tests/test_vocab.py).

The language is read on every call, never frozen at import: code that needs a table of
labels asks for it when it runs (:func:`texts`), so a notebook that switches language after
its imports still speaks the new one.

Examples
--------
>>> text("vocab.example", n=3)
'共 3 项'
>>> with language("en"):
...     text("vocab.example", n=3)
'3 in all'
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import yaml

__all__ = ["text", "texts", "join", "use_language", "current_language", "language", "all_labels",
           "LANGUAGES"]

LANGUAGES = ("zh", "en")
_FOLDER = Path(__file__).with_name("vocab")
_state = {"language": "zh"}


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A YAML loader that refuses a key written twice in one file (PyYAML keeps the last).

    libyaml's C parser when PyYAML has it (10x the pure-Python one: every process that
    speaks reads all the vocabulary once)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ValueError(f"{node.start_mark.name}: vocabulary key {key!r} written twice")
        seen.add(key)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@functools.cache
def all_labels() -> dict[str, dict[str, str]]:
    """Every key with its labels per language, from all ``vocab/*.yml`` files."""
    labels: dict[str, dict[str, str]] = {}
    for path in sorted(_FOLDER.glob("*.yml")):
        with path.open(encoding="utf-8") as stream:   # an error names the file
            data = yaml.load(stream, Loader=_UniqueKeyLoader) or {}
        for key, entry in data.items():
            if key in labels:
                raise ValueError(f"vocabulary key {key!r} is defined in two files ({path.name})")
            labels[key] = entry
    return labels


def use_language(code: str) -> None:
    """Switch every label from now on (``run.language`` in params)."""
    if code not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {code!r}")
    _state["language"] = code


def current_language() -> str:
    return _state["language"]


@contextlib.contextmanager
def language(code: str):
    """Temporarily switch language (tests, an English copy of one table)."""
    before = _state["language"]
    use_language(code)
    try:
        yield
    finally:
        _state["language"] = before


def text(key: str, **fields) -> str:
    """The label of ``key`` in the current language, its ``{fields}`` filled in."""
    try:
        entry = all_labels()[key]
    except KeyError:
        raise KeyError(f"no vocabulary entry {key!r} in analysis/vocab/*.yml") from None
    template = entry.get(_state["language"]) or entry["zh"]
    return template.format(**fields) if fields else template


def texts(prefix: str) -> dict[str, str]:
    """``{last part of the key: label}`` for every key under ``prefix.`` — a table of labels
    such as column headers (``texts("quarantine.column")`` -> ``{"table": "表", …}``),
    in file order."""
    start = prefix.rstrip(".") + "."
    return {key[len(start):]: text(key) for key in all_labels() if key.startswith(start)}


def join(items) -> str:
    """Items as one list in the run's language: ``A、B、C`` in Chinese, ``A, B, C`` in English.

    Examples
    --------
    >>> join(["甲", "乙"])
    '甲、乙'
    """
    return text("list.separator").join(str(item) for item in items)
