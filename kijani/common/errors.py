"""Domain errors raised by services; the app renders them in the standard error shape."""


class ServiceError(Exception):
    """A rule of the domain refused the operation."""

    code = 400

    def __init__(self, message, errors=None, headers=None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers


class Unauthorized(ServiceError):
    code = 401


class Forbidden(ServiceError):
    code = 403


class NotFound(ServiceError):
    code = 404


class Conflict(ServiceError):
    code = 409


class Invalid(ServiceError):
    """Validation failure; `fields` maps field names to messages (422)."""

    code = 422

    def __init__(self, message, fields=None, location="json"):
        errors = None
        if fields:
            errors = {location: {k: v if isinstance(v, list) else [v] for k, v in fields.items()}}
        super().__init__(message, errors)
