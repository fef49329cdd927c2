"""Ticket codes: random, unguessable, easy to read aloud and to type."""

import secrets

#: 32 symbols (5 bits each) without the look-alikes 0/O and 1/I
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GROUPS, GROUP_SIZE = 2, 4  # 8 symbols: 40 random bits


def new_ticket_code():
    """A code like KJ-7F3K-9QXA with 40 bits from the OS's CSPRNG."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS))
    return "KJ-" + "-".join(groups)


def normalize_ticket_code(raw):
    """Accept what a person types: any case, spaces or missing dashes."""
    compact = "".join(ch for ch in raw.upper() if ch.isalnum())
    if compact.startswith("KJ"):
        compact = compact[2:]
    if len(compact) != GROUPS * GROUP_SIZE or not set(compact) <= set(ALPHABET):
        return None
    return "KJ-" + "-".join(compact[i:i + GROUP_SIZE] for i in range(0, len(compact), GROUP_SIZE))
