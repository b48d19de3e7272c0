"""Command line: `python3 -m fabricbench report|export|baseline|best-vs-mpi ...`.

`fabricbench report` and `fabricbench export` (the C++ executable) hand over to this module.
Exit codes follow the executable's: 0 ok, 1 failure, 2 bad input (a file that cannot be read,
a bad option).
"""
from __future__ import annotations

import argparse
import re
import sys

from . import baseline
from .export import default_directory, export
from .load import ResultsFileError, load
from .report import ReportOptions, write_report

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
RATE = re.compile(r"^\s*([0-9.]+)\s*(Gb|GB|Gbps|GBps|Gbit|Gb/s|GB/s)\s*$")


def parse_rate_GBps(text):
    """`100Gb` (gigabits per second) or `12.5GB` (gigabytes per second) in GB/s."""
    match = RATE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not a rate such as 100Gb or 12.5GB")
    value, unit = float(match.group(1)), match.group(2)
    return value if unit.startswith("GB") else value / 8


def parse_sizes(text):
    try:
        return baseline.parse_sizes(text)
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of sizes such as 8,64K,16M")


def build_parser():
    parser = argparse.ArgumentParser(prog="fabricbench", description="fabricbench results in "
                                     "pandas: the HTML report, flat exports and text tables")
    commands = parser.add_subparsers(dest="command", required=True)

    report = commands.add_parser("report", help="write one self-contained HTML report")
    report.add_argument("files", nargs="+", metavar="FILE.h5")
    report.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    report.add_argument("--format", dest="figure_format", choices=["png", "svg", "pdf"],
                        default=None, help="also write every figure in this format "
                        "(into --figures, default: next to the report)")
    report.add_argument("--figures", dest="figures_dir", default=None,
                        help="folder for the figures written on their own")
    report.add_argument("--line-rate", type=parse_rate_GBps, default=None,
                        help="line rate for the bandwidth plots, e.g. 400Gb or 50GB "
                        "(default: the one the file records for p2p, if any)")
    report.add_argument("--profile", default=None,
                        help="qualify profile for files that record no verdicts (default: "
                        "generic at the line rate, when one is known)")
    report.add_argument("--sizes", type=parse_sizes, default=None,
                        help="sizes for the latency distributions, e.g. 8,4K,1M")
    report.add_argument("--fabricbench", dest="executable", default=None,
                        help="the fabricbench executable for the verdicts (default: "
                        "$FABRICBENCH_EXE, then PATH)")
    report.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    exp = commands.add_parser("export", help="flat CSV or JSON files of every frame")
    exp.add_argument("file", metavar="FILE.h5")
    exp.add_argument("--format", choices=["csv", "json"], default="csv")
    exp.add_argument("-o", "--output", default=None,
                     help="folder to write into (default: FILE-export next to the file)")

    base = commands.add_parser("baseline", help="every series against a baseline algorithm")
    base.add_argument("file", metavar="FILE.h5")
    base.add_argument("--baseline", default="mpi", help="algorithm of the baseline series")
    base.add_argument("--sizes", type=parse_sizes, default=None, help="e.g. 8,16M,64M")

    best = commands.add_parser("best-vs-mpi", help="our fastest algorithm against MPI's")
    best.add_argument("file", metavar="FILE.h5")
    best.add_argument("--sizes", type=parse_sizes, default=None, help="e.g. 8,64K,16M")
    return parser


def run(args):
    if args.command == "report":
        figure_format = args.figure_format
        figures_dir = args.figures_dir
        if figure_format and not figures_dir:
            figures_dir = args.output.rsplit(".", 1)[0] + "-figures"
        options = ReportOptions(files=args.files, output=args.output,
                                line_rate_GBps=args.line_rate, sizes=args.sizes,
                                figures_dir=figures_dir, figure_format=figure_format or "png",
                                executable=args.executable, profile=args.profile,
                                progress=None if args.quiet else sys.stderr)
        output, written = write_report(options)
        print(f"report: {output}" + (f" and {len(written)} figures in {figures_dir}"
                                     if written else ""))
    elif args.command == "export":
        directory = args.output or default_directory(args.file)
        written = export(load(args.file), directory, args.format)
        print(f"export: {len(written)} files in {directory}")
    elif args.command == "baseline":
        print(baseline.format_baseline(load(args.file), args.baseline, args.sizes))
    elif args.command == "best-vs-mpi":
        print(baseline.format_best_vs_mpi(load(args.file), args.sizes))
    return EXIT_OK


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except ResultsFileError as e:
        print(f"fabricbench {args.command}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except LookupError as e:
        print(f"fabricbench {args.command}: error: {e.args[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:
        print(f"fabricbench {args.command}: error: {e}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
