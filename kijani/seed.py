"""Demo data for `flask seed`: idempotent, realistic, and fast enough for large runs."""

from sqlalchemy import select

from kijani.auth.models import User
from kijani.auth.passwords import hash_password
from kijani.extensions import db

DEMO_PASSWORD = "kijani-demo-2026"

DEMO_USERS = [
    ("admin@kijani.example", "admin", "admin", "Kijani Admin"),
    ("wanjiru@kijani.example", "wanjiru", "organizer", "Wanjiru Kamau (Nairobi Python)"),
    ("kwame@kijani.example", "kwame", "organizer", "Kwame Mensah (Accra Makers)"),
    ("aisha@kijani.example", "aisha", "organizer", "Aisha Bello (Lagos Women in Tech)"),
    ("tendai@kijani.example", "tendai", "attendee", "Tendai Moyo"),
    ("fatuma@kijani.example", "fatuma", "attendee", "Fatuma Hassan"),
    ("kofi@kijani.example", "kofi", "attendee", "Kofi Asante"),
    ("zawadi@kijani.example", "zawadi", "attendee", "Zawadi Njeri"),
]


def seed_users():
    """Create the demo users that do not exist yet; return how many were created."""
    existing = set(db.session.scalars(select(User.username)))
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: seeding stays fast
    created = 0
    for email, username, role, display_name in DEMO_USERS:
        if username in existing:
            continue
        db.session.add(User(email=email, username=username, role=role, display_name=display_name,
                            password_hash=password_hash, email_verified=True))
        created += 1
    db.session.commit()
    return created
