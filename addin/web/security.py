"""CORS for the API (only the configured add-in origins), security headers on every
response, and a Content-Security-Policy that lets only the Outlook and Gmail hosts frame
the product's pages.

The product sets no cookies: the API is authenticated by bearer tokens, the OAuth flows by
signed state, so there is no cookie-authenticated form to protect against CSRF. (The
sandbox's consent pages belong to the emulated vendors.)"""

from __future__ import annotations

from flask import Flask, Response
from flask_cors import CORS

FRAME_ANCESTORS = (
    "'self'", "https://outlook.office.com", "https://outlook.office365.com",
    "https://outlook.live.com", "https://*.officeapps.live.com", "https://*.office.com",
    "https://*.microsoft365.com", "https://mail.google.com", "https://*.google.com",
)
OFFICE_JS = "https://appsforoffice.microsoft.com"


def policy(connect: tuple[str, ...] = (), frame: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy; a page may add origins it must fetch from or frame
    (the Outlook pane: the Microsoft identity platform, for MSAL.js)."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {OFFICE_JS}",
        "style-src 'self'",
        "img-src 'self' data:",
        " ".join(["connect-src 'self'", *connect]),
        *([" ".join(["frame-src 'self'", *frame])] if frame else []),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors " + " ".join(FRAME_ANCESTORS),
    ])


POLICY = policy()


def register(app: Flask, cors_origins: list[str], https: bool) -> None:
    CORS(app, resources={r"/api/*": {"origins": cors_origins}},
         allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
         methods=["GET", "POST", "PUT", "PATCH", "DELETE"], supports_credentials=False,
         max_age=600)
    app.config.update(SESSION_COOKIE_SECURE=https, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", POLICY)
        if https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
