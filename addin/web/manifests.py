"""GET /manifests/outlook.xml, /manifests/outlook.json, /manifests/gmail-deployment.json,
and the Outlook function file the XML manifest names."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort

from addin.container import current_container
from addin.errors import ValidationFailed
from addin.web.manifest_render import KINDS, ManifestError, render

blueprint = Blueprint("manifests", __name__)
ROUTES = {"outlook.xml": "outlook", "outlook.json": "outlook-json",
          "gmail-deployment.json": "gmail"}


@blueprint.get("/manifests/<name>")
def manifest(name: str) -> Any:
    kind = ROUTES.get(name)
    if kind is None:
        abort(404)
    settings = current_container().settings
    try:
        text = render(kind, settings.public_url,
                      google_service_account=settings.google_addon_service_account,
                      microsoft_client_id=settings.microsoft_client_id)
    except ManifestError as exc:
        raise ValidationFailed(str(exc), fields={"PUBLIC_URL": "must be an https URL"}
                               ) from None
    return Response(text, mimetype=KINDS[kind][1],
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@blueprint.get("/outlook/commands")
def function_file() -> Any:
    """The FunctionFile of the XML manifest: loads Office.js; the buttons open the pane."""
    html = ("<!doctype html><html><head><meta charset=utf-8><title>Commands</title>"
            '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js">'
            '</script><script src="/static/pane/commands.js"></script></head>'
            "<body></body></html>")
    return Response(html, mimetype="text/html")
