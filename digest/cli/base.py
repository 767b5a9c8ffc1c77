"""The `digest` command group and what every command shares: `--config` and
`-v`, the façade opened and closed around each command, and a `DigestError`
turned into one line on stderr and its exit code, never a traceback (`-vv`
shows it, for bug reports)."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..config import find_config_path, load_config
from ..core import open_digest
from ..errors import DigestError

F = TypeVar("F", bound=Callable[..., Any])


def _configure_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)


def pass_digest(command: F) -> F:
    """Give a command `--config` and `-v`, open the façade for it and close it after."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=CONFIG_HELP,
    )
    @click.option("-v", "--verbose", count=True, help="Say more (-vv: tracebacks too).")
    @functools.wraps(command)
    def wrapper(config_path: Path | None, verbose: int, **kwargs: Any) -> Any:
        # `digest feeds --config X list` works as well as `digest feeds list --config X`.
        config_path = config_path or _from_parent("config_path")
        verbose = verbose or _from_parent("verbose") or 0
        _configure_logging(verbose)
        try:
            path, reason = find_config_path(config_path, os.environ, Path.cwd())
            if verbose:
                click.echo(f"using config {path} (from {reason})", err=True)
            config = load_config(path)
            with open_digest(config) as digest:
                return command(digest, **kwargs)
        except DigestError as exc:
            if verbose > 1:
                logging.exception("details")
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def _from_parent(name: str) -> Any:
    context = click.get_current_context().parent
    while context is not None:
        if context.params.get(name):
            return context.params[name]
        context = context.parent
    return None


CONFIG_HELP = "Config file. Default: $DIGEST_CONFIG, ./digest.toml, then ./digest.example.toml."


def group_options(group: F) -> F:
    """`--config` and `-v` on a command group, so they may come before its
    subcommand (`digest feeds --config X list`); `pass_digest` reads them."""
    config = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=CONFIG_HELP,
    )
    verbose = click.option("-v", "--verbose", count=True, help="Say more (-vv: tracebacks too).")
    return config(verbose(group))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="press-digest", prog_name="digest")
def cli() -> None:
    """press-digest: pull news feeds, file stories under repression topics,
    and build an email digest for journalists, diplomats and supporters."""
