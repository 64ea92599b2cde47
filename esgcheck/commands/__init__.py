"""The commands of ``esgcheck``, one module per command group.

esgcheck.cli lists them and imports a command's module only when that command
runs (or its own help is asked for), so ``esgcheck --help`` and
``esgcheck --version`` load none of the checker. Each module imports the
library it calls (the checker, the renderers, the store) inside the command,
for the same reason: ``esgcheck check --help`` needs click alone.
"""
