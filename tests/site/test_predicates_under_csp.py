"""Every Playwright predicate the tests and the bench hand to wait_for_function is a function,
never a bare expression: the book's pages carry a Content-Security-Policy without
'unsafe-eval', under which Playwright cannot eval an expression string (the bench once failed
at its first wait this way, unnoticed, because it is not part of the test run)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = ("(", "async ")


def _module_strings(tree) -> dict[str, str]:
    """Module-level NAME = "..." constants (the bench keeps its predicates in named strings)."""
    return {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for target in node.targets if isinstance(target, ast.Name)}


def _predicates():
    for path in sorted([*ROOT.glob("labs_wasm/bench/*.py"), *ROOT.glob("tests/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = _module_strings(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "wait_for_function" and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", arg.value.strip()
            elif isinstance(arg, ast.Name) and arg.id in named:
                yield f"{path.relative_to(ROOT)}:{node.lineno} ({arg.id})", named[arg.id].strip()


def is_function(source: str) -> bool:
    head = source.split("=>", 1)[0].strip()
    return "=>" in source and (head.startswith(FUNCTION) or head.isidentifier()) or source.startswith("function")


def test_predicates_are_found():
    assert sum(1 for _ in _predicates()) > 20


def test_the_bench_predicates_kept_in_named_strings_are_checked():
    found = [where for where, _ in _predicates() if where.startswith("labs_wasm/bench/")]
    assert any("(READY)" in w for w in found) and any("(SW_CONTROLS)" in w for w in found), found


def test_every_wait_for_function_predicate_is_a_function():
    bare = [f"{where}: {src[:60]}" for where, src in _predicates() if not is_function(src)]
    assert not bare, "bare-expression predicates (blocked by the site's CSP):\n" + "\n".join(bare)


def test_the_check_tells_a_bare_expression_from_a_function():
    assert not is_function("document.querySelector('section.lab')?.dataset.state === 'ready'")
    assert not is_function("['ready'].includes(x)")
    assert is_function("() => document.body") and is_function("id => id") and is_function("([a, b]) => a")
