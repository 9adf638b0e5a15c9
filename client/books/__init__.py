"""The user's books: categories, payees, rules, notes, overrides and manual transactions."""

from client.books.books import Books
from client.books.errors import BooksError, NotFoundError
from client.books.queries import TransactionView

__all__ = ["Books", "BooksError", "NotFoundError", "TransactionView"]
