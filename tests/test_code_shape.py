"""The shape of the code, as CI keeps it: the measures a newcomer's reading depends on.

- no function in the product (``addin/`` outside the emulators in ``addin/sandbox/``) above
  cyclomatic complexity 20 (radon's measure) or with more than 7 parameters;
- at most 6 modules directly in ``addin/``; every package says in its docstring what it owns;
- no module over 600 lines, emulators included.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from radon.complexity import cc_visit

ADDIN = Path(__file__).resolve().parent.parent / "addin"
MAX_COMPLEXITY = 20
MAX_PARAMETERS = 7
MAX_ROOT_MODULES = 6
MAX_LINES = 600


def product_modules() -> list[Path]:
    return sorted(p for p in ADDIN.rglob("*.py") if "sandbox" not in p.relative_to(ADDIN).parts)


def functions_and_methods(source: str) -> list[Any]:
    """radon's blocks for functions and methods (a class's own figure is not a function's),
    each once."""
    blocks: dict[tuple[int, str], Any] = {}
    for block in cc_visit(source):
        for function in getattr(block, "methods", [block]):
            if not hasattr(function, "methods"):
                blocks[(function.lineno, function.fullname)] = function
    return list(blocks.values())


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = function.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    names = [n for n in names if n not in ("self", "cls")]
    return names + [f"*{a.arg}" for a in (args.vararg, args.kwarg) if a is not None]


def test_no_product_function_is_above_complexity_20() -> None:
    too_complex = [
        f"{path.relative_to(ADDIN.parent)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in product_modules()
        for block in functions_and_methods(path.read_text())
        if block.complexity > MAX_COMPLEXITY]
    assert not too_complex, "split these into named steps:\n" + "\n".join(too_complex)


def test_no_product_function_takes_more_than_7_parameters() -> None:
    too_many = [
        f"{path.relative_to(ADDIN.parent)}:{node.lineno} {node.name} ({len(parameters(node))})"
        for path in product_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and len(parameters(node)) > MAX_PARAMETERS]
    assert not too_many, "give these a parameter object:\n" + "\n".join(too_many)


def test_the_package_root_holds_at_most_6_modules() -> None:
    root_modules = sorted(p.name for p in ADDIN.glob("*.py"))
    assert len(root_modules) <= MAX_ROOT_MODULES, root_modules


def test_every_package_says_what_it_owns() -> None:
    silent = [str(init.parent.relative_to(ADDIN.parent)) for init in ADDIN.rglob("__init__.py")
              if ast.get_docstring(ast.parse(init.read_text())) is None]
    assert not silent, f"packages without a docstring: {silent}"


def test_no_module_is_over_600_lines() -> None:
    long_modules = [f"{p.relative_to(ADDIN.parent)} ({n})" for p in ADDIN.rglob("*.py")
                    if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long_modules, long_modules


def test_the_measures_see_a_deliberately_bad_function() -> None:
    """The checks above are not vacuous: a function with 21 branches and 8 parameters is
    caught by both measures."""
    branches = "\n".join(f"    if a == {i}:\n        return {i}" for i in range(21))
    source = f"def bad(a, b, c, d, e, f, g, h):\n{branches}\n    return -1\n"
    (block,) = functions_and_methods(source)
    assert block.complexity > MAX_COMPLEXITY
    (function,) = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)]
    assert len(parameters(function)) > MAX_PARAMETERS
