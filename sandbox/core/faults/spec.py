"""Fault rules as values: validation, matching, triggers and actions (no database, no HTTP).

A rule is a flat mapping (the same one the control API, the CLI and the
``Sandbox-Fault`` header use) with three parts:

* match: ``item_id``, ``institution_id``, ``endpoint`` (a glob such as
  ``/transactions/*``) and ``dialect`` (``plaid``, ``truelayer`` or ``*``); a rule for a
  dialect whose gate sees only some paths (``errors.GATED_PATHS``: TrueLayer's) must be able
  to match one of them;
* action: ``error_code``, ``http_status``, ``drop`` or ``truncate``, optionally with
  added latency (``latency_ms``, or ``latency`` as a distribution);
* trigger: ``always``, ``nth`` (the ``n``-th matching call), ``next`` (the next ``n``
  calls), ``window`` (``start`` ≤ simulated now < ``end``) or ``probability`` (``p``).

Randomness never depends on call order across rules: the k-th evaluation of a rule
draws from ``seeding.rng_for(seed, "fault", k)``, so a chaos run with the same seed
fails on the same call indexes every time.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import errors, strict_json
from ..seeding import rng_for
from . import ratelimits

TRIGGERS = ("always", "nth", "next", "window", "probability")
TERMINAL_ACTIONS = ("error_code", "http_status", "drop", "truncate")
DISTRIBUTIONS = {
    "uniform": ("min_ms", "max_ms"),
    "normal": ("mean_ms", "stddev_ms"),
    "exponential": ("mean_ms",),
}
DIALECTS = ("plaid", "truelayer", "*")
MATCH_KEYS = ("item_id", "institution_id", "endpoint", "dialect")
HEADER_ALIASES = {"code": "error_code", "status": "http_status", "p": "probability"}
MAX_LATENCY_MS = 120_000
MAX_TEXT = 200  # an item or institution id, an endpoint glob
MAX_CODE = 64  # an error code (the request log's column)
# What http_status may be: a final reply. A 1xx is an interim one: the server, having sent
# it, closed the connection with no reply at all.
HTTP_STATUSES = (200, 599)
HEADER_FIELD_PREFIX = "Sandbox-Fault."  # how a refusal names a field of the header's rule
HEADER_MAX_DEPTH = 2  # a rule is one object, nesting one more: ``latency``
# Tokens of an endpoint glob and a gated path template, beside literal characters (which are
# single characters, so never one of these words): ``*``; ``?`` or a ``[...]`` class, counted
# as any one character; a template's ``<name>`` segment: one character other than ``/``,
# then any number more.
_STAR, _ANY, _PART, _PARTS = "star", "any", "part", "parts"


@dataclass(frozen=True)
class Context:
    """What a request is about, as far as rule matching is concerned."""

    endpoint: str
    dialect: str = "plaid"
    item_id: str | None = None
    institution_id: str | None = None


@dataclass(frozen=True)
class Action:
    """What a fired rule does to the request."""

    kind: str  # "error", "status", "drop", "truncate" or "latency" (latency only)
    latency_ms: int = 0
    error_code: str | None = None
    http_status: int | None = None


def validate(raw: Mapping[str, Any], *, field_prefix: str = "") -> dict[str, Any]:
    """A normalised rule spec, or ``InvalidField`` naming the offending field."""
    unknown = set(raw) - set(_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise errors.UnknownFields(
            f"unknown fault rule field: {name}", field=f"{field_prefix}{name}"
        )
    spec: dict[str, Any] = {"endpoint": "*", "dialect": "plaid", "trigger": "always"}
    for key, value in raw.items():
        if value is not None:
            spec[key] = _FIELDS[key](key, value, field_prefix)
    _check_action(spec, field_prefix)
    _check_code(spec, field_prefix)
    _check_trigger(spec, field_prefix)
    _check_reach(spec, field_prefix)
    return spec


def parse_header(value: str, dialect: str = "plaid") -> dict[str, Any]:
    """A one-off rule from ``Sandbox-Fault``: JSON or ``key=value`` pairs (``code=…``), for a
    call of ``dialect`` (whose codes ``code`` may name)."""
    text = value.strip()
    if text.startswith("{"):
        try:
            raw = strict_json.parse(text, HEADER_MAX_DEPTH, document="header")
        except errors.InvalidRequest as exc:  # unreadable, too deep (no RecursionError), NaN…
            raise errors.InvalidField(
                f"Sandbox-Fault: {exc.message}", field="Sandbox-Fault"
            ) from None
    else:
        raw = {}
        for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
            key, _, val = part.partition("=")
            raw[key.strip()] = val.strip() if val else True
    if not isinstance(raw, dict):
        raise errors.InvalidField("Sandbox-Fault must be a JSON object", field="Sandbox-Fault")
    raw = {"dialect": dialect, **{HEADER_ALIASES.get(k, k): v for k, v in raw.items()}}
    return validate(raw, field_prefix=HEADER_FIELD_PREFIX)


def matches(spec: Mapping[str, Any], ctx: Context) -> bool:
    """Whether the rule applies to a request (unset match fields match anything)."""
    if spec.get("dialect", "*") not in ("*", ctx.dialect):
        return False
    if not fnmatch.fnmatchcase(ctx.endpoint, spec.get("endpoint", "*")):
        return False
    return all(spec.get(key) in (None, getattr(ctx, key)) for key in ("item_id", "institution_id"))


def fires(spec: Mapping[str, Any], k: int, now: dt.datetime, seed: int) -> bool:
    """Whether the rule fires on its ``k``-th matching call (1-based) at simulated ``now``."""
    trigger = spec.get("trigger", "always")
    if trigger == "nth":
        return k == int(spec["n"])
    if trigger == "next":
        return k <= int(spec["n"])
    if trigger == "window":
        start, end = spec.get("start"), spec.get("end")
        return (start is None or _instant(start) <= now) and (end is None or now < _instant(end))
    if trigger == "probability":
        return draw(spec.get("seed", seed), k) < float(spec["probability"])
    return True


def draw(seed: int, k: int) -> float:
    """The k-th evaluation's uniform draw in [0, 1): a pure function of (seed, k)."""
    return rng_for(seed, "fault", k).random()


