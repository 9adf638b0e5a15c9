"""Adapters from provider data to one local model (the same one CSV import produces)."""
