"""``bank-sandbox truelayer clients|add-client|update-client``: TrueLayer apps from the shell.

The same operations as ``/control/truelayer/clients``: every tenant's own API keys are a
TrueLayer client already; these add redirect URIs, change consent lengths and the name the
auth dialog shows, or register another app with its own secret.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from .cli_refusals import refused
from .core.bank import UNCHANGED, Grants
from .core.errors import CoreError, InvalidClient, InvalidField
from .core.models import AppClient
from .extensions import current_session, tenant_bank
from .faults_cli import client_option, find_tenant

DISPLAY_NAME_HELP = "What the auth dialog calls the app (default: its client id)."


def _grants(client_id: str | None) -> Grants:
    return tenant_bank(find_tenant(client_id)).grants


def _show(client: AppClient, secret: str | None = None) -> None:
    shown = {
        "client_id": client.client_id,
        "redirect_uris": client.redirect_uris,
        "consent_days": client.consent_days,
        "display_name": client.display_name,
    }
    click.echo(json.dumps({**shown, "client_secret": secret} if secret else shown))


@click.group("truelayer")
def truelayer_group() -> None:
    """TrueLayer auth-server clients: redirect URIs, consent days, more apps."""


@truelayer_group.command("clients")
@client_option
@with_appcontext
def truelayer_clients(client_id: str | None) -> None:
    """Print the tenant's TrueLayer clients, one JSON object a line (its own keys first)."""
    for client in _grants(client_id).clients():
        _show(client)
    current_session().commit()  # the tenant's own client is created on first use


@truelayer_group.command("add-client")
@client_option
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--name", default="app", help="Becomes part of the client id.")
@click.option("--consent-days", type=int, default=90)
@click.option("--display-name", default=None, help=DISPLAY_NAME_HELP)
@with_appcontext
def truelayer_add_client(
    client_id: str | None,
    redirect_uris: tuple[str, ...],
    name: str,
    consent_days: int,
    display_name: str | None,
) -> None:
    """Register another app; prints its id and secret (the secret is shown only now)."""
    try:
        client, secret = _grants(client_id).register_client(
            list(redirect_uris), name=name, consent_days=consent_days, display_name=display_name
        )
    except CoreError as exc:
        raise refused(exc) from None
    current_session().commit()
    _show(client, secret)


@truelayer_group.command("update-client")
@client_option
@click.option("--app-client", default=None, help="Client id (default: the tenant's own).")
@click.option("--add-redirect-uri", "redirect_uris", multiple=True)
@click.option("--consent-days", type=int, default=None)
@click.option("--display-name", default=None, help=DISPLAY_NAME_HELP)
@click.option(
    "--clear-display-name", is_flag=True, help="Remove the display name (the dialog shows the id)."
)
@with_appcontext
def truelayer_update_client(
    client_id: str | None,
    app_client: str | None,
    redirect_uris: tuple[str, ...],
    consent_days: int | None,
    display_name: str | None,
    clear_display_name: bool,
) -> None:
    """Add redirect URIs to a client, change how many days its consents last and/or the
    name the auth dialog shows (or remove it)."""
    if clear_display_name and display_name is not None:
        raise click.UsageError("give --display-name or --clear-display-name, not both")
    grants = _grants(client_id)
    app_client = app_client or grants.tenant.client_id
    try:
        grants.client(app_client)
    except (InvalidClient, InvalidField):  # the core speaks as TrueLayer: "not valid"
        raise click.ClickException(
            f"Invalid value for '--app-client': no TrueLayer client {app_client} "
            "(`bank-sandbox truelayer clients`)"
        ) from None
    try:
        client = grants.update_client(
            app_client,
            add_redirect_uris=list(redirect_uris),
            consent_days=consent_days,
            display_name=None if clear_display_name else (display_name or UNCHANGED),
        )
    except CoreError as exc:
        raise refused(exc) from None
    current_session().commit()
    _show(client)
