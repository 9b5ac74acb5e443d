"""Regenerate the inputs/outputs tables of every module README (terraform-docs style).

The tables sit between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` in
``terraform/modules/<name>/README.md`` and are generated from ``variables.tf`` and ``outputs.tf``
with python-hcl2 (installed in the project's .venv with the test extra):

    .venv/bin/python terraform/tools/module_docs.py          # rewrite the tables
    .venv/bin/python terraform/tools/module_docs.py --check  # exit 1 if a README is stale

tests/terraform checks that every README is up to date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions

MODULES = Path(__file__).resolve().parents[1] / "modules"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def _load(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


def _code(text: str) -> str:
    text = text[2:-1] if text.startswith("${") and text.endswith("}") else text
    return "`" + " ".join(text.split()).replace("|", "\\|") + "`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(module: Path) -> str:
    rows = ["## Inputs", "", "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|"]
    for entry in _load(module / "variables.tf").get("variable", []):
        for name, body in entry.items():
            if "default" in body:
                default = json.dumps(body["default"])
                default = _code(default) if len(default) <= 60 else "see `variables.tf`"
                required = "no"
            else:
                default, required = "n/a", "yes"
            rows.append(f"| `{name}` | {_cell(body.get('description', ''))} | {_code(str(body['type']))} "
                        f"| {default} | {required} |")
    rows += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for entry in _load(module / "outputs.tf").get("output", []):
        for name, body in entry.items():
            rows.append(f"| `{name}` | {_cell(body.get('description', ''))} |")
    return "\n".join(rows)


def updated(readme: str, tables: str) -> str:
    if BEGIN not in readme or END not in readme:
        raise ValueError("README has no BEGIN_TF_DOCS/END_TF_DOCS markers")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tables}\n{END}{tail}"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for module in sorted(p for p in MODULES.iterdir() if p.is_dir()):
        readme_path = module / "README.md"
        readme = readme_path.read_text(encoding="utf-8")
        new = updated(readme, render(module))
        if new != readme:
            stale.append(module.name)
            if not check:
                readme_path.write_text(new, encoding="utf-8")
    if check and stale:
        print("stale module READMEs: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
