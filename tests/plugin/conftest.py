"""The plugin's own tests run inner test sessions with pytester."""

pytest_plugins = ["pytester"]
