"""The manifests, validated offline against official artifacts: the unified JSON manifest
against the schema bundled in Microsoft's npm @microsoft/app-manifest; the XML manifest
converted by Microsoft's office-addin-manifest-converter and validated the same way, plus
the schema-order, length and https rules; the Gmail deployment parsed strictly with
google-cloud-gsuiteaddons' Deployment type."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from google.cloud import gsuiteaddons_v1
from lxml import etree

from addin.cli.commands import main
from addin.web.manifest_render import render

NODE = Path(__file__).parent / "node"
SCHEMAS = NODE / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / \
    "teams"
CONVERTER = NODE / "node_modules" / ".bin" / "office-addin-manifest-converter"
PUBLIC = "https://addin.example.com"
NS = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1",
      "v": "http://schemas.microsoft.com/office/mailappversionoverrides",
      "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
ORDER = ["Id", "AlternateId", "Version", "ProviderName", "DefaultLocale", "DisplayName",
         "Description", "IconUrl", "HighResolutionIconUrl", "SupportUrl", "AppDomains",
         "Hosts", "Requirements", "FormSettings", "Permissions", "Rule",
         "DisableEntityHighlighting", "VersionOverrides"]

needs_node = pytest.mark.skipif(not SCHEMAS.exists(),
                                reason="npm packages not installed (bash .ci/test installs them)")


def validate_unified(manifest: dict[str, Any]) -> None:
    version = manifest["manifestVersion"]
    schema = json.loads((SCHEMAS / f"v{version}" / "MicrosoftTeams.schema.json").read_text())
    jsonschema.Draft4Validator(schema).validate(manifest)


@needs_node
def test_unified_json_manifest_validates_against_the_bundled_schema() -> None:
    manifest = json.loads(render("outlook-json", PUBLIC))
    validate_unified(manifest)
    pages = [r["code"]["page"] for r in manifest["extensions"][0]["runtimes"]]
    assert f"{PUBLIC}/outlook/pane" in pages


@needs_node
def test_xml_manifest_converts_and_the_result_validates(tmp_path: Path) -> None:
    source = tmp_path / "outlook.xml"
    source.write_text(render("outlook", PUBLIC))
    out = tmp_path / "converted"
    subprocess.run([str(CONVERTER), "convert", str(source), "--output", str(out)],
                   check=True, capture_output=True, timeout=120, cwd=NODE)
    converted = json.loads((out / "manifest.json").read_text())
    validate_unified(converted)
    contexts = {c for ribbon in converted["extensions"][0]["ribbons"]
                for c in ribbon["contexts"]}
    assert contexts == {"mailRead", "mailCompose", "meetingDetailsOrganizer"}


def test_xml_manifest_follows_the_schema_order_lengths_and_https() -> None:
    root = etree.fromstring(render("outlook", PUBLIC).encode())
    names = [etree.QName(child).localname for child in root
             if isinstance(child.tag, str)]
    assert names == [n for n in ORDER if n in names]  # children in schema order
    assert root.get(f"{{{NS['xsi']}}}type") == "MailApp"
    urls = [e.get("DefaultValue") for e in root.iter() if isinstance(e.tag, str)
            and etree.QName(e).localname in ("IconUrl", "HighResolutionIconUrl", "SupportUrl",
                                              "SourceLocation", "Url", "Image")
            and e.get("DefaultValue")]
    urls += [e.text for e in root.iter(f"{{{NS['o']}}}AppDomain")]
    assert urls and all(u.startswith("https://") for u in urls)
    ids = [e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")]
    assert all(len(i) <= 32 for i in ids)
    for kind, limit in (("ShortStrings", 125), ("LongStrings", 250)):
        for string in root.iter(f"{{{NS['bt']}}}{kind}"):
            assert all(len(s.get("DefaultValue")) <= limit for s in string)
    declared = {e.get("id") for e in root.iter() if isinstance(e.tag, str)
                and etree.QName(e).localname in ("Image", "Url", "String")}
    used = {e.get("resid") for e in root.iter() if isinstance(e.tag, str) and e.get("resid")}
    assert used <= declared
    surfaces = {e.get(f"{{{NS['xsi']}}}type") for e in root.iter(f"{{{NS['v']}}}ExtensionPoint")}
    assert surfaces == {"MessageReadCommandSurface", "MessageComposeCommandSurface",
                        "AppointmentOrganizerCommandSurface"}
    mailbox = root.find("o:Requirements/o:Sets/o:Set", NS)
    assert mailbox is not None and mailbox.get("MinVersion") == "1.5"


def test_gmail_deployment_parses_strictly() -> None:
    text = render("gmail", PUBLIC)
    deployment = gsuiteaddons_v1.Deployment.from_json(text, ignore_unknown_fields=False)
    assert deployment.add_ons.common.homepage_trigger.run_function == \
        f"{PUBLIC}/gmail/homepage"
    trigger = deployment.add_ons.gmail.contextual_triggers[0]
    assert trigger.on_trigger_function == f"{PUBLIC}/gmail/message"
    assert deployment.add_ons.http_options.authorization_header.name == "SYSTEM_ID_TOKEN"


def test_manifest_routes_and_https_rule(client: Any, services: Any) -> None:
    refused = client.get("/manifests/outlook.xml")  # the test app's public URL is http
    assert refused.status_code == 400 and "PUBLIC_URL" in refused.json["error"]["fields"]
    services.settings = replace(services.settings, public_url=PUBLIC)
    for name, mimetype in (("outlook.xml", "application/xml"),
                           ("outlook.json", "application/json"),
                           ("gmail-deployment.json", "application/json")):
        response = client.get(f"/manifests/{name}")
        assert response.status_code == 200 and response.mimetype == mimetype
    assert client.get("/manifests/other.xml").status_code == 404
    assert client.get("/outlook/commands").status_code == 200


def test_cli_writes_manifests(tmp_path: Path) -> None:
    runner = CliRunner()
    for kind in ("outlook", "outlook-json", "gmail"):
        out = tmp_path / f"{kind}.out"
        result = runner.invoke(main, ["manifest", kind, "--public-url", PUBLIC, "--out",
                                      str(out)])
        assert result.exit_code == 0, result.output
        assert PUBLIC in out.read_text()
    refused = runner.invoke(main, ["manifest", "outlook", "--public-url", "http://x.example",
                                   "--out", str(tmp_path / "x")])
    assert refused.exit_code != 0 and "https" in refused.output
    assert shutil.which("node") is not None or not SCHEMAS.exists()


def test_manifests_name_the_entra_app_for_office_sso() -> None:
    """Office SSO (the pane's fallback where Nested App Authentication is missing) gives
    tokens for the app the manifest names; the backend accepts that audience."""
    client = "0f1e2d3c-4b5a-4697-8877-665544332211"
    root = etree.fromstring(render("outlook", PUBLIC, microsoft_client_id=client).encode())
    v11 = "{http://schemas.microsoft.com/office/mailappversionoverrides/1.1}"
    info = root.find(f".//{v11}WebApplicationInfo")
    assert info is not None
    assert info.findtext(f"{v11}Id") == client
    assert info.findtext(f"{v11}Resource") == f"api://addin.example.com/{client}"
    unified = json.loads(render("outlook-json", PUBLIC, microsoft_client_id=client))
    assert unified["webApplicationInfo"] == {"id": client,
                                             "resource": f"api://addin.example.com/{client}"}
