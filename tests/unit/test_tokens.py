"""Request ids: Plaid's shape, and every character drawn from the whole alphabet."""

from __future__ import annotations

import re
import string

from sandbox.core import tokens


def test_request_ids_are_15_alphanumerics_spread_over_the_whole_alphabet() -> None:
    ids = [tokens.request_id() for _ in range(3000)]
    assert all(re.fullmatch(r"[A-Za-z0-9]{15}", request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)
    alphabet = set(string.ascii_letters + string.digits)
    for position in range(15):  # 3000 draws miss a given character with odds of about 1e-22
        assert {request_id[position] for request_id in ids} == alphabet, position
