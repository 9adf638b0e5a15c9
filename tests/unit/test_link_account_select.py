"""Link's Account Select rules (``core.link.account_select``) without HTTP or a database."""

from __future__ import annotations

import pytest

from sandbox.core.errors import InvalidField
from sandbox.core.link import account_select as pane


@pytest.mark.parametrize(
    ("config", "mode"),
    [
        ({}, None),
        ({"link_customization_name": "default"}, None),
        ({"link_customization_name": "account_select_one"}, pane.ONE),
        ({"link_customization_name": "account_select_multiple"}, pane.MULTIPLE),
        ({"link_customization_name": "account_select_all"}, pane.ALL),
        ({"access_token": "access-x", "link_customization_name": "account_select_one"}, None),
        ({"access_token": "access-x", "update": {"account_selection_enabled": True}}, "multiple"),
        ({"access_token": "access-x", "update": {"account_selection_enabled": False}}, None),
    ],
)
def test_the_link_tokens_configuration_chooses_the_pane(
    config: dict[str, object], mode: str | None
) -> None:
    assert pane.mode_for(config) == mode


def test_preticked_accounts_by_mode() -> None:
    assert pane.preticked(pane.ALL, [0, 1, 3], None) == [0, 1, 3]
    assert pane.preticked(pane.MULTIPLE, [0, 1, 3], None) == []
    assert pane.preticked(pane.ONE, [0, 1], None) == []
    assert pane.preticked(pane.ONE, [4], None) == [4]  # the only choice is made already
    assert pane.preticked(pane.MULTIPLE, [0, 1, 3], [3, 0, 7]) == [0, 3]  # update: the item's


def test_a_selection_is_the_sorted_offered_ordinals() -> None:
    assert pane.chosen(pane.MULTIPLE, [0, 1, 3], ["3", "0", "3"]) == [0, 3]
    assert pane.chosen(pane.ONE, [0, 1, 3], ["1"]) == [1]


@pytest.mark.parametrize(
    ("mode", "values", "reason"),
    [
        (pane.MULTIPLE, [], "Choose an account to share."),
        (pane.ONE, ["0", "1"], "Choose only one account to share."),
        (pane.ALL, ["2"], "account '2' is not an account Link offered"),
        (pane.ALL, ["-1"], "account '-1' is not an account Link offered"),
        (pane.ALL, ["0", "zero"], "account 'zero' is not an account Link offered"),
    ],
)
def test_refused_selections_name_the_field(mode: str, values: list[str], reason: str) -> None:
    with pytest.raises(InvalidField) as refused:
        pane.chosen(mode, [0, 1, 3], values)
    assert refused.value.message == reason and refused.value.detail["field"] == "account"
