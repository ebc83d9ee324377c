"""Rentals views: deposits."""

from web.rentals import bp  # noqa: F401
