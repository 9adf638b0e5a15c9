"""URL rules whose reverse builders are compiled at their first ``url_for``, not at start.

werkzeug compiles two Python functions per rule (``exec`` of a generated AST) when the
rule is added, to build URLs; matching a request never uses them. Compiling them for all
of the sandbox's routes was a quarter of ``create_app``, and most rules are never built
in a process (only pages and redirects call ``url_for``). ``LazyBuilderRule`` keeps
everything else werkzeug does at ``bind`` and compiles a builder the first time a URL is
built from the rule, then replaces itself with the compiled one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A werkzeug ``Rule`` that compiles each URL builder on first use (``url_rule_class``)."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_now = super()._compile_builder
        attribute = "_build_unknown" if append_unknown else "_build"

        def build(rule: LazyBuilderRule, /, **values: Any) -> tuple[str, str]:
            """Compile the real builder, keep it in place of this one, and build with it."""
            compiled: Callable[..., tuple[str, str]] = compile_now(append_unknown).__get__(rule)
            setattr(rule, attribute, compiled)
            return compiled(**values)

        return build
