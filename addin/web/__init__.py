"""HTTP surface: one blueprint per feature, one JSON error envelope."""

from __future__ import annotations

from flask import Flask

from addin.web import (
    admin,
    api,
    connect,
    connect_exchange,
    errors,
    gmail,
    gmail_status,
    health,
    items,
    landing,
    limits,
    manifests,
    openapi,
    pane,
    sandbox_index,
    security,
    static_files,
    status,
    webhooks,
)


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
    app.register_blueprint(items.blueprint)  # the open item view (issue #14)
    app.register_blueprint(openapi.blueprint)
    app.register_blueprint(pane.blueprint)
    app.register_blueprint(gmail.blueprint)
    app.register_blueprint(gmail_status.blueprint)  # the status card (issue #14)
    app.register_blueprint(status.blueprint)  # sync status (issue #14)
    app.register_blueprint(manifests.blueprint)
    app.register_blueprint(static_files.blueprint)
