"""HEAD on the Data API costs none of the unattended quota; ``DELETE /api/delete`` answers
200 with no content, as TrueLayer's OpenAPI file says ("There is no response body")."""

from __future__ import annotations

from .auth_helpers import AuthDialog
from .auth_helpers import tl_auth as tl_auth  # the fixture
from .conftest import TrueLayerData


def test_head_requests_leave_the_unattended_quota_alone(
    truelayer: TrueLayerData, token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}  # no X-PSU-IP: the user is not there
    for _ in range(6):
        head = truelayer.http.head("/data/v1/accounts", headers=auth)
        assert head.status_code == 200 and head.data == b""
    for _ in range(4):
        assert truelayer.get("/accounts", token, present=False).status_code == 200
    refused = truelayer.get("/accounts", token, present=False)
    assert refused.get_json()["error"] == "provider_request_limit_exceeded"


def test_delete_answers_200_without_content_or_a_content_type(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    deleted = tl_auth.bearer("DELETE", "/api/delete", tokens["access_token"])
    assert (deleted.status_code, deleted.data) == (200, b"")
    assert "Content-Type" not in deleted.headers
    assert deleted.headers.get("Content-Length") == "0"
