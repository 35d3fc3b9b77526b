"""The add-in manifests, rendered from the templates in manifests/ with the public URL:
the Outlook XML manifest, its unified JSON equivalent, the Gmail add-on deployment."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parents[2] / "manifests"  # next to the addin package
KINDS = {"outlook": ("outlook.xml", "application/xml"),
         "outlook-json": ("outlook.json", "application/json"),
         "gmail": ("gmail-deployment.json", "application/json")}
SURFACES = (("MessageReadCommandSurface", "msgRead"),
            ("MessageComposeCommandSurface", "msgCompose"),
            ("AppointmentOrganizerCommandSurface", "apptOrganizer"))
MAILBOX_VERSION = "1.5"  # item.getAsync properties and userProfile.timeZone are 1.1-1.5


class ManifestError(ValueError):
    """The manifest cannot be made for this public URL."""


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       autoescape=select_autoescape(["xml"]), keep_trailing_newline=True)


def app_id(public_url: str) -> str:
    """A stable add-in id per deployment (the same URL gives the same GUID)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, public_url.rstrip("/") + "/addin"))


def render(kind: str, public_url: str, *, google_service_account: str = "",
           microsoft_client_id: str = "") -> str:
    if kind not in KINDS:
        raise ManifestError(f"unknown manifest {kind!r}; one of {', '.join(KINDS)}")
    base = public_url.rstrip("/")
    if not base.startswith("https://"):
        raise ManifestError("Outlook and Gmail load add-ins over HTTPS only: set "
                            "ADDIN_PUBLIC_URL to an https URL (or run `addin serve --https`).")
    context: dict[str, Any] = {
        "base": base, "app_id": app_id(base), "version": "1.0.0.0",
        "provider_name": "addin (open source)", "display_name": "Salesforce Sidebar",
        "description": "Create Salesforce Events from email; they appear in your calendar at "
                       "once and attendees stay in sync both ways.",
        "mailbox_version": MAILBOX_VERSION, "surfaces": SURFACES,
        "domain": base.split("://", 1)[1].split("/", 1)[0],
        "microsoft_client_id": microsoft_client_id or app_id(base),
        "google_service_account": google_service_account,
    }
    text = _environment().get_template(KINDS[kind][0]).render(**context)
    if kind != "outlook":
        return json.dumps(json.loads(text), indent=2) + "\n"  # fails loudly if not JSON
    return text
