"""Test doubles (named as such): stand-ins for external services used by the tests."""
