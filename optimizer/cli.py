"""The ``debtplan`` command line: validate, solve, compare and batch-run scenario files.

Exit codes: 0 done; 1 the debts cannot be cleared within the horizon (the best plan and the
diagnosis are still printed and written); 2 bad input (one line on stderr naming the file, the
loan and the field); 3 an internal check failed (a bug: please report it with the scenario).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd

from .errors import DebtplanError
from .export import plan_table, write_csv
from .planner import ALL_STRATEGIES, PlanSummary, compare, make_plan, summarize
from .scenario import load_scenario
from .solve import PlanResult, PlanStatus

EXIT_OK, EXIT_NOT_CLEARED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2) like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def yuan(x: float | None) -> str:
    return "—" if x is None else f"¥{x:,.2f}"


def _exit_code(result: PlanResult) -> int:
    if result.check_problems:
        return EXIT_INTERNAL
    if result.status in (PlanStatus.NOT_CLEARED, PlanStatus.ESSENTIALS_UNCOVERED):
        return EXIT_NOT_CLEARED
    return EXIT_OK


def _print_plan(result: PlanResult, summary: PlanSummary, show_months: int) -> None:
    ledger = result.ledger
    terms = ledger.terms
    print(f"Strategy: {result.strategy}   Status: {result.status.value}")
    if result.diagnosis:
        print(result.diagnosis)
    free = summary.debt_free_month
    print(
        f"Debt-free: {free + f' (month {summary.months_to_debt_free})' if free else 'not within the horizon'}"
        f"   Total paid: {yuan(summary.total_paid)}   Interest: {yuan(summary.interest)}"
        f"   Penalty interest: {yuan(summary.penalty)}   Left at horizon: {yuan(summary.left_at_horizon)}"
    )
    frame = pd.DataFrame(ledger.payments.T, columns=list(terms.names), index=list(terms.months))
    frame["saved"] = ledger.cash[1:]
    last = max(summary.months_to_debt_free or terms.horizon, 1)
    frame = frame.iloc[: min(last, show_months)]
    print("\nPayments per month (yuan; exact figures to the fen are in the CSV):")
    print(frame.map(lambda v: f"{v:,.0f}").to_string())
    if last > show_months:
        print(f"… {last - show_months} more months in the CSV (--out plan.csv)")
    for problem in result.check_problems:
        print(f"internal check failed: {problem}", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for path in args.scenarios:
        try:
            scenario = load_scenario(path)
        except DebtplanError as exc:
            print(f"{exc}", file=sys.stderr)
            code = EXIT_BAD_INPUT
            continue
        total = sum(loan.total_owed for loan in scenario.loans)
        print(f"{path}: ok — {len(scenario.loans)} loans, {yuan(total)} owed, {scenario.horizon_months} months from {scenario.start:%Y-%m}")
    return code


def cmd_solve(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    result = make_plan(scenario, args.strategy)
    summary = summarize(result)
    _print_plan(result, summary, args.months)
    code = _exit_code(result)
    if args.out and code != EXIT_INTERNAL:
        write_csv(plan_table(result.strategy, result.ledger), args.out)
        print(f"\nPlan written to {args.out}")
    return code


def _comparison_text(table: pd.DataFrame) -> str:
    shown = table[["strategy", "status", "total_paid", "interest", "penalty", "debt_free",
                   "left_at_horizon", "overdue_yuan_months_lawsuit", "overdue_yuan_months_credit",
                   "overdue_yuan_months_collection", "weighted_cost"]].copy()
    shown.columns = ["plan", "status", "total paid", "interest", "penalty", "debt-free", "left",
                     "overdue ¥·mo sued", "¥·mo credit", "¥·mo collection", "weighted cost"]
    for col in shown.columns[2:]:
        if col != "debt-free":
            shown[col] = shown[col].map(lambda v: f"{v:,.0f}")
    return shown.to_string(index=False)


def cmd_compare(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    comparison = compare(scenario)
    table = comparison.table()
    optimal = comparison.results["optimal"]
    print(f"Scenario: {scenario.title or args.scenario}")
    if optimal.diagnosis:
        print(optimal.diagnosis)
    print(_comparison_text(table))
    best = comparison.summaries["optimal"]
    others = [s for k, s in comparison.summaries.items() if k != "optimal"]
    runner_up = min(others, key=lambda s: s.weighted_cost)
    print(
        f"\nThe optimal plan's weighted cost is {yuan(best.weighted_cost)}; the best rule of thumb "
        f"({runner_up.strategy}) costs {yuan(runner_up.weighted_cost)}."
    )
    if args.out:
        write_csv(table, args.out)
        print(f"Comparison written to {args.out}")
    return _exit_code(optimal)


def _batch_one(path: str, out_dir: str) -> dict:
    try:
        scenario = load_scenario(path)
        result = make_plan(scenario, "optimal")
    except DebtplanError as exc:
        return {"scenario": path, "status": "bad input", "exit_code": EXIT_BAD_INPUT, "message": str(exc)}
    summary = summarize(result)
    code = _exit_code(result)
    if code != EXIT_INTERNAL:
        write_csv(plan_table("optimal", result.ledger), Path(out_dir) / f"{Path(path).stem}.plan.csv")
    return {
        "scenario": path,
        "status": result.status.value,
        "exit_code": code,
        "debt_free": summary.debt_free_month or "not within horizon",
        "total_paid": summary.total_paid,
        "left_at_horizon": summary.left_at_horizon,
        "extra_monthly_to_clear": result.extra_monthly,
        "weighted_cost": summary.weighted_cost,
        "message": result.diagnosis or "; ".join(result.check_problems),
    }


def cmd_batch(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"{folder}: not a folder of scenario files", file=sys.stderr)
        return EXIT_BAD_INPUT
    paths = sorted(str(p) for p in folder.glob("*.toml"))
    if not paths:
        print(f"{folder}: no *.toml scenario files in it", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    workers = args.jobs or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_batch_one, p, str(out)) for p in paths]
        for k, future in enumerate(as_completed(futures), 1):
            row = future.result()
            rows.append(row)
            if not args.quiet:
                print(f"[{k}/{len(paths)}] {Path(row['scenario']).name}: {row['status']}", file=sys.stderr)
    table = pd.DataFrame(rows).sort_values("scenario")
    write_csv(table, out / "summary.csv")
    counts = table["status"].value_counts().to_dict()
    print(f"{len(paths)} scenarios → {out}/ ({', '.join(f'{v} {k}' for k, v in counts.items())}); summary in {out / 'summary.csv'}")
    return int(table["exit_code"].max())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="debtplan",
        description="Plan repayments of several overdue loans: essentials first, the worst harms avoided first.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check scenario files and say what is wrong")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="TOML scenario file(s)")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("solve", help="make one plan and print it (optionally write it as CSV)")
    p.add_argument("scenario", metavar="SCENARIO", help="TOML scenario file")
    p.add_argument("--strategy", default="optimal", choices=ALL_STRATEGIES,
                   help="optimal (the LP) or a rule of thumb; default: optimal")
    p.add_argument("--out", metavar="PLAN.csv", help="write the plan as CSV (UTF-8 with BOM)")
    p.add_argument("--months", type=int, default=24, help="months to print (default 24)")
    p.set_defaults(run=cmd_solve)

    p = sub.add_parser("compare", help="compare the optimal plan with every rule of thumb")
    p.add_argument("scenario", metavar="SCENARIO", help="TOML scenario file")
    p.add_argument("--out", metavar="COMPARE.csv", help="write the comparison as CSV")
    p.set_defaults(run=cmd_compare)

    p = sub.add_parser("batch", help="solve every scenario in a folder, using all cores")
    p.add_argument("folder", metavar="DIR", help="folder of *.toml scenarios")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the plan CSVs and summary.csv")
    p.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no per-scenario progress lines")
    p.set_defaults(run=cmd_batch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DebtplanError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
