"""Command line: ``bank-sandbox`` (or ``python -m sandbox``) and ``flask --app sandbox``.

``serve`` migrates the database, makes sure the default tenant exists, prints the URL
and keys, and serves. The other commands manage tenants and data. Ordinary failures
(an unreachable database, a taken port, a bad setting) print one line and exit 1.

Importing this module loads only click and Flask: the app's modules (SQLAlchemy, the
models, the dialects) load inside the commands, when the app is built, so ``serve``
builds it with the garbage collector paused (``start_up``) and ``--help`` stays quick.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import importlib.util
import json
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from .failures import one_line
from .ready_file import ReadyFile

if TYPE_CHECKING:
    from .core import tenants
    from .serving import DrainingServer

# Command groups kept in their own modules, imported when the command line reaches them.
LAZY_GROUPS = {
    "faults": "sandbox.faults_cli:faults_group",
    "truelayer": "sandbox.truelayer_cli:truelayer_group",
}


def ordinary_errors() -> tuple[type[BaseException], ...]:
    """What a user can get wrong or a machine can lack (anything else is a bug and keeps its
    traceback): OS and value errors, the database's, an unreadable credentials file, and
    Alembic's ``CommandError`` once Alembic is loaded (it loads only to migrate, so a start
    on a current schema does not pay for importing it)."""
    from sqlalchemy.exc import SQLAlchemyError

    from .bootstrap import CredentialsFileError

    ordinary = (OSError, SQLAlchemyError, CredentialsFileError, ValueError)
    alembic_util = sys.modules.get("alembic.util")
    return ordinary + ((alembic_util.CommandError,) if alembic_util else ())


def start_failures() -> tuple[type[BaseException], ...]:
    """What stops a server's start with one line: a bad setting (a click error, one line
    already) or an ordinary error, such as a database that does not answer."""
    return (click.ClickException, *ordinary_errors())


def _lazy_group(name: str) -> click.Command:
    module, attribute = LAZY_GROUPS[name].split(":")
    command: click.Command = getattr(importlib.import_module(module), attribute)
    return command


@contextmanager
def start_up() -> Iterator[None]:
    """The garbage collector paused while a server starts, then frozen out of what it built.

    A start allocates several hundred thousand objects that live as long as the process
    (modules, SQLAlchemy's mappers, the URL map); as they pile up the collector walks them
    again and again, about a tenth of a start, and the first request paid for a full
    collection. ``gc.freeze`` leaves them out of every later collection.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def register(app: Flask) -> None:
    """Attach the data commands to ``flask --app sandbox``, with ``bank-sandbox``'s one-line
    errors on them and on Flask-Migrate's ``db`` (``flask`` runs the command objects itself,
    so they, not a group of ours, must carry the handling)."""
    for command in (
        init_db,
        tenants_group,
        seed,
        reset,
        clock,
        worker,
        *(_lazy_group(name) for name in LAZY_GROUPS),
    ):
        app.cli.add_command(command)
    for command in app.cli.commands.values():
        _with_one_line_errors(command)


@contextmanager
def flask_run_stops_in_one_line() -> Iterator[bool]:
    """Whether Flask's own ``run`` is building the app (``flask --app sandbox run``); if so,
    an ordinary failure inside stops it with one ``Error:`` line and exit status 1.

    ``SystemExit``, because under ``--debug`` Flask's ``run`` prints any exception's
    traceback and then serves it: a 500 to every call.
    """
    from flask.cli import run_command

    loading = click.get_current_context(silent=True)
    if loading is None or loading.command is not run_command:
        yield False
        return
    try:
        yield True
    except start_failures() as exc:
        click.echo(f"Error: {one_line(exc)}", err=True)
        raise SystemExit(1) from None


class OneLineErrors(click.Command):
    """A command (or group: its subcommands run inside its ``invoke``) whose ordinary
    failures become one ``Error:`` line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an ordinary failure becomes one line and exit status 1."""
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise  # already one line (a ``SettingsError`` is a ``ValueError`` too)
        except ordinary_errors() as exc:
            raise click.ClickException(one_line(exc)) from None


_ONE_LINE_CLASSES: dict[type[click.Command], type[click.Command]] = {}


def _with_one_line_errors(command: click.Command) -> None:
    """Give a command object, whatever its class, ``OneLineErrors``' handling (once)."""
    kind = type(command)
    if issubclass(kind, OneLineErrors):
        return
    if kind not in _ONE_LINE_CLASSES:
        _ONE_LINE_CLASSES[kind] = type(kind.__name__, (OneLineErrors, kind), {})
    command.__class__ = _ONE_LINE_CLASSES[kind]


def _app() -> Flask:
    """The app from the environment's settings (bad ones are a one-line ``SettingsError``)."""
    from . import create_app  # the package imports this module while building an app

    return create_app()


def _current_app() -> Flask:
    """The real app behind ``current_app`` (the server threads run outside its context)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    return app


class SandboxGroup(OneLineErrors, click.Group):
    """``bank-sandbox``: builds the app only when a command needs it; one-line errors."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Give ``with_appcontext`` commands the sandbox's app factory."""
        extra.setdefault("obj", ScriptInfo(create_app=_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands defined here and the lazily imported groups."""
        return sorted({*super().list_commands(ctx), *LAZY_GROUPS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A command defined here, or a lazily imported group."""
        if cmd_name in LAZY_GROUPS:
            return _lazy_group(cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=SandboxGroup,
    epilog="Settings come from SANDBOX_* variables and DATABASE_URL (see the README).",
)
@click.version_option(package_name="bank-sandbox", prog_name="bank-sandbox")
def main() -> None:
    """Bank sandbox: fake banks behind Plaid's API, for tests, demos and CI."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option(
    "--port",
    default=None,
    type=click.IntRange(0, 65535),
    help="Port (default 8000; 0 picks a free one and reports it).",
)
@click.option(
    "--ready-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the URL and keys as JSON here once the server listens.",
)
@click.option("--shared", is_flag=True, help="Serve as a shared team sandbox (see SECURITY.md).")
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, ready_file: str | None, shared: bool
) -> None:
    """Migrate, ensure the default tenant, print URL and keys, and serve."""
    ready = ReadyFile(ready_file) if ready_file else None
    if ready:
        ready.forget_stale()
    with start_up():
        app = ctx.ensure_object(ScriptInfo).load_app()  # what ``with_appcontext`` does
        ctx.with_resource(app.app_context())
        app.config["HOST"] = host or app.config["HOST"]  # beyond loopback means shared mode
        if shared:
            app.config["SHARED"] = "on"
        from . import worker as webhook_worker
        from .bootstrap import ensure_default_tenant, prepare_schema
        from .core import institutions

        if problem := institutions.catalogue_problem():
            raise click.ClickException(problem)
        prepare_schema(app)
        keys = ensure_default_tenant(app)
        _check_writable()
        _check_rate_limit_storage(app)
        server = _listen(app, app.config["HOST"], app.config["PORT"] if port is None else port)
        app.config["PORT"] = server.port  # the port really bound (0 picks one)
    try:
        _announce(app, server, keys, ready)
        dispatcher = None
        if app.config["WEBHOOK_DISPATCHER"] == "thread":
            dispatcher = webhook_worker.start(app)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        server.serve_forever()
        if ready:
            ready.withdraw()  # before the drain: the port is about to close
        _stop_gracefully(server, dispatcher, app.config["SHUTDOWN_GRACE_SECONDS"])
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()
        if ready:
            ready.withdraw()


def _stop_gracefully(
    server: DrainingServer, dispatcher: tuple[threading.Thread, threading.Event] | None, grace: int
) -> None:
    """What SIGTERM (``docker stop``, ``kill``) does once ``serve_forever`` has returned:
    refuse new connections, let the calls in flight and the webhook dispatcher's attempt in
    hand finish (at most ``grace`` seconds in all; the webhooks its pass had not tried yet are
    due again at the next start), exit status 0. It cut them off (a reset connection; a
    webhook sent but not recorded, sent again at the next start); before that, unhandled, it
    exited 143, and as a container's first process it waited for Docker's SIGKILL. Ctrl-C
    still stops at once (and during the grace period too)."""
    deadline = time.monotonic() + grace
    server.server_close()
    if dispatcher is not None:
        dispatcher[1].set()  # no pass after this one
    cut_off = server.drain(grace)
    if dispatcher is not None:
        dispatcher[0].join(max(0.0, deadline - time.monotonic()))
        cut_off += dispatcher[0].is_alive()
    if cut_off:
        click.echo(f"stopped; cut off {cut_off} unfinished after {grace} s", err=True)
    else:
        click.echo("stopped", err=True)


def _check_writable() -> None:
    """A write, rolled back: a read-only database would start, report healthy, then answer
    500 to every write, and a ready file must mean a working server."""
    from sqlalchemy import update

    from .core.models import Tenant
    from .extensions import db

    try:
        db.session.execute(update(Tenant).values(name=Tenant.name))
    finally:
        db.session.rollback()


def _check_rate_limit_storage(app: Flask) -> None:
    """A rate-limit store that does not answer refuses the start (its calls would all fail).
    Without one (counters in memory) there is nothing to ask, and ``limits`` loads at the
    first counted call, not at start."""
    url = app.config.get("RATELIMIT_STORAGE_URL")
    if not url:
        return
    if "redis" in str(url).partition(":")[0] and importlib.util.find_spec("redis") is None:
        # limits' own words ("'redis' prerequisite not available") do not say what to install
        raise click.ClickException(
            "SANDBOX_RATELIMIT_STORAGE_URL: a Redis store needs the redis extra: "
            "pip install 'bank-sandbox[redis]'"
        )
    from limits.errors import ConfigurationError

    from .extensions import rate_limiter

    try:
        answers = rate_limiter(app).storage.check()
    except (ConfigurationError, ValueError) as exc:
        raise click.ClickException(f"SANDBOX_RATELIMIT_STORAGE_URL: {exc}") from None
    if not answers:
        raise click.ClickException(f"SANDBOX_RATELIMIT_STORAGE_URL: {url} does not answer")


def _announce(
    app: Flask, server: DrainingServer, keys: tenants.Keys, ready: ReadyFile | None
) -> None:
    """The ready file (if asked), then the JSON line on stdout and the banner on stderr."""
    url = f"http://{server.host}:{server.port}"
    announced = json.dumps({"url": url, "client_id": keys.client_id, "secret": keys.secret})
    if ready:
        ready.write(announced)
    click.echo(announced)
    click.echo(
        f"\n  Bank sandbox listening on {url}\n"
        f"  PLAID-CLIENT-ID  {keys.client_id}\n  PLAID-SECRET     {keys.secret}\n"
        f"  database         {_safe_url(app)}\n",
        err=True,
    )


def _listen(app: Flask, host: str, port: int) -> DrainingServer:
    """Bind ourselves, so a taken port or a bad host is one line (werkzeug prints two)."""
    from .serving import DrainingServer

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    with socket.socket(family, socket.SOCK_STREAM) as sock:  # werkzeug serves on a duplicate
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
        except (OSError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from None
        return DrainingServer(host, port, app, fd=sock.fileno())


def _safe_url(app: Flask) -> str:
    from .extensions import db

    return str(db.engine.url.render_as_string(hide_password=True))


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema and the default tenant."""
    from .bootstrap import ensure_default_tenant, prepare_schema

    app = _current_app()
    prepare_schema(app)
    keys = ensure_default_tenant(app)
    click.echo(f"database ready; default tenant {keys.client_id}")


@click.group("tenants")
def tenants_group() -> None:
    """Create and list API keys."""


@tenants_group.command("create")
@click.option("--name", required=True)
@click.option("--seed", type=int, default=None)
@with_appcontext
def tenants_create(name: str, seed: int | None) -> None:
    """Create a tenant and print its keys (the secret is shown only now)."""
    from .core import tenants
    from .extensions import current_session, db

    fields = _tenant_fields(name, seed)
    tenant, keys = tenants.create(
        current_session(),
        fields["name"],
        fields["seed"] if fields["seed"] is not None else secrets.randbits(31),
    )
    db.session.commit()
    click.echo(
        json.dumps(
            {"name": name, "client_id": keys.client_id, "secret": keys.secret, "seed": tenant.seed}
        )
    )


def _tenant_fields(name: str, seed: int | None) -> dict[str, Any]:
    """The options checked by ``POST /control/tenants``'s own schema, so the command line
    refuses what the API refuses (a seed beyond 64 bits was a traceback), naming the option."""
    from marshmallow import ValidationError

    from .control.routes import TenantCreate

    try:
        fields: dict[str, Any] = TenantCreate().load({"name": name, "seed": seed})
    except ValidationError as err:
        field, problems = next(iter(err.messages_dict.items()))
        raise click.ClickException(f"Invalid value for '--{field}': {' '.join(problems)}") from None
    return fields


@tenants_group.command("list")
@with_appcontext
def tenants_list() -> None:
    """List tenants (secrets are stored hashed and cannot be shown; control characters in
    a name stored before they were refused are printed escaped)."""
    from sqlalchemy import select

    from .core.models import Tenant
    from .extensions import db

    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        click.echo(f"{tenant.client_id}  seed={tenant.seed:<12} {tenant.printable_name}")


DEMO_PRODUCTS = ("transactions", "auth", "identity", "liabilities")


@click.command()
@click.option("--client-id", default=None, help="Tenant (default: the default tenant).")
@click.option(
    "--institution",
    "institution_ids",
    multiple=True,
    default=("ins_109508", "ins_56", "ins_10"),
    show_default=True,
)
@click.option("--username", default="user_good", show_default=True)
@click.option(
    "--password",
    default="pass_good",
    show_default=True,
    help="The test user's password: a JSON configuration for user_custom.",
)
@with_appcontext
def seed(
    client_id: str | None, institution_ids: tuple[str, ...], username: str, password: str
) -> None:
    """Link demo items (one per institution) and print their access tokens."""
    from .core import institutions
    from .core.errors import CoreError, InvalidCredentials
    from .extensions import db, tenant_bank
    from .faults_cli import find_tenant

    bank = tenant_bank(find_tenant(client_id))
    made: list[dict[str, Any]] = []
    known = institutions.catalogue()
    if unknown := [i for i in institution_ids if i not in known]:
        raise click.ClickException(
            f"Invalid value for '--institution': {unknown[0]} is no institution of the sandbox"
        )
    try:
        for institution_id in institution_ids:
            products = bank.products_served(institution_id, list(DEMO_PRODUCTS), username, password)
            public = bank.sandbox_public_token(
                institution_id, products, username=username, password=password
            )
            access, item = bank.exchange_public_token(public)
            made.append(
                {"institution_id": institution_id, "item_id": item.id, "access_token": access}
            )
    except InvalidCredentials as exc:
        raise click.ClickException(
            f"Invalid value for '--password': {username} does not sign in with it: {exc.message}"
        ) from None
    except CoreError as exc:
        # An ``error_<CODE>`` password fails every link by design: the password is the cause.
        option = "Invalid value for '--password': " if password == f"error_{exc.condition}" else ""
        raise click.ClickException(f"{option}{exc.condition}: {exc.message}") from None
    db.session.commit()
    click.echo(json.dumps(made, indent=2))


@click.command()
@click.option("--client-id", default=None, help="Tenant (default: the default tenant).")
@with_appcontext
def reset(client_id: str | None) -> None:
    """Forget a tenant's items and clock changes; its keys stay valid."""
    from .core import tenants
    from .extensions import current_session, db
    from .faults_cli import find_tenant

    tenants.reset(current_session(), find_tenant(client_id))
    db.session.commit()
    click.echo("reset")


class UtcInstant(click.ParamType):  # type: ignore[type-arg]  # not generic in click 8.1, allowed
    """An ISO 8601 date or time, in UTC unless it names its offset: ``2030-01-01``,
    ``2030-01-01T00:00:00``, ``…Z``, ``…+02:00``, the forms ``POST /control/clock`` and
    ``faults add --start`` take (``--set`` refused the ``Z`` the README's API example has)."""

    name = "instant"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The instant in UTC, or click's usage error naming the option."""
        if isinstance(value, dt.datetime):
            return value
        try:
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=dt.UTC)
            return parsed.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            self.fail(f"{value!r} is no ISO 8601 instant, such as 2030-01-01T00:00:00Z", param, ctx)


@click.command()
@click.option("--client-id", default=None, help="Tenant (default: the default tenant).")
@click.option("--advance-days", type=click.IntRange(0, 3650), default=0)
@click.option(
    "--set", "set_to", type=UtcInstant(), default=None, help="Move to (UTC unless an offset)."
)
@click.option("--freeze/--unfreeze", default=None, help="Stop time, or let it run again.")
@with_appcontext
def clock(
    client_id: str | None, advance_days: int, set_to: dt.datetime | None, freeze: bool | None
) -> None:
    """Show or move a tenant's simulated clock; items generate the days in between."""
    from .cli_refusals import refused
    from .core.errors import CoreError
    from .extensions import db, tenant_bank
    from .faults_cli import find_tenant

    bank = tenant_bank(find_tenant(client_id))
    try:
        changed = bank.move_clock(
            to=set_to,
            advance=dt.timedelta(days=advance_days),
            freeze=freeze,
        )
    except CoreError as exc:
        raise refused(exc, {"set": "--set"}) from None
    db.session.commit()
    now = bank.clock
    state = "frozen" if now.frozen_at is not None else "running"
    click.echo(f"{now.now().isoformat()} ({state}); {len(changed)} item(s) changed")


@click.command()
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Dispatcher loops in this process.",
)
@click.option(
    "--heartbeat-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SANDBOX_WORKER_HEARTBEAT",
    default=None,
    help="Touched after every pass that reached the database (for health checks).",
)
@with_appcontext
def worker(threads: int, heartbeat_file: Path | None) -> None:
    """Deliver webhooks (run beside web workers started with SANDBOX_WEBHOOK_DISPATCHER=off)."""
    from sqlalchemy import select

    from . import worker as webhook_worker
    from .core.models import Tenant
    from .extensions import db

    app = _current_app()
    db.session.scalar(select(Tenant.id).limit(1))  # reachable and migrated, or one line now
    db.session.rollback()
    heartbeat = webhook_worker.Heartbeat(heartbeat_file) if heartbeat_file else None
    if heartbeat is not None and not heartbeat.beat():
        raise click.ClickException(str(heartbeat.failed))
    loops = [webhook_worker.start(app, heartbeat=heartbeat) for _ in range(threads)]
    click.echo(f"webhook worker: {len(loops)} dispatcher(s) on {_safe_url(app)}", err=True)

    def stop_all(*_: object) -> None:
        """``docker stop`` (SIGTERM) or Ctrl-C: each loop ends after its attempt
        in hand, then exit 0."""
        for _thread, stop in loops:
            stop.set()

    signal.signal(signal.SIGTERM, stop_all)
    try:
        for thread, _stop in loops:
            thread.join()
    except KeyboardInterrupt:
        stop_all()
        for thread, _stop in loops:
            thread.join(timeout=30)
    if heartbeat is not None and heartbeat.failed:
        raise click.ClickException(heartbeat.failed)
    click.echo("webhook worker stopped", err=True)


for _command in (init_db, tenants_group, seed, reset, clock, worker):
    main.add_command(_command)
