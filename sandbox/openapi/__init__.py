"""OpenAPI: the document served at ``/openapi.json``, the trimmed copy of Plaid's and TrueLayer's
documents (read by the TrueLayer contract sweep)."""
