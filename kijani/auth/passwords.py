"""Password hashing (argon2id) and the strength rule of SPEC."""

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher():
    config = current_app.config
    return PasswordHasher(
        time_cost=config["KIJANI_ARGON2_TIME_COST"],
        memory_cost=config["KIJANI_ARGON2_MEMORY_KIB"],
        parallelism=config["KIJANI_ARGON2_PARALLELISM"],
    )


def hash_password(password):
    """Hash a password with argon2id at the configured cost."""
    return _hasher().hash(password)


def verify_password(password_hash, password):
    """True when `password` matches; a None hash burns the same work and fails."""
    if password_hash is None:
        # An unknown account costs as much as a wrong password: no timing oracle.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords():
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problems(password, email=None, username=None):
    """List what is wrong with a new password (empty when it is acceptable)."""
    problems = []
    lowered = password.lower()
    if len(password) < 8:
        problems.append("Password must be at least 8 characters long.")
    if password.isdigit():
        problems.append("Password must not be only digits.")
    if lowered in _common_passwords():
        problems.append("Password is too common.")
    others = {(email or "").lower(), (username or "").lower(), (email or "").lower().split("@")[0]}
    if lowered in others - {""}:
        problems.append("Password must not be your email or username.")
    return problems
