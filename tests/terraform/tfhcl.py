"""Read terraform/ with python-hcl2 (8.x) for the structural and contract tests.

python-hcl2 8 returns, with the options used here (quotes stripped, no block markers):

* top-level blocks as lists: ``{"resource": [{"aws_s3_bucket": {"this": {...}}}], "variable": [...]}``;
* nested blocks as lists of dicts (``body["rule"] == [{...}, {...}]``), ``dynamic`` blocks as
  ``body["dynamic"] == [{"<name>": {"for_each": ..., "content": [...]}}]``;
* object literals as dicts and tuples as lists;
* every other expression as a string wrapped in ``${...}`` (``"${var.x}"``,
  ``"${merge(local.a, local.b)}"``); a quoted template stays a plain string with its ``${...}``
  parts (``"s3://${var.bucket}/"``);
* comments inside a block under ``"__comments__"`` (ignored here: see :func:`attrs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import hcl2
from hcl2.utils import SerializationOptions

REPO = Path(__file__).resolve().parents[2]
TF_ROOT = REPO / "terraform"
MODULES = TF_ROOT / "modules"
_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


@lru_cache(maxsize=None)
def load_file(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


def tf_dirs() -> list[Path]:
    """Every directory of terraform/ that holds .tf files (root, bootstrap, modules)."""
    return sorted({p.parent for p in TF_ROOT.rglob("*.tf") if ".terraform" not in p.parts})


def tf_files(directory: Path | None = None) -> list[Path]:
    if directory is None:
        return sorted(p for p in TF_ROOT.rglob("*.tf") if ".terraform" not in p.parts)
    return sorted(directory.glob("*.tf"))


@dataclass(frozen=True)
class Block:
    """A labelled top-level block: resource/data (kind, type, name) or variable/output/module."""

    kind: str
    type: str
    name: str
    body: dict[str, Any]
    path: Path

    @property
    def address(self) -> str:
        rel = self.path.parent.relative_to(TF_ROOT)
        prefix = "" if str(rel) == "." else f"{rel}:"
        return f"{prefix}{self.type + '.' if self.type else ''}{self.name}"


def blocks(kind: str, directory: Path | None = None, type_: str | None = None) -> Iterator[Block]:
    """Blocks of one kind ("resource", "data", "variable", "output", "module") in terraform/."""
    for path in tf_files(directory):
        for entry in load_file(path).get(kind, []):
            if kind in ("resource", "data"):
                for rtype, named in entry.items():
                    if type_ is not None and rtype != type_:
                        continue
                    for name, body in named.items():
                        yield Block(kind, rtype, name, body, path)
            else:
                for name, body in entry.items():
                    yield Block(kind, "", name, body, path)


def one(kind: str, directory: Path, type_: str, name: str) -> dict[str, Any]:
    found = [b.body for b in blocks(kind, directory, type_) if b.name == name]
    assert len(found) == 1, f"expected exactly one {kind} {type_}.{name} in {directory}, found {len(found)}"
    return found[0]


def locals_of(directory: Path) -> dict[str, Any]:
    """All ``locals`` of a module, merged (a name defined twice is an error in Terraform too)."""
    merged: dict[str, Any] = {}
    for path in tf_files(directory):
        for entry in load_file(path).get("locals", []):
            for key, value in entry.items():
                assert key not in merged, f"local.{key} defined twice in {directory}"
                merged[key] = value
    return merged


def attrs(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if not k.startswith("__")}


def nested(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Static nested blocks called ``name`` (a missing block gives [])."""
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def single(body: dict[str, Any], name: str) -> dict[str, Any]:
    found = nested(body, name)
    assert len(found) == 1, f"expected one {name} block, found {len(found)}"
    return found[0]


def _interpolations(text: str) -> list[tuple[int, int]]:
    """(start, end) of every top-level ``${...}`` in ``text``, braces and quotes balanced."""
    spans: list[tuple[int, int]] = []
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            return spans
        depth, j, quoted = 0, start + 1, False
        while j < len(text):
            ch = text[j]
            if quoted:
                if ch == "\\":
                    j += 1
                elif ch == '"':
                    quoted = False
            elif ch == '"':
                quoted = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if depth != 0:
            raise ValueError(f"unbalanced interpolation in {text!r}")
        spans.append((start, j + 1))
        i = j + 1


def expr(value: Any) -> str:
    """The expression text of an attribute (``"${var.x}"`` -> ``"var.x"``; literals unchanged)."""
    text = str(value)
    spans = _interpolations(text)
    if len(spans) == 1 and spans[0] == (0, len(text)):
        return text[2:-1]
    return text


def placeholder(value: Any, replacement: str = "tf-placeholder") -> str:
    """A string value with every Terraform interpolation replaced by a placeholder."""
    text = str(value)
    for start, end in reversed(_interpolations(text)):
        text = text[:start] + replacement + text[end:]
    return text


def references(body: Any, pattern: str) -> bool:
    """Whether any expression in ``body`` contains ``pattern`` (e.g. ``aws_s3_bucket.this.id``)."""
    return pattern in repr(body)


def variables(directory: Path) -> dict[str, dict[str, Any]]:
    return {b.name: b.body for b in blocks("variable", directory)}


def validations(var_body: dict[str, Any]) -> list[dict[str, Any]]:
    return nested(var_body, "validation")


def optional_attributes(type_expr: str) -> list[str]:
    """Names of the ``optional(...)`` attributes of an object type expression."""
    return re.findall(r"(\w+)\s*=\s*optional\(", type_expr)


def module_passthroughs(directory: Path) -> dict[str, list[tuple[str, Path, str]]]:
    """Root variables handed unchanged to a module: ``{var: [(module block, module dir, input)]}``.

    Only attributes whose whole expression is ``var.<name>`` count; a value the root transforms
    (a template, a list of it, a conditional) is the root's own use of the variable.
    """
    passed: dict[str, list[tuple[str, Path, str]]] = {}
    for block in blocks("module", directory):
        source = (directory / str(block.body["source"])).resolve()
        for attribute, value in attrs(block.body).items():
            match = re.fullmatch(r"var\.(\w+)", expr(value)) if isinstance(value, str) else None
            if match:
                passed.setdefault(match.group(1), []).append((block.name, source, attribute))
    return passed
