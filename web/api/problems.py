"""RFC 9457 problem details, and the strict parsing of JSON request bodies."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

from flask import jsonify, request

from tenants.services.errors import ServiceError
from tenants.services.values import check_day, parse_money
from tenants.text import breaks_lines
from web.messages import message_for

PROBLEM_BASE = "https://amparo.es/problems/"
MAX_ID = 2**31 - 1
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MONEY_RE = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?", re.ASCII)


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str, errors: list | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors


def problem(status: int, title: str, detail: str, *, errors: list | None = None, kind=None):
    body = {
        "type": PROBLEM_BASE + (kind or str(status)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def invalid(field: str | None, code: str, message: str) -> ApiError:
    return ApiError(
        422,
        "Validation failed",
        message,
        errors=[{"field": field or "", "code": code, "message": message}],
    )


def service_problem(exc: ServiceError):
    message = message_for(exc)
    return problem(
        422,
        "Validation failed",
        message,
        errors=[{"field": exc.field or "", "code": exc.code, "message": message}],
        kind="validation",
    )


def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON")


def json_body(allowed: set[str]) -> dict:
    """The request body as a JSON object with only `allowed` keys, or a 400/422 problem."""
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Malformed JSON", "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "Malformed JSON", "The request body must be a JSON object.")
    unknown = sorted(set(data) - allowed)
    if unknown:
        errors = [
            {"field": key[:100], "code": "unknown_field", "message": "Unknown field."}
            for key in unknown
        ]
        raise ApiError(422, "Validation failed", "The body has unknown fields.", errors=errors)
    return data


# --- typed values (field names are the API's) ---------------------------------------------------


def text(
    data: dict, field: str, max_length: int, *, nullable: bool = True, one_line: bool = False
) -> str | None:
    """A string field. `one_line` for names, which reach mail headers (tenants/text.py)."""
    value = data.get(field)
    if value is None:
        if not nullable:
            raise invalid(field, "required", "This field is required.")
        return None
    if not isinstance(value, str):
        raise invalid(field, "type", "Must be a string.")
    if len(value) > max_length:
        raise invalid(field, "too_long", f"At most {max_length} characters.")
    if "\x00" in value:
        raise invalid(field, "invalid_character", "Contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") is valid JSON, not text
        raise invalid(field, "invalid_character", "Not valid Unicode text.") from exc
    if one_line and breaks_lines(value):
        raise invalid(field, "invalid_character", "Must be one line: no line breaks or tabs.")
    return value


def boolean(data: dict, field: str) -> bool:
    value = data.get(field)
    if not isinstance(value, bool):
        raise invalid(field, "type", "Must be true or false.")
    return value


def integer_id(data: dict, field: str) -> int:
    value = data.get(field)
    if value is None:
        raise invalid(field, "required", "This field is required.")
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, "type", "Must be an integer.")
    if not 1 <= value <= MAX_ID:
        raise invalid(field, "not_found", "No such object in this workspace.")
    return value


def _refused(exc: ServiceError) -> ApiError:
    return invalid(exc.field, exc.code, message_for(exc))


def iso_date(value, field: str) -> date:
    """A day as "YYYY-MM-DD" (ASCII digits) within the services' bounds (values.check_day)."""
    if value is None:
        raise invalid(field, "required", "This field is required.")
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        raise invalid(field, "date_invalid", "Must be a date as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise invalid(field, "date_invalid", "Must be a date as YYYY-MM-DD.") from exc
    try:
        return check_day(day, field)
    except ServiceError as exc:
        raise _refused(exc) from None


def money_value(value, field: str, *, nullable: bool = False) -> Decimal | None:
    """A non-negative amount as a string "1210.00" (or a JSON number) of at most 2 decimals,
    read by the services' parser (values.parse_money) with its bound and codes."""
    if value is None:
        if nullable:
            return None
        raise invalid(field, "required", "This field is required.")
    if isinstance(value, bool):
        raise invalid(field, "type", 'Must be an amount such as "1210.00".')
    if isinstance(value, str) and not MONEY_RE.fullmatch(value):
        raise invalid(field, "amount_invalid", 'Must be an amount such as "1210.00".')
    if not isinstance(value, str | int | Decimal):
        raise invalid(field, "type", 'Must be an amount such as "1210.00".')
    try:
        return parse_money(value, field, allow_zero=True)
    except ServiceError as exc:
        raise _refused(exc) from None


def money_out(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def path_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        from tenants.services.errors import NotFound

        raise NotFound(value)
    return value
