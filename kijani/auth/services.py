"""Account rules: sign-up, verification, sign-in, token rotation, profile and admin changes."""

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from blinker import Namespace
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from kijani.auth.models import OneTimeCode, RefreshToken, TokenFamily, User
from kijani.auth.passwords import hash_password, password_problems, verify_password
from kijani.common.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from kijani.common.models import utcnow
from kijani.extensions import db
from kijani.mail.services import queue_email

signals = Namespace()
#: sent before an account is deleted; a receiver raises Conflict to refuse (e.g. live events)
account_deleting = signals.signal("account-deleting")

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"
BAD_CREDENTIALS = "Invalid email/username or password."
BAD_CODE = "Invalid or expired code: request a new one."


# --- sign-up and one-time codes -------------------------------------------------------

def check_new_password(password, email=None, username=None, field="password"):
    """Raise Invalid (422) when a new password breaks the strength rule."""
    problems = password_problems(password, email, username)
    if problems:
        raise Invalid("Password is too weak.", {field: problems})


def register_user(email, username, password, role="attendee", send_code=True):
    """Create an account and mail its verification code; 409 on a taken email/username."""
    email, username = email.strip().lower(), username.strip().lower()
    check_new_password(password, email, username)
    _ensure_unique(email, username)
    user = User(email=email, username=username, password_hash=hash_password(password), role=role)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent sign-up won the race
        db.session.rollback()
        raise Conflict("An account with this email or username already exists.") from None
    if send_code:
        _send_code(user, VERIFY_EMAIL)
    db.session.commit()
    return user


def _ensure_unique(email, username):
    taken = db.session.execute(
        select(User.email, User.username).where(or_(User.email == email, User.username == username))
    ).all()
    fields = {}
    for row in taken:
        if row.email == email:
            fields["email"] = ["This email is already registered."]
        if row.username == username:
            fields["username"] = ["This username is taken."]
    if fields:
        raise Conflict("An account with this email or username already exists.", {"json": fields})


def _hash_code(code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def _send_code(user, purpose):
    """Replace any live code of `purpose` with a new one and mail it."""
    now = utcnow()
    db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = current_app.config["KIJANI_CODE_TTL_MINUTES"]
    db.session.add(OneTimeCode(user_id=user.id, purpose=purpose, code_hash=_hash_code(code),
                               expires_at=now + timedelta(minutes=ttl)))
    if purpose == VERIFY_EMAIL:
        queue_email(user.email, "Your Kijani verification code", "verify_email",
                    user=user, code=code, minutes=ttl)
    else:
        queue_email(user.email, "Reset your Kijani password", "password_reset",
                    user=user, code=code, minutes=ttl)
    return code


def _consume_code(email, code, purpose):
    """Return the user whose live `purpose` code matches; count a wrong guess otherwise."""
    user = find_user_by_email(email)
    record = None
    if user is not None:
        record = db.session.scalars(
            select(OneTimeCode)
            .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose,
                   OneTimeCode.used_at.is_(None), OneTimeCode.expires_at > utcnow())
            .order_by(OneTimeCode.created_at.desc())
            .limit(1)
            .with_for_update()
        ).first()
    if record is None:
        raise Invalid(BAD_CODE, {"code": BAD_CODE})
    # Count the attempt before judging it, atomically: parallel guesses cannot outrun the limit.
    counted = db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == record.id,
               OneTimeCode.attempts < current_app.config["KIJANI_CODE_MAX_ATTEMPTS"])
        .values(attempts=OneTimeCode.attempts + 1)
    ).rowcount
    if counted != 1:
        db.session.rollback()
        raise Invalid(BAD_CODE, {"code": "Too many attempts: request a new code."})
    if not hmac.compare_digest(record.code_hash, _hash_code(code)):
        db.session.commit()
        raise Invalid(BAD_CODE, {"code": BAD_CODE})
    record.used_at = utcnow()
    return user


def verify_email(email, code):
    """Mark the account's email verified when the code is right."""
    user = _consume_code(email, code, VERIFY_EMAIL)
    user.email_verified = True
    db.session.commit()
    return user


def resend_verification(email):
    """Mail a fresh code to an unverified account; silently nothing otherwise."""
    user = find_user_by_email(email)
    if user is not None and not user.email_verified and user.is_active:
        _send_code(user, VERIFY_EMAIL)
        db.session.commit()


def forgot_password(email):
    """Mail a reset code when the account exists; silently nothing otherwise."""
    user = find_user_by_email(email)
    if user is not None and user.is_active:
        _send_code(user, PASSWORD_RESET)
        db.session.commit()


def reset_password(email, code, new_password):
    """Set a new password from a reset code and revoke every token of the account."""
    # The code first: judging the password of an unknown account would reveal it exists.
    user = _consume_code(email, code, PASSWORD_RESET)
    check_new_password(new_password, user.email, user.username, field="new_password")
    user.password_hash = hash_password(new_password)
    # Receiving the code proves control of the mailbox.
    user.email_verified = True
    revoke_all_tokens(user, "password_reset")
    db.session.commit()


