"""``python -m crmsim.experiments``: the sweep, report and rerun subcommands on their own.

The project's CLI (``crmsim``) adds the same subcommands with
``experiments.commands.register``; this entry point exists so the experiment
tools can be run (and tested as real processes) without it.
"""

from __future__ import annotations

import argparse
import sys

from crmsim.experiments.commands import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crmsim.experiments",
                                     description="Sweeps of crmsim runs: run, save, then analyse.")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
