"""TOTP two-factor sign-in, the service (tenants/services/platform/two_factor.py): enrolment,
codes used once (issue 14: "a TOTP code used twice is refused"), recovery codes, and who must
use it (every member of a law firm)."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from tenants.services.errors import ServiceError

NOW = 1_800_000_000.0  # a fixed instant: the step is NOW // 30


@pytest.fixture
def user(ctx, create_user):
    from tenants import db
    from tenants.models import User

    return db.session.get(User, create_user(email="ana@example.com"))


def enrolled(user, at=NOW) -> tuple[pyotp.TOTP, list[str]]:
    from tenants.services.platform import two_factor

    totp = pyotp.TOTP(two_factor.start_enrolment(user))
    codes = two_factor.confirm_enrolment(user, totp.at(at), at=at)
    return totp, codes


def refused(code_expected: str, call, *args, **kwargs) -> None:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code_expected


def test_the_secret_is_not_in_force_until_a_right_code_confirms_it(user):
    from tenants.services.platform import two_factor

    secret = two_factor.start_enrolment(user)
    assert len(secret) == 32 and pyotp.TOTP(secret).now().isdigit()
    uri = urlsplit(two_factor.provisioning_uri(user))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/Amparo:ana@example.com"
    assert parse_qs(uri.query)["secret"] == [secret]
    assert parse_qs(uri.query)["issuer"] == ["Amparo"]
    assert not two_factor.is_enabled(user) and not two_factor.requires_two_factor(user)

    window = {pyotp.TOTP(secret).at(NOW + d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in window)
    refused("two_factor_code_wrong", two_factor.confirm_enrolment, user, wrong, at=NOW)
    refused("two_factor_code_format", two_factor.confirm_enrolment, user, "12ab56", at=NOW)
    assert user.totp_enabled_at is None

    codes = two_factor.confirm_enrolment(user, pyotp.TOTP(secret).at(NOW), at=NOW)
    assert two_factor.is_enabled(user) and two_factor.requires_two_factor(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    refused("two_factor_already_on", two_factor.start_enrolment, user)


def test_a_code_is_accepted_once_even_within_its_30_seconds(user):
    from tenants.services.platform import two_factor

    totp, _codes = enrolled(user, at=NOW - 90)
    assert two_factor.verify(user, totp.at(NOW), at=NOW) == "totp"
    # The same code again, a second later (same step): refused.
    refused("two_factor_code_used", two_factor.verify, user, totp.at(NOW), at=NOW + 1)
    # The previous step's code is still inside the window but older than the one used.
    refused("two_factor_code_used", two_factor.verify, user, totp.at(NOW - 30), at=NOW + 1)
    # The next code, when the app shows it, works.
    assert two_factor.verify(user, totp.at(NOW + 30), at=NOW + 30) == "totp"
    assert user.totp_last_step == totp.timecode(NOW + 30)


def test_the_enrolment_code_cannot_sign_in_again(user):
    from tenants.services.platform import two_factor

    totp, _codes = enrolled(user, at=NOW)
    refused("two_factor_code_used", two_factor.verify, user, totp.at(NOW), at=NOW + 5)


def test_a_phone_clock_one_step_off_still_signs_in_but_not_two(user):
    from tenants.services.platform import two_factor

    totp, _codes = enrolled(user, at=NOW - 300)
    refused("two_factor_code_wrong", two_factor.verify, user, totp.at(NOW - 60), at=NOW)
    refused("two_factor_code_wrong", two_factor.verify, user, totp.at(NOW + 60), at=NOW)
    assert two_factor.verify(user, totp.at(NOW + 30), at=NOW) == "totp"  # a phone ahead


def test_each_recovery_code_signs_in_once_and_only_its_hash_is_kept(user, rows):
    from tenants import db
    from tenants.services.platform import two_factor

    _totp, codes = enrolled(user)
    db.session.commit()
    stored = {r["code_hash"] for r in rows("SELECT code_hash FROM recovery_codes")}
    plain = {c.replace("-", "") for c in codes}
    assert stored == {hashlib.sha256(c.encode()).hexdigest() for c in plain}
    assert not plain & stored

    # Typed as printed, in capitals, with spaces: it is the same code.
    assert two_factor.verify(user, f"  {codes[3].upper()} ") == "recovery"
    refused("recovery_code_wrong", two_factor.verify, user, codes[3])
    refused("recovery_code_wrong", two_factor.verify, user, "abcde-fghjk")
    assert two_factor.recovery_codes_left(user) == 9
    assert two_factor.verify(user, codes[4].replace("-", "")) == "recovery"
    assert two_factor.recovery_codes_left(user) == 8


def test_new_recovery_codes_replace_the_old_ones_after_a_code_from_the_app(user):
    from tenants.services.platform import two_factor

    totp, old = enrolled(user, at=NOW - 60)
    refused(
        "two_factor_code_used",
        two_factor.regenerate_recovery_codes,
        user,
        totp.at(NOW - 60),
        at=NOW - 50,
    )
    new = two_factor.regenerate_recovery_codes(user, totp.at(NOW), at=NOW)
    assert not set(new) & set(old)
    refused("recovery_code_wrong", two_factor.verify, user, old[0])
    assert two_factor.verify(user, new[0]) == "recovery"
    assert two_factor.recovery_codes_left(user) == 9


def test_members_of_a_law_firm_must_use_it_and_cannot_turn_it_off(ctx, create_workspace):
    from tenants import db
    from tenants.models import User
    from tenants.services.platform import two_factor

    create_workspace(name="Pisos Ana", kind="landlord", owner_email="ana@example.com")
    create_workspace(name="Bufete Gil", kind="law_firm", owner_email="gil@example.com")
    ana = db.session.scalar(select(User).where(User.email == "ana@example.com"))
    gil = db.session.scalar(select(User).where(User.email == "gil@example.com"))
    assert not two_factor.requires_two_factor(ana)
    assert two_factor.requires_two_factor(gil) and not two_factor.is_enabled(gil)

    totp, _codes = enrolled(gil, at=NOW - 30)
    refused("two_factor_required_law_firm", two_factor.turn_off, gil, totp.at(NOW), at=NOW)
    assert two_factor.is_enabled(gil)

    # Someone else may turn it off, with a code that proves it is them.
    totp, _codes = enrolled(ana, at=NOW - 30)
    refused("two_factor_code_used", two_factor.turn_off, ana, totp.at(NOW - 30), at=NOW - 29)
    two_factor.turn_off(ana, totp.at(NOW), at=NOW)
    assert not two_factor.is_enabled(ana) and ana.totp_secret is None
    assert two_factor.recovery_codes_left(ana) == 0


def test_a_code_for_someone_without_two_factor_is_refused(user):
    from tenants.services.platform import two_factor

    refused("two_factor_not_on", two_factor.verify, user, "123456")
    two_factor.start_enrolment(user)  # started, never confirmed: not in force
    refused("two_factor_not_on", two_factor.verify, user, two_factor.current_code(user))


def test_the_current_code_is_what_an_authenticator_app_shows(user):
    from tenants.services.platform import two_factor

    two_factor.enrol_with_secret(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert two_factor.current_code(user) == pyotp.TOTP(user.totp_secret).at(time.time())
    # Enrolling with a fixed secret uses up no step: the code shown now still signs in.
    assert two_factor.verify(user, two_factor.current_code(user)) == "totp"
