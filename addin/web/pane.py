"""The Outlook task pane: the Create dialog (HTML from Jinja2, plain ES modules)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from addin.container import container

blueprint = Blueprint("pane", __name__)
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"


@blueprint.get("/outlook/pane")
def pane() -> Any:
    settings = container().settings
    return render_template("outlook/pane.html", office_js=OFFICE_JS,
                           sandbox=settings.mode == "sandbox")
