from flask import Blueprint

bp = Blueprint("auth", __name__)

from web.auth import two_factor, views  # noqa: E402, F401 - routes register on bp
