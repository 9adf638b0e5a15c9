"""Rows of a correlated read as one JSON column of another statement.

On PostgreSQL every statement is a round trip that costs the server and the worker more
than the rows it returns; a call that needs a few rows of one table beside the one row it
reads anyway (an item's accounts, with its tenant and access token) reads them as one
column of that row instead of in a second statement. Joining them instead would repeat the
row once per account, and parsing its columns again costs more than the statement saved.

Aggregates order their input only from SQLite 3.44 on, so each element carries the key it
sorts by first, and ``decode`` sorts and strips it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class _ArrayOfArrays(FunctionElement[Any]):
    """An aggregate: one JSON array per row, all in one JSON array (null over no row on
    PostgreSQL, ``[]`` on SQLite)."""

    type = JSON()
    inherit_cache = True


@compiles(_ArrayOfArrays, "postgresql")
def _postgresql(element: _ArrayOfArrays, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(_ArrayOfArrays, "sqlite")
def _sqlite(element: _ArrayOfArrays, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


def column(
    order: ColumnElement[Any], columns: Sequence[ColumnElement[Any]], where: ColumnElement[bool]
) -> Any:
    """A scalar subquery: the rows ``where`` selects, each as ``[order, *columns]``, in one
    JSON array (``decode`` reads it back in ``order``)."""
    return select(_ArrayOfArrays(order, *columns)).where(where).scalar_subquery()


def decode(value: list[list[Any]] | None, make: Callable[[Sequence[Any]], Any]) -> list[Any]:
    """The rows of a ``column`` value in their order, each made by ``make`` from its columns."""
    return [make(element[1:]) for element in sorted(value or (), key=lambda row: row[0])]
