"""Running a throwaway user project through the plugin in a child pytest (pytester)."""

from __future__ import annotations

import pytest


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    """Run ``source`` as the project's test module in a child pytest process.

    A child process, because in-process runs would re-import the sandbox's modules between
    sessions and mix two copies of its classes; ``-W error`` as the project's own suite.
    """
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", *args)
