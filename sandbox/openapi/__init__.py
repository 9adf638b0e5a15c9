"""OpenAPI: the document served at ``/openapi.json`` and the trimmed copy of Plaid's."""
