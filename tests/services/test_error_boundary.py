"""The service layer (and identity) speak the domain's errors, never HTTP: nothing there
imports the web layer or its ApiError (``addin.web.errors`` maps them, in one place)."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from addin.domain import errors as domain
from addin.errors import ApiError

ROOT = Path(__file__).resolve().parents[2]
# identity may live in addin/accounts/identity.py or in the addin/accounts package
LAYER = sorted({*ROOT.glob("addin/services/**/*.py"), *ROOT.glob("addin/accounts/identity.py"),
                *ROOT.glob("addin/accounts/**/*.py")})


def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) of every import in a file; name None for ``import module``."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
    return found


def _is_http_error(module: str, name: str | None) -> bool:
    if module == "addin.web" or module.startswith("addin.web."):
        return True
    if name is None:
        return module == "addin.errors"
    value = getattr(importlib.import_module(module), name, None)
    return inspect.isclass(value) and issubclass(value, ApiError)


@pytest.mark.parametrize("path", LAYER, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_http_errors_in_the_service_layer(path: Path) -> None:
    offending = [f"{module}.{name}" if name else module
                 for module, name in _imports(path) if _is_http_error(module, name)]
    assert not offending, f"{path.relative_to(ROOT)} imports {offending}"


def test_the_layer_is_found_and_the_check_bites() -> None:
    assert len(LAYER) > 10
    assert _is_http_error("addin.errors", "ValidationFailed")
    assert _is_http_error("addin.web.errors", "client_message")
    assert not _is_http_error("addin.errors", "scrub")
    assert not _is_http_error("addin.domain.errors", "NotFound")


def test_domain_errors_are_not_api_errors() -> None:
    classes = [v for v in vars(domain).values()
               if inspect.isclass(v) and issubclass(v, domain.DomainError)]
    assert classes and not any(issubclass(c, ApiError) for c in classes)
