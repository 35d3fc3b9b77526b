"""The record page a person opens from the sidebar's "Open in Salesforce": Lightning's
``/lightning/r/{sObject}/{id}/view`` and Classic's ``/{id}``. A minimal page of the record's
fields (and an Event's invitees); real Salesforce asks the browser to sign in first, the
sandbox does not."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from markupsafe import escape

from addin.sandbox.salesforce.org import Org
from addin.sandbox.salesforce.schema import sobject_of_id
from addin.sandbox.salesforce.values import ID_PATTERN, to_18

SHOWN = ("Subject", "Name", "StartDateTime", "EndDateTime", "ActivityDate", "EndDate",
         "IsAllDayEvent", "Location", "Description", "WhoId", "WhatId", "OwnerId", "Email",
         "Company", "Title", "ShowAs", "IsPrivate", "LastModifiedDate")


def _not_found(message: str) -> Response:
    page = ("<!doctype html><html lang=en><meta charset=utf-8><title>Page not found</title>"
            f"<h1>Page not found</h1><p>{escape(message)}</p></html>")
    return Response(page, status=404, mimetype="text/html")


def _page(org: Org, sobject: str, record_id: str) -> Response:
    if not ID_PATTERN.match(record_id):
        return _not_found("The address is not a record id.")
    record_id = to_18(record_id)
    with org.lock:
        record = dict(org.records.get(sobject, {}).get(record_id) or {})
        relations = [dict(r) for r in org.relations_of(record_id)] if sobject == "Event" \
            else []
    if not record:
        return _not_found("Looks like there's a problem: the record was deleted or you "
                          "don't have access to it.")
    title = record.get("Subject") or record.get("Name") or record_id
    rows = "".join(f"<tr><th scope=row>{escape(name)}</th><td data-field={escape(name)}>"
                   f"{escape(str(record[name]))}</td></tr>"
                   for name in SHOWN if record.get(name) not in (None, ""))
    invitees = "".join(f"<li>{escape(r['RelationId'])} ({escape(str(r.get('Status') or ''))})"
                       "</li>" for r in relations if r.get("IsInvitee"))
    body = (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{escape(title)} | {escape(sobject)} | Salesforce</title></head><body>"
            f"<p>{escape(sobject)}</p><h1>{escape(title)}</h1>"
            f"<table><tbody>{rows}</tbody></table>"
            + (f"<h2>Invitees</h2><ul>{invitees}</ul>" if invitees else "")
            + "</body></html>")
    return Response(body, mimetype="text/html")


def record_pages(org: Org) -> Blueprint:
    blueprint = Blueprint("salesforce_record_pages", __name__)

    @blueprint.get("/lightning/r/<sobject>/<record_id>/view")
    def lightning(sobject: str, record_id: str) -> Response:
        return _page(org, sobject, record_id)

    @blueprint.get("/<record_id>")
    def classic(record_id: str) -> Response:
        sobject = sobject_of_id(record_id) if ID_PATTERN.match(record_id) else None
        if sobject is None:
            abort(404)  # not a record: the emulator's own error body
        return _page(org, sobject, record_id)

    return blueprint
