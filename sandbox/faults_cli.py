"""``bank-sandbox faults add|list|clear|log``: fault rules from the command line.

The options are the rule fields of ``sandbox.core.faults.spec`` (the control API takes the
same ones as JSON), so a rule added here behaves exactly like one added over HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .cli_refusals import refused
from .core import tenants
from .core.errors import CoreError
from .core.faults import rules as fault_rules
from .core.models import Tenant
from .extensions import current_session


def find_tenant(client_id: str | None) -> Tenant:
    """The tenant with this client id, or the default one; one line if there is none."""
    query = select(Tenant).where(
        Tenant.client_id == client_id if client_id else Tenant.name == "default"
    )
    tenant = current_session().scalar(query)
    if tenant is None:
        if client_id:
            raise click.ClickException(f"no tenant {client_id} (`bank-sandbox tenants list`)")
        raise click.ClickException("no default tenant; run `bank-sandbox init-db` first")
    return tenant


client_option = click.option(
    "--client-id", default=None, help="Tenant (default: the default tenant)."
)


@click.group("faults")
def faults_group() -> None:
    """Inject errors, HTTP statuses, latency, dropped connections and truncated bodies."""


@faults_group.command("add")
@client_option
@click.option("--endpoint", default=None, help="Path glob, e.g. '/transactions/*'.")
@click.option("--item-id", default=None)
@click.option("--institution-id", default=None)
@click.option("--dialect", default=None, help="plaid (default), truelayer or '*'.")
@click.option("--code", "error_code", default=None, help="Provider error code to return.")
@click.option("--status", "http_status", type=int, default=None, help="Raw HTTP status.")
@click.option("--latency-ms", type=int, default=None, help="Added latency (fixed).")
@click.option("--latency", default=None, help='Distribution as JSON: {"distribution": …}.')
@click.option("--drop", is_flag=True, default=None, help="Close the connection, no reply.")
@click.option("--truncate", is_flag=True, default=None, help="Send half of the body.")
@click.option("--trigger", default=None, help="always | nth | next | window | probability")
@click.option("--n", type=int, default=None, help="For nth / next.")
@click.option("--start", default=None, help="Window start (ISO 8601, simulated clock).")
@click.option("--end", default=None, help="Window end (ISO 8601, simulated clock).")
@click.option("--probability", type=float, default=None)
@click.option("--seed", type=int, default=None, help="Seed of the probability draws.")
@with_appcontext
def faults_add(client_id: str | None, latency: str | None, **fields: Any) -> None:
    """Add a rule and print it as JSON."""
    raw = {key: value for key, value in fields.items() if value is not None}
    if latency is not None:
        try:
            raw["latency"] = json.loads(latency)
        except ValueError:
            raise click.BadParameter("must be JSON", param_hint="--latency") from None
    tenant = find_tenant(client_id)
    try:
        rule = fault_rules.add_rule(current_session(), tenant, raw, tenants.clock_of(tenant).now())
    except CoreError as exc:
        raise refused(
            exc, {name: f"--{name}" for name in ("latency", "drop", "truncate")}
        ) from None
    current_session().commit()
    click.echo(json.dumps(fault_rules.rule_json(rule)))


@faults_group.command("list")
@client_option
@with_appcontext
def faults_list(client_id: str | None) -> None:
    """Print the tenant's rules, one JSON object a line."""
    for rule in fault_rules.rules(current_session(), find_tenant(client_id)):
        click.echo(json.dumps(fault_rules.rule_json(rule)))


@faults_group.command("clear")
@client_option
@with_appcontext
def faults_clear(client_id: str | None) -> None:
    """Remove every rule of the tenant."""
    removed = fault_rules.clear(current_session(), find_tenant(client_id))
    current_session().commit()
    click.echo(f"removed {removed} rule(s)")


@faults_group.command("log")
@client_option
@with_appcontext
def faults_log(client_id: str | None) -> None:
    """Print the injected faults, oldest first, one JSON object a line."""
    for entry in fault_rules.log(current_session(), find_tenant(client_id)):
        click.echo(json.dumps(entry))
