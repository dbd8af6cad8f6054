"""How the package meets Luigi's own command line: its defaults, and user errors as sentences.

``luigi --module pipeline CleanAll`` imports the package, so what is set up here applies to
that command and to ``pipeline run`` alike, from any working folder.
"""
from __future__ import annotations

import logging
import os

DEFAULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "defaults.cfg")


class InputError(FileNotFoundError):
    """A folder or file the user named is not there: said in one sentence, no traceback."""


def install_luigi_defaults() -> None:
    """Put ``defaults.cfg`` first in Luigi's list of config files: a working folder without a
    ``luigi.cfg`` still gets the local scheduler and the ``[retcode]`` exit codes (without
    them Luigi retries ``localhost:8082`` for a minute and exits 0 on failure), and a
    ``luigi.cfg`` there or ``LUIGI_CONFIG_PATH`` still overrides it (both are read later)."""
    from luigi.configuration import LuigiConfigParser

    if DEFAULTS not in LuigiConfigParser._config_paths:
        LuigiConfigParser._config_paths.insert(0, DEFAULTS)
        if LuigiConfigParser._instance is not None:  # luigi read its files on import: again, in order
            LuigiConfigParser.reload()


class _UserErrors(logging.Filter):
    """Luigi logs an exception raised while scheduling with its traceback (as ``exc_info``, or
    formatted into the message); an InputError is the user's to fix: its message alone."""

    MARK = f"{__name__}.InputError: "

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, InputError):
            record.msg, record.args = f"pipeline: {exc}", ()
            record.exc_info = record.exc_text = None
        elif isinstance(record.msg, str) and self.MARK in record.msg:
            last = record.msg.rsplit(self.MARK, 1)[1].strip().splitlines()[0]
            record.msg, record.args = f"pipeline: {last}", ()
        return True


def install_error_filter() -> None:
    logger = logging.getLogger("luigi-interface")
    if not any(isinstance(f, _UserErrors) for f in logger.filters):
        logger.addFilter(_UserErrors())
