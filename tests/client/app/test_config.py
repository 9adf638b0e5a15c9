"""`AppConfig.from_env`: the demo app's settings, and a clear message for a malformed one."""

from __future__ import annotations

import pytest

from client.app.config import AppConfig
from client.worker.config import SettingsError


def test_defaults_and_overrides_from_the_environment() -> None:
    default = AppConfig.from_env({})
    assert default.users == {"alice": "demo", "bob": "demo"}
    assert default.public_url is None and default.page_size == 100
    chosen = AppConfig.from_env(
        {
            "BANK_APP_USERS": "carol:c-pass, dan:d:pass",
            "BANK_APP_PUBLIC_URL": "http://demo.example/",
            "BANK_APP_LINK_URL": "http://127.0.0.1:8000",
            "BANK_APP_PAGE_SIZE": "250",
            "BANK_APP_DAYS": "30",
            "PLAID_BASE_URL": "http://sandbox:8000",
        }
    )
    assert chosen.users == {"carol": "c-pass", "dan": "d:pass"}  # a password may hold ':'
    assert chosen.public_url == "http://demo.example"
    assert (chosen.page_size, chosen.days_requested) == (250, 30)
    assert chosen.settings.base_url == "http://sandbox:8000"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BANK_APP_USERS": "carol"}, "BANK_APP_USERS"),
        ({"BANK_APP_USERS": ":nopass"}, "BANK_APP_USERS"),
        ({"BANK_APP_PAGE_SIZE": "0"}, "BANK_APP_PAGE_SIZE"),
        ({"BANK_APP_DAYS": "a year"}, "BANK_APP_DAYS"),
        ({"BANK_APP_PAGE_SIZE": "501"}, "BANK_APP_PAGE_SIZE must be a whole number from 1 to 500"),
        ({"BANK_APP_DAYS": "731"}, "BANK_APP_DAYS must be a whole number from 1 to 730"),
        ({"BANK_APP_DAYS": "³"}, "BANK_APP_DAYS"),
    ],
)
def test_a_malformed_setting_names_itself(env: dict[str, str], named: str) -> None:
    """A page size past Plaid's 500 or a history past its 730 days started the app, then
    failed every sync or every Link with INVALID_FIELD; "³" (a digit to `str.isdigit`) was
    int()'s ValueError, naming no setting."""
    with pytest.raises(SettingsError, match=named):
        AppConfig.from_env(env)
