"""Security headers on every response, with a strict Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' {stripe}",
        "frame-ancestors 'none'",
    ]
)
# Stripe's hosted pages our forms send people to (Checkout, Connect onboarding, the Customer
# Portal): `form-action` also holds the redirect a form's answer makes, so without them the
# browser stops «Pagar con tarjeta» on our own page.
STRIPE_PAGES = "https://checkout.stripe.com https://connect.stripe.com https://billing.stripe.com"


def _stripe_pages(api_base: str) -> str:
    """Where Stripe's hosted pages are: Stripe's hosts, or a fake's origin (tests)."""
    parts = urlsplit(api_base or "")
    if not parts.netloc or parts.netloc == "api.stripe.com":
        return STRIPE_PAGES
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app) -> None:
    csp = CSP.format(stripe=_stripe_pages(app.config.get("STRIPE_API_BASE", "")))

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