def action(spec: Mapping[str, Any], k: int, seed: int) -> Action:
    """The action a fired rule takes on its ``k``-th call (latency drawn for that call)."""
    latency = latency_for(spec, k, spec.get("seed", seed))
    if "error_code" in spec:
        return Action("error", latency, error_code=spec["error_code"])
    if "http_status" in spec:
        return Action("status", latency, http_status=spec["http_status"])
    for kind in ("drop", "truncate"):
        if spec.get(kind):
            return Action(kind, latency)
    return Action("latency", latency)


def latency_for(spec: Mapping[str, Any], k: int, seed: int) -> int:
    """Milliseconds to add: fixed ``latency_ms``, or a seeded draw from ``latency``."""
    if "latency_ms" in spec:
        return int(spec["latency_ms"])
    shape = spec.get("latency")
    if not shape:
        return 0
    rng = rng_for(seed, "latency", k)
    kind = shape["distribution"]
    if kind == "uniform":
        value = rng.uniform(shape["min_ms"], shape["max_ms"])
    elif kind == "normal":
        value = rng.gauss(shape["mean_ms"], shape["stddev_ms"])
    else:
        value = rng.expovariate(1 / shape["mean_ms"]) if shape["mean_ms"] else 0.0
    return max(0, min(MAX_LATENCY_MS, round(value)))


def known_codes(dialect: str) -> frozenset[str]:
    """The codes a rule for ``dialect`` may inject: the README's error table (every condition
    of the core's errors and every rate-limit code), which each dialect renders in its words,
    plus the dialect's own codes (TrueLayer's ``PROVIDER_TIMEOUT``); a rule for every dialect
    (``*``) takes only the codes all of them know."""
    shared = frozenset(_conditions()) | ratelimits.CODES
    if dialect == "*":
        return shared
    return shared | _own_codes(dialect)


