"""HTTP surface: one blueprint per feature, one JSON error envelope; the Gmail add-on in
addin.web.gmail.

May import: addin.services, addin.devmode (the /sandbox index) and the root modules; the
schemas, errors and identity its requests carry. It reaches the database and the upstream
services through addin.services."""

from __future__ import annotations

from flask import Flask

from addin.devmode import index as sandbox_index
from addin.web import (
    admin,
    api,
    connect,
    connect_exchange,
    errors,
    health,
    items,
    landing,
    limits,
    manifests,
    openapi,
    pane,
    security,
    static_files,
    status,
    webhooks,
)
from addin.web.gmail import routes as gmail
from addin.web.gmail import status as gmail_status


def register_web(app: Flask) -> None:
    settings = app.extensions["addin"].settings
    errors.register(app)
    limits.register(app)
    security.register(app, settings.cors_origin_list, settings.public_url.startswith("https"))
    app.register_blueprint(health.blueprint)
    app.register_blueprint(landing.blueprint)  # GET /
    app.register_blueprint(sandbox_index.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(connect_exchange.blueprint)  # before connect's <service>
    app.register_blueprint(connect.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(items.blueprint)  # the pane's view of the open calendar item
    app.register_blueprint(openapi.blueprint)
    app.register_blueprint(pane.blueprint)
    app.register_blueprint(gmail.blueprint)
    app.register_blueprint(gmail_status.blueprint)  # the Gmail add-on's sync status card
    app.register_blueprint(status.blueprint)  # a user's sync status (the pane and the card read it)
    app.register_blueprint(manifests.blueprint)
    app.register_blueprint(static_files.blueprint)
