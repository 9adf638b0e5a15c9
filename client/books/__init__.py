"""The user's books: categories, payees, rules, notes, overrides and manual transactions."""
