"""One JSON error shape for the whole app, including JWT failures and crashes."""

import logging

from flask import jsonify
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from kijani.common.errors import ServiceError
from kijani.extensions import jwt

log = logging.getLogger(__name__)

DEFAULT_MESSAGES = {
    400: "The request could not be understood (malformed JSON or parameters).",
    401: "Authentication required: send a valid access token.",
    403: "You are not allowed to do this.",
    404: "Resource not found.",
    405: "Method not allowed on this resource.",
    409: "The request conflicts with the current state of the resource.",
    413: "Request body too large (the limit is 1 MiB).",
    415: "Unsupported media type: send application/json.",
    422: "The request was well-formed but failed validation.",
    429: "Too many requests: retry after the number of seconds in Retry-After.",
    500: "Internal server error.",
    503: "Service unavailable.",
}


def error_response(code, message=None, errors=None, headers=None):
    """Build the standard error response `{code, status, message, errors?}`."""
    payload = {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Error"),
        "message": message or DEFAULT_MESSAGES.get(code, HTTP_STATUS_CODES.get(code, "Error")),
    }
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error):
    """Render any HTTPException (abort, routing, webargs, limiter) in the standard shape."""
    if error.code is None or 300 <= error.code < 400:
        return error
    data = getattr(error, "data", None) or {}
    message = data.get("message")
    if not message and error.description != type(error).description:
        message = error.description
    errors = data.get("errors") or data.get("messages")
    if error.code == 429:
        limit = f" (limit: {message})" if message else ""
        message = f"Too many requests{limit}: retry after the number of seconds in Retry-After."
    if error.code == 400 and errors and "json" in errors and "Invalid JSON body." in str(errors):
        message = "Malformed JSON in the request body."
    # Keep protocol headers such as Allow (405) and Retry-After; the body is ours.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if error.code == 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("Unhandled exception", exc_info=original)
        message = None  # never leak internals
    return error_response(error.code, message, errors, headers)


def handle_unexpected_exception(error):
    """Log a crash and answer 500 without a stack trace."""
    log.error("Unhandled exception", exc_info=error)
    return error_response(500)


def _jwt_401(message):
    return error_response(401, message, headers={"WWW-Authenticate": "Bearer"})


def register_error_handlers(app):
    """Register the JSON error handlers and flask-jwt-extended's failure callbacks."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected_exception)
    app.register_error_handler(ServiceError, handle_service_error)

    jwt.unauthorized_loader(
        lambda reason: _jwt_401("Missing access token: send 'Authorization: Bearer <token>'.")
    )
    jwt.invalid_token_loader(lambda reason: _jwt_401(f"Invalid token: {reason}"))
    jwt.expired_token_loader(lambda header, payload: _jwt_401("Token has expired."))
    jwt.revoked_token_loader(lambda header, payload: _jwt_401("Token has been revoked."))
    jwt.needs_fresh_token_loader(lambda header, payload: _jwt_401("A fresh token is required."))
    jwt.user_lookup_error_loader(lambda header, payload: _jwt_401("Account not found or deactivated."))
    jwt.token_verification_failed_loader(lambda header, payload: _jwt_401("Token claims are invalid."))


def handle_service_error(error):
    """Render a domain rule's refusal."""
    return error_response(error.code, error.message, error.errors, error.headers)
