"""TOTP for the admin: enrolment, the login's second factor, replay, throttling,
recovery codes, the setting that requires it, and the audit records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchange.accounts.errors import TwoFactorError, TwoFactorErrorCode
from exchange.accounts.models import User
from exchange.accounts.two_factor import check_second_factor, two_factor_enrolled
from exchange.audit.models import AuditAction, AuditRecord
from tests.two_factor import enrol, totp_code, wrong_code

PASSWORD = "operator pass phrase"
LOGIN = "/admin/login/"


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser(email="ops@example.com", password=PASSWORD)


def login(client: Client, code: str | None = None, email: str = "ops@example.com"):
    data = {"username": email, "password": PASSWORD, "next": "/admin/"}
    if code is not None:
        data["otp_token"] = code
    return client.post(LOGIN, data)


def errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def test_enrolment_shows_a_local_qr_code_and_confirms_with_a_code(staff):
    client = Client()
    assert login(client).status_code == 302  # not enrolled: the password is enough
    # given the enrolment page
    page = client.get(reverse("admin:two_factor"))
    html = page.content.decode()
    assert "<svg" in html and page.context["secret"] in html
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    # when a wrong code is sent, nothing is turned on
    wrong = client.post(reverse("admin:two_factor"), {"code": "000000"})
    assert "That code is not valid." in wrong.content.decode()
    assert not two_factor_enrolled(staff)
    # when the app's code is sent (after the throttle of the wrong one)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    done = client.post(reverse("admin:two_factor"), {"code": totp_code(device)})
    # then it is on, ten recovery codes are shown once, and the operator is audited
    assert done.status_code == 200
    assert two_factor_enrolled(staff)
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    record = AuditRecord.objects.get(action=AuditAction.TWO_FACTOR_ENROL)
    assert (record.actor_email, record.target_id) == ("ops@example.com", str(staff.pk))
    assert record.after == {
        "two_factor": True,
        "recovery_codes": 10,
        "withdraw_keys_revoked": [],
    }
    # and this session, which just gave a code, keeps using the admin
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_enrolled_operator_needs_the_code_to_log_in(staff):
    device, _ = enrol(staff)
    # without a code, with a wrong one: refused, not logged in
    missing = login(Client())
    assert errors(missing) == ["Enter your authentication code."]
    wrong = login(Client(), wrong_code(device))
    assert errors(wrong) == ["That code is not valid."]
    # with the app's current code (once the wrong code's one-second throttle is over)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    client = Client()
    assert login(client, totp_code(device)).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_code_is_accepted_once(staff):
    device, _ = enrol(staff)
    code = totp_code(device)
    assert login(Client(), code).status_code == 302
    replayed = login(Client(), code)
    assert errors(replayed) == ["That code was already used: wait for the next one."]


def test_wrong_codes_lock_the_device_for_a_doubling_delay(staff):
    device, _ = enrol(staff)
    for _ in range(3):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
        with pytest.raises(TwoFactorError):
            check_second_factor(user=staff, code=wrong_code(device))
    device.refresh_from_db()
    assert device.throttling_failure_count == 3
    # after three wrong codes even the right one is refused for 4 seconds (from a
    # moment ahead: a loaded machine can spend that long hashing the password)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() + timedelta(seconds=60)
    )
    refused = login(Client(), totp_code(device))
    assert errors(refused)[0].startswith("Too many wrong codes: try again until")
    with pytest.raises(TwoFactorError) as exc:
        check_second_factor(user=staff, code=totp_code(device))
    assert exc.value.code is TwoFactorErrorCode.THROTTLED
    # once the delay has passed, the right code works and the count starts again
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    assert login(Client(), totp_code(device)).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_recovery_code_logs_in_once(staff):
    _, codes = enrol(staff)
    client = Client()
    assert login(client, codes[0].upper()).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert StaticToken.objects.filter(device__user=staff).count() == 9
    assert errors(login(Client(), codes[0])) == ["That code is not valid."]


def test_a_password_only_session_of_an_enrolled_operator_sees_no_admin_page(staff):
    enrol(staff)
    client = Client()
    client.force_login(staff)  # e.g. a session from another login path
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    # nor can it turn two-factor off
    page = client.get(reverse("admin:two_factor"))
    assert page.status_code == 302 and two_factor_enrolled(staff)


def test_the_setting_sends_staff_without_two_factor_to_enrol_first(staff, settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True
    client = Client()
    assert login(client).status_code == 302
    for url in (reverse("admin:index"), reverse("admin:dashboard_pipeline")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("admin:two_factor")
    page = client.get(reverse("admin:two_factor"))
    assert page.status_code == 200 and page.context["required"] is True
    # (and they may log out instead)
    leaving = Client()
    login(leaving)
    leaving.post(reverse("admin:logout"))
    assert "_auth_user_id" not in leaving.session
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    client.post(reverse("admin:two_factor"), {"code": totp_code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_turning_it_off_needs_a_code_and_is_audited(staff):
    device, recovery = enrol(staff)
    client = Client()
    login(client, totp_code(device))
    refused = client.post(reverse("admin:two_factor"), {"code": wrong_code(device)})
    assert "That code is not valid." in refused.content.decode()
    assert two_factor_enrolled(staff)
    # a recovery code will do (the authenticator is throttled by the wrong code)
    done = client.post(reverse("admin:two_factor"), {"code": recovery[0]})
    assert done.status_code == 302
    assert not two_factor_enrolled(staff)
    assert not StaticToken.objects.filter(device__user=staff).exists()
    record = AuditRecord.objects.get(action=AuditAction.TWO_FACTOR_DISABLE)
    assert (record.actor_email, record.before, record.after) == (
        "ops@example.com",
        {"two_factor": True},
        {"two_factor": False},
    )


def test_an_operator_resets_a_lost_authenticator(staff, make_user):
    trader = make_user("lost@example.com")
    enrol(trader)
    client = Client()
    client.force_login(staff)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [trader.pk]},
    )
    assert not two_factor_enrolled(trader)
    record = AuditRecord.objects.get(action=AuditAction.TWO_FACTOR_DISABLE)
    assert (record.actor_email, record.target_id) == ("ops@example.com", str(trader.pk))
