"""The top-level static/ folder under /static (icons, the pane's scripts and styles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, send_from_directory

STATIC = Path(__file__).resolve().parents[2] / "static"  # next to the addin package
blueprint = Blueprint("static_files", __name__)


@blueprint.get("/static/<path:filename>")
def static_file(filename: str) -> Any:
    response = send_from_directory(STATIC, filename, max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
