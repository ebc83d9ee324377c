"""Rentals views: bank."""

from web.rentals import bp  # noqa: F401
