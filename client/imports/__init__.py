"""Importing bank files (CSV in the banks' layouts, OFX/QFX) into the local model.

``client.imports.importer.import_file`` is the library call behind ``bank-client import``.
Rows land in the same tables as API transactions, with category mapping, payee and rules;
dedup against every source means a re-import, an overlapping file or a later API sync never
doubles a transaction. This package imports nothing eagerly, so the sync engine's hook
(``client.imports.adopt``) can import it without a cycle.
"""
