"""The catalogue as data: installed as the ``sandbox._seeds`` package (see pyproject.toml)."""
