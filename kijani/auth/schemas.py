"""Request and response schemas of the auth and users endpoints."""

import marshmallow as ma
from marshmallow import fields, validate

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,30}$",
                           error="3 to 30 letters, digits, '_', '.' or '-'.")
# PostgreSQL text cannot hold NUL: refuse it as bad input instead of failing in the driver.
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="Must not contain NUL characters.")
CODE = validate.Regexp(r"^\d{6}$", error="The code is 6 digits.")
# The schema states what it can (length, not only digits); services add the common-password
# and not-your-username rules.
NEW_PASSWORD_RULES = [
    validate.Length(min=8, max=256, error="Password must be at least 8 (and at most 256) characters long."),
    validate.Regexp(r"[\s\S]*\D[\s\S]*", error="Password must not be only digits."),
]
PASSWORD = fields.String(required=True, load_only=True, validate=NEW_PASSWORD_RULES,
                         metadata={"example": "correct-horse-battery"})


class UserSchema(ma.Schema):
    """The signed-in user's own profile."""

    id = fields.UUID(dump_only=True)
    email = fields.Email(dump_only=True, metadata={"example": "amina@example.org"})
    username = fields.String(dump_only=True, metadata={"example": "amina"})
    role = fields.String(dump_only=True, metadata={"example": "organizer"})
    display_name = fields.String(dump_only=True, allow_none=True, metadata={"example": "Amina W."})
    bio = fields.String(dump_only=True, allow_none=True)
    email_verified = fields.Boolean(dump_only=True)
    email_notifications = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class AdminUserSchema(UserSchema):
    """A user as an admin sees it."""

    is_active = fields.Boolean(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class RegisterSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320),
                         metadata={"example": "amina@example.org"})
    username = fields.String(required=True, validate=USERNAME, metadata={"example": "amina"})
    password = PASSWORD
    role = fields.String(load_default="attendee", validate=validate.OneOf(("attendee", "organizer")),
                         metadata={"description": "attendee (default) or organizer; admin is CLI-only"})


class VerifyEmailSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    code = fields.String(required=True, validate=CODE, metadata={"example": "042317"})


class EmailSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320),
                         metadata={"example": "amina@example.org"})


class LoginSchema(ma.Schema):
    """Sign in with `email` or `username` (when both are given, email is used)."""

    email = fields.String(validate=validate.Length(min=1, max=320),
                          metadata={"example": "amina@example.org"})
    username = fields.String(validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))

    @ma.validates_schema
    def one_login(self, data, **kwargs):
        if "email" not in data and "username" not in data:
            raise ma.ValidationError("Give either email or username.", "email")


def document_login_alternatives(spec):
    """State in OpenAPI that a login body needs email or username besides the password."""
    schema = spec.components.schemas.get("Login")
    if schema is not None:
        schema["minProperties"] = 2


class AcceptedSchema(ma.Schema):
    """Answer of the endpoints that never reveal whether an account exists."""

    message = fields.String(metadata={"example": "If an account exists for this email, we have mailed it a code."})


class TokenSchema(ma.Schema):
    access_token = fields.String(metadata={"example": "eyJhbGciOiJIUzI1NiIs..."})
    refresh_token = fields.String(metadata={"example": "eyJhbGciOiJIUzI1NiIs..."})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Access token lifetime in seconds",
                                          "example": 900})


class ResetPasswordSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    code = fields.String(required=True, validate=CODE)
    new_password = fields.String(required=True, load_only=True, validate=NEW_PASSWORD_RULES,
                                 metadata={"example": "a brand new passphrase"})


class ProfileUpdateSchema(ma.Schema):
    display_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    bio = fields.String(allow_none=True, validate=validate.Length(max=2000))
    email_notifications = fields.Boolean()
    password = fields.String(load_only=True, validate=NEW_PASSWORD_RULES)
    current_password = fields.String(load_only=True, validate=validate.Length(max=256))

    @ma.validates_schema
    def password_needs_current(self, data, **kwargs):
        if "password" in data and not data.get("current_password"):
            raise ma.ValidationError("Give current_password to change the password.",
                                     "current_password")


class AdminUserUpdateSchema(ma.Schema):
    role = fields.String(validate=validate.OneOf(("attendee", "organizer", "admin")))
    is_active = fields.Boolean()


class UserQueryArgsSchema(ma.Schema):
    q = fields.String(validate=[validate.Length(max=100), NO_NUL],
                      metadata={"description": "Search in email, username and display name"})
    role = fields.String(validate=validate.OneOf(("attendee", "organizer", "admin")))
