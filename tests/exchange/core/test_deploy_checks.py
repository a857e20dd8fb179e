"""Development secrets: `check --deploy` errors, and ENVIRONMENT=production refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks
from django.test import override_settings

from exchange.core.deploy_checks import (
    DEV_SECRET_KEY,
    dev_api_key_encryption_keys,
    production_guard,
)

ROOT = Path(__file__).resolve().parents[3]
REAL_SECRET = "a-real-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKL"
REAL_KEY = Fernet.generate_key().decode()


def deploy_check_ids() -> list[str]:
    messages = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    return sorted(m.id for m in messages if m.id and m.id.startswith("exchange."))


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """manage.py in a fresh interpreter with only the given secret variables set."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "API_KEY_ENCRYPTION_KEYS", "ENVIRONMENT", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "REDIS_URL": settings.REDIS_URL, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_development_defaults_are_deploy_errors():
    # given the settings of make test (nothing set)
    # when the deploy checks run
    # then both secrets are reported as errors
    assert settings.SECRET_KEY == DEV_SECRET_KEY
    assert deploy_check_ids() == ["exchange.E001", "exchange.E002"]


def test_keys_derived_from_a_real_secret_key_are_still_an_error():
    with override_settings(
        SECRET_KEY=REAL_SECRET, API_KEY_ENCRYPTION_KEYS=dev_api_key_encryption_keys(REAL_SECRET)
    ):
        assert deploy_check_ids() == ["exchange.E002"]


def test_configured_secrets_pass_the_deploy_checks():
    with override_settings(
        SECRET_KEY=REAL_SECRET, API_KEY_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]
    ):
        assert deploy_check_ids() == []


@pytest.mark.parametrize(
    ("secret_key", "keys", "problems"),
    [
        (DEV_SECRET_KEY, dev_api_key_encryption_keys(DEV_SECRET_KEY), ["SECRET_KEY", "API_KEY"]),
        ("", [], ["SECRET_KEY", "API_KEY"]),
        (REAL_SECRET, dev_api_key_encryption_keys(REAL_SECRET), ["API_KEY"]),
        (DEV_SECRET_KEY, [REAL_KEY], ["SECRET_KEY"]),
        (REAL_SECRET, [REAL_KEY], []),
    ],
)
def test_production_guard_names_each_development_secret(secret_key, keys, problems):
    refusal = production_guard(
        environment="production", secret_key=secret_key, api_key_encryption_keys=keys
    )
    if not problems:
        assert refusal is None
        return
    assert refusal is not None
    assert refusal.startswith("ENVIRONMENT=production refuses development secrets: ")
    assert ("SECRET_KEY is unset" in refusal) == ("SECRET_KEY" in problems)
    assert ("API_KEY_ENCRYPTION_KEYS is unset" in refusal) == ("API_KEY" in problems)


def test_development_environment_accepts_the_defaults_and_unknown_names_are_refused():
    dev_keys = dev_api_key_encryption_keys(DEV_SECRET_KEY)
    assert (
        production_guard(
            environment="development", secret_key=DEV_SECRET_KEY, api_key_encryption_keys=dev_keys
        )
        is None
    )
    assert production_guard(
        environment="prod", secret_key=REAL_SECRET, api_key_encryption_keys=[REAL_KEY]
    ) == ("ENVIRONMENT must be one of development, production, not 'prod'.")


def test_production_refuses_to_start_with_development_secrets():
    # when a production process starts with no secrets set
    result = run_manage("check", ENVIRONMENT="production")
    # then it stops before doing anything, naming both variables
    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: ENVIRONMENT=production refuses" in (
        result.stderr
    )
    assert "SECRET_KEY is unset" in result.stderr
    assert "API_KEY_ENCRYPTION_KEYS is unset" in result.stderr


def test_production_starts_with_real_secrets_and_deploy_check_reports_no_secret_error():
    result = run_manage(
        "check",
        "--deploy",
        ENVIRONMENT="production",
        SECRET_KEY=REAL_SECRET,
        API_KEY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    assert result.returncode == 0, result.stderr
    assert "exchange.E00" not in result.stdout + result.stderr


def test_check_deploy_fails_on_development_defaults():
    # given nothing set (what make run uses): the server starts, but check --deploy fails
    result = run_manage("check", "--deploy")
    assert result.returncode == 1
    assert "(exchange.E001) SECRET_KEY is the development default." in result.stderr
    assert "(exchange.E002) API_KEY_ENCRYPTION_KEYS is derived from SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        "CHANGE-ME-50-random-characters",  # k8s/overlays/prod/secrets.example.env
        "a-long-enough-value-but-still-change-me-please-0123",
        "short-but-random-9f8e7d",
    ],
)
def test_a_placeholder_or_short_secret_key_is_refused(secret_key):
    refusal = production_guard(
        environment="production", secret_key=secret_key, api_key_encryption_keys=[REAL_KEY]
    )
    assert refusal is not None
    assert "SECRET_KEY is a placeholder (CHANGE-ME) or shorter than 32 characters" in refusal
    assert "API_KEY_ENCRYPTION_KEYS" not in refusal.partition(". Set")[0]
    with override_settings(SECRET_KEY=secret_key, API_KEY_ENCRYPTION_KEYS=[REAL_KEY]):
        assert deploy_check_ids() == ["exchange.E003"]


@pytest.mark.parametrize(
    "keys",
    [
        ["CHANGE-ME-fernet-key-from-cryptography.fernet.Fernet.generate_key"],
        ["k" * 44],  # base64 of 33 bytes, not 32
        [REAL_KEY, "not-a-key"],
    ],
)
def test_an_entry_that_is_not_a_fernet_key_is_refused(keys):
    refusal = production_guard(
        environment="production", secret_key=REAL_SECRET, api_key_encryption_keys=keys
    )
    position = len(keys)
    assert refusal is not None
    assert f"API_KEY_ENCRYPTION_KEYS entry {position} is not a Fernet key" in refusal
    assert keys[-1] not in refusal  # a secret is never echoed
    with override_settings(SECRET_KEY=REAL_SECRET, API_KEY_ENCRYPTION_KEYS=keys):
        assert deploy_check_ids() == ["exchange.E004"]