def find_user_by_email(email):
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


# --- sign-in and tokens ---------------------------------------------------------------

def authenticate(login, password):
    """Return the active user for email-or-username and password; 401 or 403 otherwise."""
    login = login.strip().lower()
    user = db.session.scalars(
        select(User).where(or_(User.email == login, User.username == login))
    ).first()
    if not verify_password(user.password_hash if user else None, password) or not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS)
    if current_app.config["KIJANI_REQUIRE_EMAIL_VERIFICATION"] and not user.email_verified:
        raise Forbidden("Email address not verified: enter the code we mailed you "
                        "(POST /api/v1/auth/verify-email) or ask for a new one.")
    return user


def issue_tokens(user, family=None):
    """Create an access and a refresh token in `family` (a new sign-in when None)."""
    if family is None:
        family = TokenFamily(user_id=user.id)
        db.session.add(family)
        db.session.flush()
    claims = {"fam": str(family.id)}
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    refresh = create_refresh_token(identity=str(user.id), additional_claims=claims)
    decoded = decode_token(refresh)
    db.session.add(RefreshToken(jti=decoded["jti"], family_id=family.id,
                                expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]))
    db.session.commit()
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def login(login_name, password):
    """Authenticate and start a new token family."""
    return issue_tokens(authenticate(login_name, password))


def rotate_refresh_token(user, jwt_payload):
    """Exchange a refresh token for a new pair; a reused one revokes its whole family."""
    family = db.session.get(TokenFamily, uuid.UUID(jwt_payload["fam"]))
    # Atomic: of two concurrent uses of one token, exactly one wins.
    used = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == jwt_payload["jti"], RefreshToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if used != 1:
        family.revoked_at, family.revoked_reason = utcnow(), "refresh_reuse"
        db.session.commit()
        raise Unauthorized("Refresh token already used: this sign-in has been revoked, "
                           "sign in again.")
    return issue_tokens(user, family)


def is_token_revoked(jwt_payload):
    """True when the token's family is unknown or revoked (logout, reset, reuse)."""
    try:
        family_id = uuid.UUID(jwt_payload["fam"])
    except (KeyError, ValueError, TypeError):
        return True
    family = db.session.get(TokenFamily, family_id)
    return family is None or family.revoked_at is not None


def load_user(jwt_payload):
    """Return the active user a token names, or None."""
    try:
        user = db.session.get(User, uuid.UUID(jwt_payload["sub"]))
    except (KeyError, ValueError, TypeError):
        return None
    return user if user is not None and user.is_active else None


def logout(jwt_payload):
    """Revoke the family of the presented access token (its refresh tokens with it)."""
    family = db.session.get(TokenFamily, uuid.UUID(jwt_payload["fam"]))
    if family is not None and family.revoked_at is None:
        family.revoked_at, family.revoked_reason = utcnow(), "logout"
    db.session.commit()


def revoke_all_tokens(user, reason):
    db.session.execute(
        update(TokenFamily)
        .where(TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


# --- profile ------------------------------------------------------------------------------

def update_profile(user, changes):
    """Apply profile edits; a password change needs the current password."""
    if "password" in changes:
        if not verify_password(user.password_hash, changes.pop("current_password", None) or ""):
            raise Invalid("Current password is wrong.", {"current_password": "Wrong password."})
        new = changes.pop("password")
        check_new_password(new, user.email, user.username)
        user.password_hash = hash_password(new)
    elif "current_password" in changes:
        changes.pop("current_password")
    for field, value in changes.items():
        setattr(user, field, value)
    db.session.commit()
    return user


def delete_account(user):
    """Delete an account unless another domain objects (409)."""
    account_deleting.send(current_app._get_current_object(), user=user)
    db.session.delete(user)
    db.session.commit()


# --- administration -------------------------------------------------------------------

def users_query(q=None, role=None):
    stmt = select(User).order_by(User.created_at, User.id)
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(User.email.like(pattern), User.username.like(pattern),
                              func.lower(User.display_name).like(pattern)))
    if role:
        stmt = stmt.where(User.role == role)
    return stmt


def get_user(user_id):
    return db.session.get(User, user_id) or _not_found()


def _not_found():
    raise NotFound("User not found.")


def admin_update_user(admin, user, changes):
    """Change a user's role or active flag; the last active admin cannot be removed."""
    demoting = changes.get("role", user.role) != "admin" or changes.get("is_active", True) is False
    if user.role == "admin" and user.is_active and demoting and _active_admins() <= 1:
        raise Conflict("This is the last active admin: promote another user first.")
    for field, value in changes.items():
        setattr(user, field, value)
    if changes.get("is_active") is False:
        revoke_all_tokens(user, "deactivated")
    db.session.commit()
    return user


def _active_admins():
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.is_active)
    )


def create_admin(email, username, password):
    """Create an admin account (CLI); verified, since an operator vouches for it."""
    user = register_user(email, username, password, send_code=False)
    user.role, user.email_verified = "admin", True
    db.session.commit()
    return user
