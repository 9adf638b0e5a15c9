"""``python -m sandbox serve --host 127.0.0.1 --port 8000``."""

from .cli import main

main()
