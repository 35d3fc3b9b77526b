"""Several Salesforce organizations behind one sandbox origin, as a multi-org seed asks.

In Salesforce every org is its own tenant: a session (access token) belongs to one user of
one org and reaches only that org's records, its daily API allowance and its change events.
Here each organization is a whole org app (app.org_app): its own ``Org``, API counter
(``Sforce-Limit-Info``), change-event bus and row locks. A request goes to the org of the
user its bearer token was issued to; a request without a token (the sandbox-only UI
actions, record pages) goes to the org holding the record id its path names; anything else
(OAuth, identity URLs) to the first org's app, which serves OAuth for every seeded user.
A token of no seeded user lands on the first org, which refuses it (INVALID_SESSION_ID).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import grpc
from flask import Flask

import eventbus
from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState

RECORD_ID = re.compile(r"[a-zA-Z0-9]{18}")
OWN_PATHS = ("/services/oauth2/", "/id/", "/.well-known/")


class OrgDirectory:
    """Which organization a token's user or a record id belongs to."""

    def __init__(self, state: SandboxState, seed: SeedData, apps: dict[str, Flask]):
        self.state, self.apps = state, apps
        self.first = next(iter(apps))
        self._org_of_email = {user.email.lower(): org.org_id
                              for org in seed.organizations for user in org.users}

    def of_token(self, token: str) -> str | None:
        issued = self.state.tokens.lookup("salesforce", token)
        return self._org_of_email.get(issued.subject.lower()) if issued else None

    def of_record(self, parts: Iterable[str]) -> str | None:
        for part in parts:
            if RECORD_ID.fullmatch(part):
                for org_id, app in self.apps.items():
                    if app.extensions["salesforce_org"].find(part) is not None:
                        return org_id
        return None

    def of_request(self, environ: dict[str, Any]) -> str:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(OWN_PATHS):
            return self.first
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        if header.startswith("Bearer "):
            return self.of_token(header.removeprefix("Bearer ").strip()) or self.first
        return self.of_record(path.split("/")) or self.first


def dispatch_by_org(state: SandboxState, seed: SeedData, apps: dict[str, Flask]) -> Flask:
    """The first org's app, answering for every org: each request is handed to the app of
    its org (see the module docstring)."""
    directory = OrgDirectory(state, seed, apps)
    first = apps[directory.first]
    own: Callable[..., Any] = first.wsgi_app

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        org_id = directory.of_request(environ)
        if org_id == directory.first:
            return own(environ, start_response)
        return apps[org_id](environ, start_response)

    first.wsgi_app = wsgi_app  # type: ignore[method-assign]
    first.extensions["salesforce_orgs"] = apps
    first.extensions["salesforce_directory"] = directory
    return first


class PubSubRouter(eventbus.services.PubSubServicer):
    """One Pub/Sub API endpoint for every org: a call goes to the service of the org whose
    user the ``accesstoken`` belongs to; that service checks ``tenantid`` against its org."""

    def __init__(self, directory: OrgDirectory, services: dict[str, Any]):
        self.directory, self.services = directory, services

    def _service(self, context: grpc.ServicerContext) -> Any:
        metadata = dict(context.invocation_metadata())
        org_id = self.directory.of_token(str(metadata.get("accesstoken", "")))
        return self.services[org_id or self.directory.first]

    def GetTopic(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._service(context).GetTopic(request, context)

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._service(context).GetSchema(request, context)

    def Publish(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._service(context).Publish(request, context)

    def Subscribe(self, requests: Iterator[Any], context: grpc.ServicerContext
                  ) -> Iterator[Any]:
        return self._service(context).Subscribe(requests, context)
