"""The module map of ``src/polyslot``: files and lines per folder, and the import layers.

Usage: ``python bench/module_map.py [--root src/polyslot] [--pyproject pyproject.toml]``

Prints one row per folder (the package's top level, then each subpackage with everything below
it): Python files, total lines, median and largest module (physical lines, ``__init__.py``
included); then the same over all files; then the layers contract of
``[tool.importlinter]`` from the top (``a | b`` siblings that may not import each other,
``a : b`` siblings that may) and the other contracts by name. It reads files only.
"""

from __future__ import annotations

import argparse
import statistics
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def folder_rows(root: Path) -> list[tuple[str, list[tuple[Path, int]]]]:
    """(folder label, [(file, lines), ...]) for the top level and each subpackage."""
    groups: dict[str, list[tuple[Path, int]]] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        label = "(top level)" if len(rel.parts) == 1 else f"{rel.parts[0]}/"
        groups.setdefault(label, []).append((rel, _lines(path)))
    top = groups.pop("(top level)", [])
    return [("(top level)", top), *sorted(groups.items())]


def _row(label: str, files: list[tuple[Path, int]]) -> str:
    lines = [n for _, n in files]
    big_file, big = max(files, key=lambda f: (f[1], str(f[0])))
    return (
        f"{label:<16} {len(files):>5} {sum(lines):>7} {statistics.median(lines):>7.0f} "
        f"{big:>7}  {big_file.as_posix()}"
    )


def layers(pyproject: Path) -> tuple[list[str], list[str]]:
    """The layers contract (top first) and the names of the other contracts."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = config.get("tool", {}).get("importlinter", {}).get("contracts", [])
    layer_list: list[str] = []
    others: list[str] = []
    for c in contracts:
        if c["type"] == "layers" and not layer_list:
            layer_list = [layer.replace("(", "").replace(")", "") for layer in c["layers"]]
        else:
            others.append(f"{c['type']}: {c['name']}")
    return layer_list, others


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / "src" / "polyslot")
    parser.add_argument("--pyproject", type=Path, default=REPO / "pyproject.toml")
    args = parser.parse_args()
    rows = folder_rows(args.root)
    print(f"{'folder':<16} {'files':>5} {'lines':>7} {'median':>7} {'largest':>7}  largest module")
    for label, files in rows:
        print(_row(label, files))
    everything = [f for _, files in rows for f in files]
    print(_row("all", everything))
    layer_list, others = layers(args.pyproject)
    if not layer_list:
        print("\nimport layers: none declared (no [tool.importlinter] layers contract)")
        return
    print("\nimport layers (top may import below, never above):")
    for layer in layer_list:
        print(f"  {layer}")
    for other in others:
        print(f"  + {other}")


if __name__ == "__main__":
    main()