def error_for(code: str, dialect: str = "plaid") -> errors.CoreError:
    """The error an injected ``code`` raises on a call of ``dialect``, as the sandbox raises it
    naturally: a rate limit of a dialect's table with a ``Retry-After`` of one window, the class
    whose ``condition`` it is, a code of the dialect's own carried by a generic error (its
    dialect renders it), or, for a code the dialect does not know (a rule stored before codes
    were checked), the documented generic ``INTERNAL_SERVER_ERROR``."""
    if code in ratelimits.CODES:
        return errors.RateLimited(code=code, retry_after=ratelimits.WINDOW_SECONDS)
    cls = errors.for_condition(code) or _conditions().get(code)
    if cls is not None:
        return cls()
    if code in _own_codes(dialect):
        return errors.InternalError(f"injected fault: {code}", code=code)
    return errors.InternalError()


def _own_codes(dialect: str) -> frozenset[str]:
    """The codes ``dialect`` registered as its own (none if it registered nothing)."""
    known = errors.DIALECT_CODES.get(dialect)
    return frozenset() if known is None else known.codes


def _conditions() -> dict[str, type[errors.CoreError]]:
    """Every error class by the condition it defines, those on top of the core's errors
    included (``shared.AdminTokenRequired``), which ``errors.for_condition`` cannot know: the
    core never imports the modules defining them."""
    found: dict[str, type[errors.CoreError]] = {errors.CoreError.condition: errors.CoreError}
    pending = list(errors.CoreError.__subclasses__())
    while pending:
        cls = pending.pop()
        if "condition" in cls.__dict__:
            found.setdefault(cls.condition, cls)
        pending.extend(cls.__subclasses__())
    return found


# -- field validators -------------------------------------------------------------------


