"""Auth and user-management endpoints: parse, call auth.services, return."""

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from kijani.auth import services
from kijani.auth.schemas import (
    AcceptedSchema,
    AdminUserSchema,
    AdminUserUpdateSchema,
    EmailSchema,
    LoginSchema,
    ProfileUpdateSchema,
    RegisterSchema,
    ResetPasswordSchema,
    TokenSchema,
    UserQueryArgsSchema,
    UserSchema,
    VerifyEmailSchema,
)
from kijani.common.api import Blueprint, paginate
from kijani.extensions import limiter

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Sign-up, email verification, sign-in, tokens and your profile.")
MAILED_IF_EXISTS = "If an account exists for this email, we have mailed it a code."

users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users",
                      description="User management (admin only).")


def _account_key():
    """The account a request names (email or username in the body), if any."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        for field in ("email", "username"):
            value = body.get(field)
            if isinstance(value, str) and value.strip():
                return "account:" + value.strip().lower()
    return None


def rate_limited(failures_only=False):
    """Per-IP and per-account limits (SPEC: login, sign-up, verification, reset)."""
    per_ip = limiter.limit(lambda: current_app.config["KIJANI_RATELIMIT_AUTH_IP"])
    per_account = limiter.limit(
        lambda: current_app.config["KIJANI_RATELIMIT_AUTH_ACCOUNT"],
        key_func=lambda: _account_key() or "account:-",
        exempt_when=lambda: _account_key() is None,
        deduct_when=(lambda response: response.status_code in (401, 403)) if failures_only else None,
    )

    def decorator(func):
        return blp.document_errors(429)(per_ip(per_account(func)))

    return decorator


@blp.route("/register", methods=["POST"])
@rate_limited()
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
@blp.document_errors(409)
def register(data):
    """Create an account (attendee or organizer); a verification code is mailed."""
    return services.register_user(**data)


@blp.route("/verify-email", methods=["POST"])
@rate_limited()
@blp.arguments(VerifyEmailSchema)
@blp.response(204)
def verify_email(data):
    """Confirm the email address with the 6-digit code (15 minutes, 5 attempts)."""
    services.verify_email(data["email"], data["code"])


@blp.route("/resend-verification", methods=["POST"])
@rate_limited()
@blp.arguments(EmailSchema)
@blp.response(202, AcceptedSchema)
def resend_verification(data):
    """Mail a new verification code; 202 whether or not the account exists."""
    services.resend_verification(data["email"])
    return {"message": MAILED_IF_EXISTS}


@blp.route("/login", methods=["POST"])
@rate_limited(failures_only=True)
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@blp.document_errors(401, 403)
def login(data):
    """Sign in with email or username and password; returns an access and a refresh token."""
    return services.login(data.get("email") or data.get("username"), data["password"])


@blp.route("/refresh", methods=["POST"])
@blp.auth_required(refresh=True)
@blp.response(200, TokenSchema)
def refresh():
    """Exchange the refresh token (as Bearer) for a new pair; the old one is revoked."""
    return services.rotate_refresh_token(current_user, get_jwt())


@blp.route("/logout", methods=["POST"])
@blp.auth_required()
@blp.response(204)
def logout():
    """Revoke this access token and its refresh-token family."""
    services.logout(get_jwt())


@blp.route("/password/forgot", methods=["POST"])
@rate_limited()
@blp.arguments(EmailSchema)
@blp.response(202, AcceptedSchema)
def forgot_password(data):
    """Mail a password-reset code; 202 whether or not the account exists."""
    services.forgot_password(data["email"])
    return {"message": MAILED_IF_EXISTS}


@blp.route("/password/reset", methods=["POST"])
@rate_limited()
@blp.arguments(ResetPasswordSchema)
@blp.response(204)
def reset_password(data):
    """Set a new password with the mailed code; every token of the account is revoked."""
    services.reset_password(data["email"], data["code"], data["new_password"])


@blp.route("/me")
class Me(MethodView):
    @blp.auth_required()
    @blp.etag
    @blp.response(200, UserSchema)
    def get(self):
        """Your own profile."""
        return current_user

    @blp.auth_required()
    @blp.arguments(ProfileUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data):
        """Edit display name, bio, email notifications, or the password (with current_password)."""
        return services.update_profile(current_user, data)

    @blp.auth_required()
    @blp.response(204)
    @blp.document_errors(409)
    def delete(self):
        """Delete your account (your events must be cancelled or handed over first)."""
        services.delete_account(current_user)


@users_blp.route("")
class Users(MethodView):
    @users_blp.auth_required("admin")
    @users_blp.etag
    @users_blp.arguments(UserQueryArgsSchema, location="query")
    @users_blp.response(200, AdminUserSchema(many=True))
    @users_blp.paginate()
    def get(self, args, pagination_parameters):
        """List users, with search (`q`) and role filter."""
        return paginate(services.users_query(**args), pagination_parameters)


@users_blp.route("/<uuid:user_id>")
class UserById(MethodView):
    @users_blp.auth_required("admin")
    @users_blp.etag
    @users_blp.response(200, AdminUserSchema)
    @users_blp.document_errors(404)
    def get(self, user_id):
        """One user."""
        return services.get_user(user_id)

    @users_blp.auth_required("admin")
    @users_blp.arguments(AdminUserUpdateSchema)
    @users_blp.response(200, AdminUserSchema)
    @users_blp.document_errors(404, 409)
    def patch(self, data, user_id):
        """Change a user's role or (de)activate the account."""
        return services.admin_update_user(current_user, services.get_user(user_id), data)

    @users_blp.auth_required("admin")
    @users_blp.response(204)
    @users_blp.document_errors(404, 409)
    def delete(self, user_id):
        """Deactivate a user: sign-in refused, every token revoked (the data is kept)."""
        services.admin_update_user(current_user, services.get_user(user_id), {"is_active": False})
