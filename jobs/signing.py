"""The signing certificate of this deployment, from the settings (letters/signing.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from letters.signing import Identity


def identity() -> Identity:
    """AMPARO_SIGNING_CERT / AMPARO_SIGNING_KEY (/ AMPARO_SIGNING_KEY_PASSWORD), or, outside
    production, the development certificate under SIGNING_DEV_DIR (made at first use)."""
    from letters import signing  # pyHanko loads only in the workers that sign

    config = current_app.config
    return signing.identity_from_settings(
        config.get("SIGNING_CERT") or None,
        config.get("SIGNING_KEY") or None,
        config.get("SIGNING_KEY_PASSWORD") or None,
        development_dir=config["SIGNING_DEV_DIR"],
        production=config["ENV"] == "production",
    )
