"""TrueLayer's provider catalogue over the sandbox's banks: ids, groups and what they offer.

An auth link names the providers to offer with ``providers`` (ids and groups such as
``uk-ob-all uk-oauth-all uk-cs-mock``), or with the legacy flags older SDKs send
(``enable_mock``, ``enable_open_banking_providers``, ...). ``mock`` is TrueLayer's mock
bank (a username/password page); the others are the catalogue's UK and EU banks, reached
through their own OAuth authorize pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..core import institutions
from ..core.errors import InvalidField
from ..core.institutions import Institution

ALL_SCOPES = (
    "info",
    "accounts",
    "balance",
    "cards",
    "transactions",
    "direct_debits",
    "standing_orders",
    "offline_access",
)
MOCK = "mock"
TRUTHY = {"true", "1", "yes", "on"}


@dataclass(frozen=True)
class Provider:
    """One TrueLayer provider: its id, the groups that select it, and the bank behind it."""

    provider_id: str
    institution_id: str
    country: str  # TrueLayer's code: ``uk``, ``nl``, ``de``, ``fr``
    groups: frozenset[str]
    scopes: tuple[str, ...] = ALL_SCOPES

    @property
    def institution(self) -> Institution:
        """The catalogue bank this provider is."""
        return institutions.get(self.institution_id)

    @property
    def display_name(self) -> str:
        """The bank's name, as TrueLayer shows it."""
        return self.institution.name

    @property
    def uses_bank_page(self) -> bool:
        """Whether signing in happens on the bank's own OAuth page (else the dialog's form)."""
        return self.institution.oauth


def _uk_ob(provider_id: str, institution_id: str) -> Provider:
    return Provider(provider_id, institution_id, "uk", frozenset({"uk-ob-all", "uk-oauth-all"}))


def _xs2a(provider_id: str, institution_id: str, country: str) -> Provider:
    return Provider(provider_id, institution_id, country, frozenset({f"{country}-xs2a-all"}))


CATALOGUE: dict[str, Provider] = {
    p.provider_id: p
    for p in (
        Provider(MOCK, "ins_200001", "uk", frozenset({"uk-cs-mock"})),
        _uk_ob("ob-barclays", "ins_118274"),
        _uk_ob("ob-monzo", "ins_118923"),
        _uk_ob("ob-royal-bank-of-plaid", "ins_117650"),
        _uk_ob("ob-flexible-platypus", "ins_116834"),
        _xs2a("xs2a-ing", "ins_120512", "nl"),
        _xs2a("xs2a-deutsche-bank", "ins_121387", "de"),
        _xs2a("xs2a-bnp-paribas", "ins_122096", "fr"),
    )
}
# Older SDKs' flags and the groups they stand for.
LEGACY_FLAGS = {
    "enable_mock": {"uk-cs-mock"},
    "enable_open_banking_providers": {"uk-ob-all"},
    "enable_oauth_providers": {"uk-oauth-all"},
    "enable_credentials_sharing_providers": {"uk-cs-mock"},
    "enable_credentials_sharing_providers_de": set(),
}
# DIVERGES: a link without ``providers`` or flags offers the mock and the UK banks.
DEFAULT_SELECTION = {"uk-cs-mock", "uk-ob-all"}


def get(provider_id: str) -> Provider:
    """The provider with this id, or an error naming ``provider_id``."""
    try:
        return CATALOGUE[provider_id]
    except KeyError:
        raise InvalidField(f"unknown provider {provider_id!r}", field="provider_id") from None


def by_institution(institution_id: str) -> Provider | None:
    """The provider a catalogue bank is (None: not offered through TrueLayer)."""
    return next((p for p in CATALOGUE.values() if p.institution_id == institution_id), None)


def connector_of(institution_id: str) -> str:
    """The ``connector_id`` tokens carry for a bank."""
    found = by_institution(institution_id)
    return found.provider_id if found else institution_id


def offered(args: Mapping[str, str]) -> list[Provider]:
    """The providers an auth link offers (``providers``, legacy flags, ``disable_providers``)."""
    selection = set(args.get("providers", "").split())
    for flag, groups in LEGACY_FLAGS.items():
        if args.get(flag, "").lower() in TRUTHY:
            selection |= groups
    if not selection:
        selection = set(DEFAULT_SELECTION)
    disabled = set(args.get("disable_providers", "").split())
    return [
        p
        for p in CATALOGUE.values()
        if (p.provider_id in selection or p.groups & selection) and p.provider_id not in disabled
    ]


def search(countries: list[str] | None = None, scopes: list[str] | None = None) -> list[Provider]:
    """``/api/providers``: providers in any of ``countries`` (any country if none) that offer
    every scope."""
    places = {c.lower() for c in countries or ()}
    wanted = set(scopes or ())
    return [
        p
        for p in CATALOGUE.values()
        if (not places or p.country in places) and wanted <= set(p.scopes)
    ]
