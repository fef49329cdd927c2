"""Accounts, sign-in, tokens and user management."""
