"""Data calls answered later (``bank.tasks``): the reply kept for its results URI, and the
webhook that says it is ready.

The call runs at once; what is deferred is the answer. Its reply (status and exact body) is
kept for the connection that asked, and only that connection reads it back, until it expires
on the tenant's clock. A ``webhook`` URL gets the dialect's notice through the outbox, signed
the dialect's way, in the same transaction as the kept reply.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import AsyncTask, Item, Tenant
from ..tenants import clock_of
from .outbox import emit_worded
from .signing import RequestSignature

# How long a reply is kept on the tenant's clock (its provider documents no limit).
KEPT_FOR = dt.timedelta(days=7)
SUCCEEDED, FAILED = "Succeeded", "Failed"


@dataclass(frozen=True)
class Notice:
    """The webhook a finished task sends: where, its body and how it is signed."""

    url: str
    body: str
    signature: RequestSignature


class Tasks:
    """One tenant's answered-later calls, on the bank's session."""

    def __init__(self, session: Session, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant

    @staticmethod
    def new_id() -> str:
        """A fresh task id (a UUID, as results URIs carry it)."""
        return str(uuid.uuid4())

    def keep(
        self,
        task_id: str,
        item: Item,
        credentials_id: str,
        reply: tuple[int, str],
        notice: Notice | None,
    ) -> AsyncTask:
        """Keep ``reply`` (HTTP status, body) as the task's result, and queue ``notice``.

        A 2xx reply is ``Succeeded``, any other ``Failed``. The connection's expired tasks are
        dropped here, so the table holds only what can still be read."""
        now = clock_of(self.tenant).now()
        self.session.execute(
            delete(AsyncTask).where(AsyncTask.item_pk == item.pk, AsyncTask.expires_at <= now)
        )
        status, body = reply
        task = AsyncTask(
            task_id=task_id,
            tenant_id=self.tenant.id,
            item_pk=item.pk,
            credentials_id=credentials_id,
            status=SUCCEEDED if 200 <= status < 300 else FAILED,
            http_status=status,
            body=body,
            created_at=now,
            expires_at=now + KEPT_FOR,
        )
        self.session.add(task)
        if notice is not None:
            kind = ("ASYNC_TASK", task.status.upper())
            emit_worded(
                self.session, self.tenant, item, notice.url, kind, notice.body, notice.signature
            )
        self.session.flush()
        return task

    def result(self, task_id: str, credentials_id: str) -> AsyncTask:
        """The kept reply of ``task_id``, for the connection that asked only: another
        connection's task, an unknown or an expired one is ``NotFound`` alike."""
        task = self.session.scalar(
            select(AsyncTask).where(
                AsyncTask.task_id == task_id,
                AsyncTask.tenant_id == self.tenant.id,
                AsyncTask.credentials_id == credentials_id,
            )
        )
        if task is None or task.expires_at <= clock_of(self.tenant).now():
            raise NotFound(f"no results for task {task_id} on this connection", field="task_id")
        return task
