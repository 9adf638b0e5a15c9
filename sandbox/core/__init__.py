"""The simulated bank: plain Python over SQLAlchemy, no Flask imports.

Dialects (``sandbox.plaid`` and friends) call ``Bank`` in ``bank.py``; everything
below it takes plain values and raises ``CoreError`` subclasses from ``errors.py``.
"""
