"""Link's Account Select pane at banks without OAuth: whether Link shows it, how, and what a
submitted selection means.

Plaid's apps choose the pane's behaviour in the Dashboard's Link customization ("enabled
for one account", "for multiple accounts", "for all accounts", the last with every account
ticked) and pick a customization per link token with ``link_customization_name``. The
sandbox has no Dashboard, so three reserved customization names stand for those choices
(``CUSTOMIZATIONS``). Any other name, or none, keeps Link as it was before the pane existed:
no pane, every account that passes ``account_filters`` shared, so apps and tests written
against the sandbox go on working unchanged. DIVERGES: Plaid applies the Dashboard's
customization (whose default shows the pane) and refuses names it does not know.

Update mode with ``update.account_selection_enabled: true`` shows the pane with the item's
accounts ticked; unticking one removes it from the item (the core's ``_reshare``, as at
OAuth banks). (unconfirmed) Plaid's update-mode pane is taken to allow several accounts
whatever the customization says, since its purpose is adding and removing accounts.
OAuth banks have their own consent page instead, as at Plaid.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidField

ONE, MULTIPLE, ALL = "one", "multiple", "all"
# The customization names the sandbox reserves, and the pane each stands for.
CUSTOMIZATIONS = {
    "account_select_one": ONE,
    "account_select_multiple": MULTIPLE,
    "account_select_all": ALL,
}
# The form field of the pane: one value per ticked account, the account's ordinal at its bank.
FIELD = "account"


def mode_for(config: dict[str, Any]) -> str | None:
    """The pane a link token's configuration asks for at a bank without OAuth (None: none)."""
    if config.get("access_token"):  # update mode: only when the app asks to change accounts
        wanted = (config.get("update") or {}).get("account_selection_enabled")
        return MULTIPLE if wanted else None
    return CUSTOMIZATIONS.get(str(config.get("link_customization_name") or ""))


def preticked(mode: str, offered: list[int], on_item: list[int] | None) -> list[int]:
    """The accounts ticked when the pane opens: the item's own in update mode, all of them
    for "all accounts", the only one when just one is offered, else none."""
    if on_item is not None:
        return [o for o in offered if o in on_item]
    if mode == ALL or len(offered) == 1:
        return list(offered)
    return []


def chosen(mode: str, offered: list[int], values: list[str]) -> list[int]:
    """The ordinals a submitted pane selects. Refuses a value that is not an account the pane
    offered (a forged form), nothing selected, and several in "one account" mode."""
    picked: set[int] = set()
    for value in values:
        if not value.isdigit() or int(value) not in offered:
            raise InvalidField(
                f"{FIELD} {value[:20]!r} is not an account Link offered", field=FIELD
            )
        picked.add(int(value))
    if not picked:
        raise InvalidField("Choose an account to share.", field=FIELD)
    if mode == ONE and len(picked) > 1:
        raise InvalidField("Choose only one account to share.", field=FIELD)
    return sorted(picked)
