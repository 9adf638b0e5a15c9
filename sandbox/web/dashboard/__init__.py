"""The dashboard: a tenant's clock, items, balances, webhooks and faults in a browser.

A web dialect like Link: each view parses a form, calls the core and renders; every POST
checks the CSRF token and redirects (post/redirect/get) with a flash message. Signing in
takes the tenant's ``client_id`` and secret; the signed session keeps only the tenant id.

| path (under ``/dashboard``) | shows / does |
|---|---|
| ``/login``, ``/logout`` | sign in with a tenant's keys / sign out |
| ``/`` | the simulated clock (advance, freeze), the items and TrueLayer connections |
| ``/connections/<consent_id>/revoke`` | revoke a TrueLayer connection |
| ``/items/<item_id>`` | balances with a 90-day sparkline, paged transactions, webhooks |
| ``/items/<item_id>/remove`` | asks before removing the item |
| ``/transactions`` | the explorer: every item's transactions, filtered, sorted, paged |
| ``/try-link`` | open hosted Link for this tenant; the public token; its exchange (``/result``) |
| ``/webhooks``, ``/webhooks/<id>`` | the delivery log; one event with every attempt |
| ``/faults`` | fault rules, institution health, the fault request log |
"""

from . import connections, explorer, faults, overview, try_link, webhooks, words

__all__ = ["connections", "explorer", "faults", "overview", "try_link", "webhooks", "words"]
