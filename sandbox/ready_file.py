"""``serve --ready-file``: the file a script polls for to learn that the sandbox listens, and
where (its URL and keys as JSON)."""

from __future__ import annotations

import json
import os
import socket
import tempfile
from urllib.parse import urlsplit

import click


class ReadyFile:
    """``serve --ready-file``: a file that names a listening server, or is absent, so a script
    polling for it (the README's ``until [ -s ready.json ]``) never reads a stale one. Several
    runs may share the path (a restart that starts the new server before stopping the old
    one, or a second ``serve`` on a taken port): each run removes only a file it wrote, or one
    whose server no longer answers."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.written: str | None = None

    def forget_stale(self) -> None:
        """Before the start: remove an earlier run's file if nothing listens at its URL, so a
        start that fails leaves no file claiming a server. One whose server answers stays: if
        this run binds, :meth:`write` replaces it; if it cannot, that server still listens."""
        text = self._read()
        if text is not None and not _answers(text):
            self._remove_if(text)

    def write(self, text: str) -> None:
        """Write then rename, so a reader polling for the file never sees half of it."""
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            with tempfile.NamedTemporaryFile(
                "w", dir=directory, delete=False, suffix=".tmp"
            ) as handle:
                handle.write(text)
            os.replace(handle.name, self.path)
        except OSError as exc:
            raise click.ClickException(f"cannot write {self.path}: {exc.strerror}") from None
        self.written = text

    def withdraw(self) -> None:
        """At the stop: remove the file if it is still the one this run wrote (a successor may
        have replaced it). Once is enough; the ``finally`` after the drain calls it again."""
        if self.written is not None:
            self._remove_if(self.written)
            self.written = None

    def _read(self) -> str | None:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise click.ClickException(f"cannot read {self.path}: {exc.strerror}") from None

    def _remove_if(self, text: str) -> None:
        if self._read() != text:
            return
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise click.ClickException(f"cannot remove {self.path}: {exc.strerror}") from None


def _answers(ready_text: str) -> bool:
    """Whether a server accepts connections at the URL a ready file names (a file that names
    none, or cannot be read as one, is an earlier run's leftover)."""
    try:
        url = urlsplit(json.loads(ready_text)["url"])
        address = (url.hostname, url.port)
    except (ValueError, TypeError, KeyError):
        return False
    if not all(address):
        return False
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError:
        return False
    return True
