"""Migrations of the sessions store (users, revoked sessions, login attempts)."""
