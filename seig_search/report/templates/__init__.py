"""Jinja templates of the report (package data)."""
