"""Rentals views: parties."""

from web.rentals import bp  # noqa: F401