def _text(key: str, value: Any, prefix: str, longest: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value:
        raise errors.InvalidField(f"{key} must be a non-empty string", field=prefix + key)
    if len(value) > longest:
        raise errors.InvalidField(f"{key} must be at most {longest} characters", field=prefix + key)
    return value


def _code(key: str, value: Any, prefix: str) -> str:
    """The code as stored: upper case, of ASCII letters, digits and ``_`` (the control API's
    documented pattern), checked after upper-casing, which may lengthen a code (``ß`` becomes
    ``SS``) or add characters (``ǰ`` becomes ``J`` and a combining caron)."""
    code = _text(key, value.upper() if isinstance(value, str) else value, prefix, MAX_CODE)
    if not (code.isascii() and code.replace("_", "").isalnum()):
        raise errors.InvalidField(
            f"{key} must be an error code such as ITEM_LOCKED", field=prefix + key
        )
    return code


def _dialect(key: str, value: Any, prefix: str) -> str:
    if value not in DIALECTS:
        raise errors.InvalidField(f"{key} must be 'plaid', 'truelayer' or '*'", field=prefix + key)
    return str(value)


def _int(low: int, high: int) -> Any:
    def check(key: str, value: Any, prefix: str) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: 1e400 is infinity
            number = low - 1
        if isinstance(value, bool) or not low <= number <= high or str(number) != str(value):
            raise errors.InvalidField(
                f"{key} must be an integer from {low} to {high}", field=prefix + key
            )
        return number

    return check


def _flag(key: str, value: Any, prefix: str) -> bool:
    if value in (True, "true", "1", 1):
        return True
    if value in (False, "false", "0", 0):
        return False
    raise errors.InvalidField(f"{key} must be true or false", field=prefix + key)


def _probability(key: str, value: Any, prefix: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if isinstance(value, bool) or not 0.0 <= number <= 1.0:
        raise errors.InvalidField(f"{key} must be a number from 0 to 1", field=prefix + key)
    return number


def _trigger(key: str, value: Any, prefix: str) -> str:
    if value not in TRIGGERS:
        raise errors.InvalidField(f"{key} must be one of {', '.join(TRIGGERS)}", field=prefix + key)
    return str(value)


def _instant_field(key: str, value: Any, prefix: str) -> str:
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        # In UTC it may fall outside years 1-9999 (0001-01-01T00:00+05:00): OverflowError.
        utc = when.astimezone(dt.UTC) if when.tzinfo is not None else None
    except (ValueError, OverflowError):
        utc = None
    if utc is None:
        raise errors.InvalidField(
            f"{key} must be an ISO 8601 timestamp with a time zone, in years 1-9999 in UTC",
            field=prefix + key,
        )
    return utc.isoformat()


def _distribution(key: str, value: Any, prefix: str) -> dict[str, Any]:
    field = prefix + key
    kind = value.get("distribution") if isinstance(value, dict) else None
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
        raise errors.InvalidField(
            f"{key}.distribution must be one of {', '.join(DISTRIBUTIONS)}", field=field
        )
    needed = DISTRIBUTIONS[value["distribution"]]
    if set(value) != {"distribution", *needed}:
        raise errors.InvalidField(
            f"{key} for {value['distribution']} takes exactly: {', '.join(needed)}", field=field
        )
    shape: dict[str, Any] = {"distribution": value["distribution"]}
    for name in needed:
        shape[name] = _int(0, MAX_LATENCY_MS)(name, value[name], f"{field}.")
    if shape["distribution"] == "uniform" and shape["min_ms"] > shape["max_ms"]:
        raise errors.InvalidField(f"{key}.min_ms must not exceed max_ms", field=field)
    return shape


_FIELDS: dict[str, Any] = {
    "item_id": _text,
    "institution_id": _text,
    "endpoint": _text,
    "dialect": _dialect,
    "error_code": _code,
    "http_status": _int(*HTTP_STATUSES),
    "latency_ms": _int(0, MAX_LATENCY_MS),
    "latency": _distribution,
    "drop": _flag,
    "truncate": _flag,
    "trigger": _trigger,
    "n": _int(1, 1_000_000),
    "start": _instant_field,
    "end": _instant_field,
    "probability": _probability,
    "seed": _int(0, 2**63 - 1),
}


def _check_action(spec: dict[str, Any], prefix: str) -> None:
    for flag in ("drop", "truncate"):
        if spec.get(flag) is False:
            del spec[flag]
    terminal = [key for key in TERMINAL_ACTIONS if key in spec]
    if len(terminal) > 1:
        raise errors.InvalidField(
            f"choose one of {', '.join(TERMINAL_ACTIONS)}", field=prefix + terminal[1]
        )
    if "latency_ms" in spec and "latency" in spec:
        raise errors.InvalidField("choose latency_ms or latency", field=prefix + "latency")
    if not terminal and "latency_ms" not in spec and "latency" not in spec:
        raise errors.MissingFields(
            "a fault rule needs an action: error_code, http_status, latency_ms, latency, "
            "drop or truncate",
            field=prefix + "error_code",
        )


def _check_code(spec: dict[str, Any], prefix: str) -> None:
    """An ``error_code`` must be one the rule's dialect knows: an unknown one would fail every
    matching call with a generic error pointing at no documentation. The refusal names the
    dialect and the page of its own codes as it registered them (its id if it did not)."""
    code, dialect = spec.get("error_code"), spec["dialect"]
    if code is None or code in known_codes(dialect):
        return
    known = errors.DIALECT_CODES.get(dialect) or errors.DialectCodes(name=dialect)
    words = "every dialect" if dialect == "*" else known.name
    more = f" or {known.name}'s own in upper case ({known.listed_in})" if known.codes else ""
    field = prefix + "error_code"
    raise errors.InvalidField(
        f"{field} {code} is not an error code {words} knows: use one of the README's error "
        f"table (Errors you can trigger){more}, such as ITEM_LOCKED",
        field=field,
    )


# The fields each trigger reads (``seed`` is not one: latency distributions draw from it too).
TRIGGER_FIELDS = {"n": ("nth", "next"), "probability": ("probability",), "start": ("window",)}
TRIGGER_FIELDS["end"] = TRIGGER_FIELDS["start"]


def _check_trigger(spec: dict[str, Any], prefix: str) -> None:
    trigger = spec["trigger"]
    for name, triggers in TRIGGER_FIELDS.items():
        if name in spec and trigger not in triggers:  # ``n: 3`` alone failed every call
            raise errors.InvalidField(
                f"{name} is read only by trigger {' or '.join(triggers)}, not {trigger}",
                field=prefix + name,
            )
    needs = {"nth": ("n",), "next": ("n",), "probability": ("probability",)}.get(trigger, ())
    for name in needs:
        if name not in spec:
            raise errors.MissingFields(f"trigger {trigger} needs {name}", field=prefix + name)
    if trigger == "window":
        if "start" not in spec and "end" not in spec:
            raise errors.MissingFields("trigger window needs start or end", field=prefix + "start")
        if "start" in spec and "end" in spec and spec["start"] >= spec["end"]:
            raise errors.InvalidField("start must be before end", field=prefix + "end")


def _check_reach(spec: dict[str, Any], prefix: str) -> None:
    """A rule for a dialect whose gate sees only some paths must be able to match one of them
    (stored, it would never fire), and name no connection if none of those knows one."""
    paths = errors.GATED_PATHS.get(spec["dialect"])
    if paths is None:
        return
    glob = spec["endpoint"]
    of_connection = any(_may_reach(glob, path) for path in paths.of_connection)
    if not of_connection and not any(_may_reach(glob, p) for p in paths.before_connection):
        raise errors.InvalidField(
            f"{paths.described}: endpoint {glob} matches none of them", field=prefix + "endpoint"
        )
    for key in () if of_connection else ("item_id", "institution_id"):
        if key in spec:
            raise errors.InvalidField(
                f"the gate judges {' and '.join(paths.before_connection)} before it knows the "
                f"connection: a rule for it takes no {key}",
                field=prefix + key,
            )


def _may_reach(glob: str, template: str) -> bool:
    """Whether some path matches both the endpoint ``glob`` and the gated path ``template``:
    the two token lists are walked together, each ``*`` or ``<name>`` trying to end before
    every token of the other (memoised, so a long glob of many stars stays quick)."""
    ours, theirs = _glob_tokens(glob), _template_tokens(template)

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(ours):
            return all(token == _PARTS for token in theirs[j:])
        if j == len(theirs):
            return all(token == _STAR for token in ours[i:])
        mine, other = ours[i], theirs[j]
        if mine == _STAR:
            return meet(i + 1, j) or meet(i, j + 1)
        if other == _PARTS:
            return meet(i, j + 1) or (mine != "/" and meet(i + 1, j))
        one = mine in (_ANY, other) or (other == _PART and mine != "/")
        return one and meet(i + 1, j + 1)

    return meet(0, 0)


def _glob_tokens(glob: str) -> list[str]:
    """``glob`` as fnmatch reads it; a ``[`` that opens no class is a literal."""
    tokens, i = [], 0
    while i < len(glob):
        char = glob[i]
        end = _class_end(glob, i) if char == "[" else None
        tokens.append({"*": _STAR, "?": _ANY}.get(char, _ANY if end else char))
        i = (end or i) + 1
    return tokens


def _class_end(glob: str, start: int) -> int | None:
    """Where the class opened at ``start`` closes (``[!…]``, ``[]…]`` as fnmatch reads them)."""
    i = start + 1
    i += glob.startswith("!", i)
    i += glob.startswith("]", i)
    end = glob.find("]", i)
    return end if end >= 0 else None


def _template_tokens(template: str) -> list[str]:
    first, *rest = re.split(r"<[^>/]+>", template)
    tokens = list(first)
    for piece in rest:
        tokens += [_PART, _PARTS, *piece]
    return tokens


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
