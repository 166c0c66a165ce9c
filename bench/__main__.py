"""`python -m bench [--quick]`: run the benchmarks, print the results and keep them in
bench/results/latest.txt."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import booking_screen, calendar, diary, load, slots, week

RESULTS = Path(__file__).resolve().parent / "results" / "latest.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N up to 10,000 only, 10 s of load (a fast run)")
    parser.add_argument("--only", choices=["slots", "calendar", "diary", "week", "booking", "load"],
                        help="run one benchmark")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per endpoint (default 60)")
    args = parser.parse_args(argv)
    reports = []
    if args.only in (None, "slots"):
        reports.append(slots.run(slots.QUICK_SIZES if args.quick else slots.SIZES, progress=sys.stderr))
    if args.only in (None, "diary"):
        reports.append(diary.run(progress=sys.stderr))
    if args.only in (None, "week"):
        reports.append(week.run(progress=sys.stderr))
    if args.only in (None, "booking"):
        reports.append(booking_screen.run(progress=sys.stderr))
    if args.only in (None, "calendar"):
        reports.append(calendar.run(progress=sys.stderr))
    if args.only in (None, "load"):
        reports.append(load.run(10 if args.quick else args.duration, progress=sys.stderr))
    report = "\n\n".join(reports)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report + "\n", encoding="utf-8")
    print(f"\n(written to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
