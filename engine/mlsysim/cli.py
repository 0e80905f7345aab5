"""Command line: ``mlsysim zoo``, ``mlsysim eval SCENARIO``, ``mlsysim audit``,
``mlsysim names``.

A scenario (JSON or TOML) names one resolver, or a pipeline of them, and its inputs::

    {"resolver": "IronLawModel",
     "inputs": {"hardware": "H100", "model": "ResNet50", "batch_size": 32}}

    {"pipeline": ["DistributedModel", "EconomicsModel"],
     "inputs": {"model": "Llama3_8B", "fleet": "Frontier_8K", "duration": "30 day"}}

Input values: quantities as strings ("10 ms") or {"value": 10, "unit": "ms"}; registry
entries by name ("H100", "Llama3_8B", "Frontier_8K", "France"); anything else as given.
The result is printed as JSON, quantities as {"value": ..., "unit": ...}.
Bad input prints one message on stderr and exits with status 2.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2

# Which registry an input name refers to (others are tried in this order when unknown).
_REGISTRY_FOR_INPUT = {
    "hardware": "Hardware", "candidates": "Hardware", "model": "Models",
    "fleet": "Systems", "grid": "Systems",
}
_NUMBER_START = re.compile(r"^\s*[-+]?(\d|\.\d)")


class BadInput(Exception):
    """Anything wrong with what the user gave: reported on stderr, exit status 2."""


# ---------------------------------------------------------------------------- JSON output

def to_jsonable(value: Any) -> Any:
    from .core.types import Quantity

    if isinstance(value, Quantity):
        mag = value.magnitude
        if isinstance(mag, float) and not math.isfinite(mag):
            mag = str(mag)
        return {"value": mag, "unit": f"{value.units:~C}"}
    if hasattr(value, "provenance") and dataclasses.is_dataclass(value):
        return {"key": getattr(value, "key", ""), "name": value.name}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


# ---------------------------------------------------------------------------- scenario input

def _registry(name: str):
    import mlsysim

    return getattr(mlsysim, name)


def _lookup_entry(input_name: str, text: str):
    from .core.errors import UnknownEntryError

    wanted = _REGISTRY_FOR_INPUT.get(input_name)
    if wanted:
        try:
            return _registry(wanted).get(text)
        except UnknownEntryError as exc:
            raise BadInput(f"input {input_name!r}: {exc}") from None
    for reg in ("Hardware", "Models", "Systems"):
        if text in _registry(reg):
            return _registry(reg).get(text)
    return text  # a plain string such as a precision name ("fp16")


def convert_input(name: str, value: Any) -> Any:
    import pint

    from .core.constants import Q_

    if isinstance(value, dict) and set(value) == {"value", "unit"}:
        try:
            return Q_(value["value"], value["unit"])
        except (pint.errors.PintError, ValueError, TypeError) as exc:
            raise BadInput(f"input {name!r}: bad unit {value['unit']!r} ({exc})") from None
    if isinstance(value, str):
        if _NUMBER_START.match(value):
            try:
                return Q_(value)
            except (pint.errors.PintError, ValueError, TypeError, AttributeError) as exc:
                raise BadInput(f"input {name!r}: cannot read {value!r} as a quantity "
                               f"({type(exc).__name__}: {exc}). Write e.g. \"10 ms\".") from None
        return _lookup_entry(name, value)
    if isinstance(value, list):
        return [convert_input(name, v) for v in value]
    return value


def load_scenario(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"scenario file {path!r} not found")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise BadInput(f"scenario {path!r}: expected a .json or .toml file")
    except json.JSONDecodeError as exc:
        raise BadInput(f"scenario {path!r} is not valid JSON: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"scenario {path!r} is not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput(f"scenario {path!r}: expected an object with 'resolver' and 'inputs'")
    if ("resolver" in data) == ("pipeline" in data):
        raise BadInput(f"scenario {path!r}: give exactly one of 'resolver' (a name) or "
                       f"'pipeline' (a list of names)")
    if not isinstance(data.get("inputs", {}), dict):
        raise BadInput(f"scenario {path!r}: 'inputs' must be a table/object of name = value")
    return data


def evaluate(data: dict) -> Any:
    from .core.errors import MlsysimError, UnknownEntryError
    from .core.pipeline import Pipeline
    from .core.resolver_factory import ResolverFactory

    names = data.get("pipeline") or [data["resolver"]]
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise BadInput("'resolver' must be a name and 'pipeline' a list of names")
    try:
        stages = [ResolverFactory.get(n)() for n in names]
    except UnknownEntryError as exc:
        raise BadInput(str(exc)) from None
    inputs = {k: convert_input(k, v) for k, v in data.get("inputs", {}).items()}
    pipeline = Pipeline(stages)
    try:  # an input no stage takes is an InvalidInputError from Pipeline.run
        results = pipeline.run(**inputs)
    except MlsysimError as exc:
        raise BadInput(str(exc)) from None
    if "resolver" in data:
        return next(iter(results.values()))
    return results


# ---------------------------------------------------------------------------- tables

def zoo_rows(which: str | None = None) -> list[dict]:
    from .core.types import Quantity

    def q(v, unit=None):
        if v is None:
            return None
        if isinstance(v, Quantity):
            v = v.to(unit) if unit else v
            return f"{v.magnitude:.4g} {v.units:~C}"
        return v

    rows = []
    regs = {"hardware": "Hardware", "models": "Models", "systems": "Systems"}
    for reg_key, reg_name in regs.items():
        if which and which != reg_key:
            continue
        for ns, key, e in _registry(reg_name).items():
            row = {"registry": reg_name, "namespace": ns, "key": key, "name": e.name}
            if reg_name == "Hardware":
                row.update(peak=q(e.compute.peak_flops, "TFLOP/s"),
                           precision=e.compute.default_precision,
                           memory=q(e.memory.capacity, "GB"),
                           bandwidth=q(e.memory.bandwidth, "GB/s"), tdp=q(e.tdp, "W"),
                           year=e.release_year)
            elif reg_name == "Models":
                row.update(parameters=f"{e.parameters:.4g}",
                           flops=q(e.flops_per_inference, "GFLOP"),
                           weights=q(e.size_in_bytes(), "MB"))
            elif ns == "Nodes":
                row.update(hardware=e.hardware.key, accelerators=e.accelerators)
            elif ns == "Clusters":
                row.update(accelerators=e.total_accelerators,
                           fabric=q(e.fabric.bandwidth_per_gpu, "GB/s"))
            elif ns == "Links":
                row.update(bandwidth=q(e.bandwidth), latency=q(e.latency))
            elif ns == "Storage":
                row.update(read=q(e.read_bandwidth, "GB/s"), iops=q(e.read_iops, "1/s"),
                           latency=q(e.latency))
            elif ns == "Egress":
                row.update(price=q(e.price_per_gb), as_of=e.as_of)
            else:
                row.update(carbon_intensity=q(e.carbon_intensity))
            rows.append(row)
    return rows


def print_table(rows: list[dict], out) -> None:
    if not rows:
        print("(nothing)", file=out)
        return
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for cols, group in groups.items():
        widths = [max(len(c), *(len("" if r[c] is None else str(r[c])) for r in group))
                  for c in cols]
        print("  ".join(c.ljust(w) for c, w in zip(cols, widths)), file=out)
        print("  ".join("-" * w for w in widths), file=out)
        for r in group:
            print("  ".join(("-" if r[c] is None else str(r[c])).ljust(w)
                            for c, w in zip(cols, widths)), file=out)
        print(file=out)


# ---------------------------------------------------------------------------- commands

def cmd_zoo(args) -> int:
    rows = zoo_rows(args.registry)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
    else:
        print_table(rows, sys.stdout)
    return 0


def cmd_eval(args) -> int:
    result = evaluate(load_scenario(args.scenario))
    json.dump(to_jsonable(result), sys.stdout, indent=2)
    print()
    return 0


def cmd_audit(args) -> int:
    from . import _audit

    rows = _audit.rows(only_audit=not args.all)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    short = [{"entry": f"{r['registry']}.{r['key']}", "field": r["path"], "value": r["value"],
              "kind": r["kind"], "reference": (r["reference"] or "")[:70]} for r in rows]
    print_table(short, sys.stdout)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=str))
    print(f"{len(rows)} values listed ({summary}).")
    missing = _audit.missing()
    if missing:
        print(f"{len(missing)} values have NO provenance.", file=sys.stderr)
        return 1
    return 0


def names_markdown() -> str:
    """The names table (core/names.py) as the Markdown table engine/README.md prints."""
    from .core.names import NAMES

    rows = [f"| `{name}` | {meaning.replace('|', '/')} |" for name, meaning in NAMES.items()]
    return "\n".join(["| input | meaning |", "| --- | --- |", *rows])


def cmd_names(args) -> int:
    print(names_markdown())
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 too; keep the one-line style
        raise BadInput(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlsysim", description="Analytical engine for ML systems.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    zoo = sub.add_parser("zoo", help="list the hardware, model and system registries")
    zoo.add_argument("registry", nargs="?", choices=["hardware", "models", "systems"])
    zoo.add_argument("--json", action="store_true", help="print JSON instead of a table")
    zoo.set_defaults(func=cmd_zoo)
    ev = sub.add_parser("eval", help="evaluate a scenario file (.json or .toml)")
    ev.add_argument("scenario")
    ev.set_defaults(func=cmd_eval)
    au = sub.add_parser("audit", help="list every estimate and illustrative value (registries "
                        "and resolver defaults)")
    au.add_argument("--all", action="store_true", help="list every value, not only estimates")
    au.add_argument("--json", action="store_true")
    au.set_defaults(func=cmd_audit)
    nm = sub.add_parser("names", help="print the input names table (one name per concept)")
    nm.set_defaults(func=cmd_names)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except BadInput as exc:
        print(f"mlsysim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
