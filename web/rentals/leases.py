"""Rentals views: leases."""

from web.rentals import bp  # noqa: F401
