"""Errors a service raises for input a person got wrong. `code` picks the translated message."""


class ServiceError(Exception):
    """Bad input: the caller shows `code` (translated) next to `field` and changes nothing."""

    def __init__(self, code: str, field: str | None = None, **params):
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params


class NotFound(Exception):
    """The object does not exist in the current tenant (another tenant's ids look the same)."""
