"""``GET /``: a small landing page linking what a person looks for first (the Outlook pane,
the sandbox index, the manifests, the API document, the sync status pages)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from addin.container import current_container
from addin.web.manifests import ROUTES

blueprint = Blueprint("landing", __name__)


@blueprint.get("/")
def landing() -> Any:
    container = current_container()
    return render_template("landing.html", mode=container.settings.mode,
                           sandbox=container.sandbox is not None,
                           manifests=sorted(ROUTES),
                           public_url=container.settings.public_url.rstrip("/"))
