"""Migrations of the toy service."""
