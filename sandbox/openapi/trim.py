"""Cut Plaid's published OpenAPI document down to what the sandbox serves.

    python -m sandbox.openapi.trim plaid-openapi-2020-09-14.yml

keeps the paths registered on the Plaid blueprint, every component they reference
(transitively) and the security schemes, and writes them as JSON beside this module
(``plaid-2020-09-14.json``). The document itself is not changed: no key is renamed,
dropped or rewritten below the paths and components that are kept.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

TRIMMED = Path(__file__).with_name("plaid-2020-09-14.json")
TOP_LEVEL = ("openapi", "servers", "info", "tags", "security")


def served_paths() -> list[str]:
    """The paths of the Plaid dialect, read from the app's URL map."""
    from sandbox import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "trim"})
    return sorted(r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("plaid."))


def refs(node: Any) -> Iterator[str]:
    """Every local ``$ref`` under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def referenced_components(document: dict[str, Any], roots: Iterable[Any]) -> dict[str, Any]:
    """The components reachable from ``roots``, per section, in the document's order."""
    seen: set[str] = set()
    todo = [ref for root in roots for ref in refs(root)]
    while todo:
        ref = todo.pop()
        if ref not in seen:
            seen.add(ref)
            todo.extend(refs(_resolve(document, ref)))
    kept: dict[str, Any] = {}
    for section, entries in document["components"].items():
        chosen = {
            name: value
            for name, value in entries.items()
            if f"#/components/{section}/{name}" in seen
        }
        if chosen:
            kept[section] = chosen
    return kept


def trim(document: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """``document`` with only ``paths``, their components and the security schemes."""
    missing = sorted(set(paths) - set(document["paths"]))
    if missing:
        raise SystemExit(f"not in Plaid's document: {', '.join(missing)}")
    kept_paths = {path: document["paths"][path] for path in sorted(paths)}
    trimmed = {key: document[key] for key in TOP_LEVEL if key in document}
    trimmed["paths"] = kept_paths
    components = referenced_components(document, kept_paths.values())
    trimmed["components"] = {
        "securitySchemes": document["components"]["securitySchemes"],
        **components,
    }
    return trimmed


def _load(parser: argparse.ArgumentParser, source: Path) -> dict[str, Any]:
    """The YAML document at ``source``, or one line naming what is wrong."""
    try:
        import yaml
    except ImportError:
        parser.error("PyYAML is needed: pip install pyyaml (it is in the dev extra)")
    try:
        with source.open() as handle:
            loaded = yaml.load(handle, Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError) as exc:
        parser.error(f"cannot read {source}: {str(exc).splitlines()[0]}")
    if not isinstance(loaded, dict) or "paths" not in loaded or "components" not in loaded:
        parser.error(f"{source} is not an OpenAPI document (no paths or components)")
    return loaded


def main(argv: list[str] | None = None) -> None:
    """Read Plaid's YAML document and write the trimmed JSON copy."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.openapi.trim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", type=Path, help="Plaid's document (YAML), API 2020-09-14")
    parser.add_argument("--out", type=Path, default=TRIMMED, help="where to write the JSON")
    args = parser.parse_args(argv)
    document = _load(parser, args.source)
    trimmed = trim(document, served_paths())
    args.out.write_text(json.dumps(trimmed, indent=1, ensure_ascii=False) + "\n")
    counts = {section: len(entries) for section, entries in trimmed["components"].items()}
    print(f"{args.out}: {len(trimmed['paths'])} paths, components {counts}")


if __name__ == "__main__":
    main()
