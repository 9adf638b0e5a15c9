"""The server ``bank-sandbox serve`` runs: werkzeug's threaded server, stopped gracefully.

werkzeug's request threads are daemons that nothing waits for, so a process that left
``serve_forever`` cut off every call in flight (``docker stop`` reset a slow call's
connection). ``DrainingServer.drain`` is the graceful stop gunicorn's workers make on
SIGTERM: the listener is already closed, connections that have sent nothing yet (a
browser's preconnect) are closed, and the calls in flight finish, within a grace period.
werkzeug closes every connection after one reply, so there are no keep-alive ones to close.
"""

from __future__ import annotations

import selectors
import socket
import threading
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer

from .security import RedactingRequestHandler

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class DrainingServer(ThreadedWSGIServer):
    """A threaded server that knows its open connections and which have begun a request."""

    def __init__(self, host: str, port: int, app: WSGIApplication, fd: int | None = None) -> None:
        super().__init__(host, port, app, handler=DrainingRequestHandler, fd=fd)
        self._changed = threading.Condition()
        self._in_request: dict[socket.socket, bool] = {}  # every open connection

    def process_request(self, request: Any, client_address: Any) -> None:
        """Count the connection before its thread starts, so ``drain`` waits for it."""
        with self._changed:
            self._in_request[request] = False
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """The connection is done (its thread's last step, or a thread that failed to start)."""
        super().shutdown_request(request)
        with self._changed:
            self._in_request.pop(request, None)
            self._changed.notify_all()

    def request_begun(self, connection: socket.socket) -> None:
        """A request line arrived on ``connection``: ``drain`` waits for its reply."""
        with self._changed:
            self._in_request[connection] = True

    def drain(self, grace: float) -> int:
        """Close the connections that have not begun a request and wait, at most ``grace``
        seconds, for the others to answer theirs; how many were still open at the deadline.

        A connection whose request has already arrived (readable) is left to answer it.
        """
        with self._changed:
            idle = [conn for conn, begun in self._in_request.items() if not begun]
            for connection in set(idle) - _readable(idle):
                with suppress(OSError):  # closed meanwhile
                    connection.shutdown(socket.SHUT_RDWR)  # its thread reads the end, leaves
            self._changed.wait_for(lambda: not self._in_request, timeout=grace)
            return len(self._in_request)


def _readable(connections: list[socket.socket]) -> set[socket.socket]:
    """The connections with something to read now (a request, or the client's end)."""
    with selectors.DefaultSelector() as selector:
        for connection in connections:
            with suppress(OSError, ValueError):  # closed meanwhile by its thread
                selector.register(connection, selectors.EVENT_READ)
        return {key.fileobj for key, _events in selector.select(0)}  # type: ignore[misc]


class DrainingRequestHandler(RedactingRequestHandler):
    """Tells the server when a connection has begun a request."""

    server: DrainingServer

    def parse_request(self) -> bool:
        """A request line arrived: the connection is in a request."""
        self.server.request_begun(self.connection)
        return super().parse_request()
