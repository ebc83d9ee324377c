"""Rentals views: imports."""

from web.rentals import bp  # noqa: F401
