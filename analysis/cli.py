"""Command line: ``python -m analysis run|synth|templates``.

A :class:`~analysis.errors.KitError` is printed as one line (``错误: …``, ``cli.error.line`` in
the vocabulary) with exit code 2; no traceback reaches the user for a problem they can fix.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.errors import KitError
from analysis.vocab import text

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    # argparse exits 2 with a usage block; keep its code but make the message one line.
    def error(self, message):
        raise KitError(text("cli.error.arguments", message=message))


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analysis", description=text("cli.description"))
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run every notebook in order for one month")
    run.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-10")
    run.add_argument("--data", help="folder of raw exports (default: params input.data_dir)")
    run.add_argument("--params", help="a YAML file of parameter overrides")
    run.add_argument("--out", help="output folder (default: outputs/<YYYY-MM>)")
    run.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: the month's last day)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override one parameter, e.g. --set rfm.window_months=6")

    synth = sub.add_parser("synth", help="generate the synthetic sample data")
    synth.add_argument("--out", default="data/raw", help="folder to write (default data/raw)")
    synth.add_argument("--customers", type=int, default=3000)
    synth.add_argument("--orders", type=int, default=60000)
    synth.add_argument("--seed", type=int, default=20240601)
    synth.add_argument("--end", default="2026-10-31", help="last order date, YYYY-MM-DD")
    synth.add_argument("--clean", action="store_true",
                       help="no injected dirt and plain formats (for benchmarks)")

    sub.add_parser("templates", help="rebuild the Excel templates in templates/")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "run":
            from analysis.runner import run_batch

            return run_batch(
                month=args.month, data_dir=args.data, params_file=args.params,
                out_dir=args.out, as_of=args.as_of, overrides=args.overrides,
            )
        if args.command == "synth":
            from analysis.sample.synth import write_sample

            paths = write_sample(
                Path(args.out), n_customers=args.customers, n_orders=args.orders,
                seed=args.seed, end=args.end, dirty=not args.clean,
            )
            for path in paths:
                print(text("cli.wrote", path=path))
            return 0
        if args.command == "templates":
            from analysis.outputs.workbooks import build_templates

            for path in build_templates():
                print(text("cli.wrote", path=path))
            return 0
    except KitError as err:
        print(text("cli.error.line", error=err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(text("cli.interrupted"), file=sys.stderr)
        return 130
    return 0
