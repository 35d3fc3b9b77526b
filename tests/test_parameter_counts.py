"""No function in the product (outside the sandbox emulators and the sync engine) takes
more than 7 parameters (self/cls not counted; *args and **kwargs one each): more means a
missing parameter object (see addin/services/attendees.py's Known)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 7


def _count(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    return len([n for n in names if n not in ("self", "cls")]) + bool(args.vararg) + \
        bool(args.kwarg)


def test_no_function_takes_more_than_seven_parameters() -> None:
    over = []
    for path in sorted((ROOT / "addin").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(("addin/sandbox/", "addin/sync/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    _count(node) > LIMIT:
                over.append(f"{relative}:{node.lineno} {node.name} ({_count(node)})")
    assert not over, over
