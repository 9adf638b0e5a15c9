"""TrueLayer connections on the dashboard: which app holds consent to which item, until when.

An app is named as the auth dialog names it: its client's display name, with the client id
beneath it (the id alone when it has none).

Listed on the overview beside the items (``connection_rows``); revoking one here does what
the app's ``DELETE /api/delete`` does: its tokens stop working and its item is removed.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response as WerkzeugResponse

from ...core import institutions
from ..blueprint import bp
from .session import attempt, back, bank, signed_in


def connection_rows() -> list[dict[str, Any]]:
    """Every consent of the tenant with its bank, its status now and the name its app goes
    by (the client's display name, as the auth dialog shows it; None: the client id), newest
    first."""
    grants = bank().grants
    app_names = {c.client_id: c.display_name for c in grants.clients()}
    return [
        {
            "consent": consent,
            "status": status,
            "bank": institutions.get(consent.item.institution_id),
            "app_name": app_names.get(consent.client_id),
        }
        for consent, status in grants.connections()
    ]


@bp.post("/dashboard/connections/<consent_id>/revoke")
@signed_in
def dashboard_connection_revoke(consent_id: str) -> WerkzeugResponse:
    """Revoke a connection as its app would (``DELETE /api/delete``)."""

    def revoke() -> str:
        consent = bank().grants.revoke(consent_id)
        return f"Revoked {consent.id}; its tokens now fail with invalid_token."

    attempt(revoke)
    return back("web.dashboard_overview")
