"""Hosted Link: the link token configuration (``config``) and the steps a user walks
through (``flow``: ``bank.link``)."""
