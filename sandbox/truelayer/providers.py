"""TrueLayer providers: how an institution of the catalogue is named to TrueLayer apps."""

from __future__ import annotations

import re
from typing import Any

from ..core.institutions import Institution

MOCK_NAME = "Mock"


def provider_of(institution: Institution) -> dict[str, Any]:
    """The ``provider`` object of an institution (TrueLayer's mock bank is ``mock``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", institution.name.lower()).strip("-")
    provider_id = "mock" if institution.name == MOCK_NAME else f"ob-{slug}"
    return {
        "provider_id": provider_id,
        "display_name": institution.name,
        "logo_uri": f"https://truelayer-provider-assets.s3.amazonaws.com/global/logos/{provider_id}.svg",
    }
