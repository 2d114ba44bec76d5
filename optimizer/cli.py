"""The ``debtplan`` command line: validate, solve, compare and batch-run scenario files.

Exit codes, each meaning one thing: 0 done; 1 the plan leaves debts owed at the horizon (the
best plan and the diagnosis are still printed and written); 2 bad input (one line on stderr
naming the file, the loan and the field; nothing written); 3 a bug: an internal check failed or
an unexpected error (one line on stderr, no traceback). 130: interrupted (Ctrl-C).

Long runs say so on stderr: batch prints a line per scenario, and a scenario past
:data:`PROGRESS_FROM` loan-months (or any compare or targets run that lasts) prints what it is
doing and, every :data:`HEARTBEAT_SECONDS`, that it is still working.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import (
    BatchFolderEmpty,
    BatchFolderMissing,
    DebtplanError,
    DeleteNotConfirmed,
    InternalCheckFailed,
    InternalError,
    OutputError,
    shown,
)
from .export import check_output, plan_table, write_csv
from .negotiate import DEFAULT_SETTLE_BY, Targets, negotiation_targets
from .planner import (
    AGREED_RECORD_NOTE,
    ALL_STRATEGIES,
    BEFORE_PLAN,
    NEGOTIATED,
    PlanSummary,
    compare,
    credit_records,
    make_plan,
    new_triggers,
    reported_already_likely,
    short_of_contract,
    summarize,
)
from .scripts import months_in_words, script, who
from .scenario import Scenario, load_scenario
from . import solve as solve_module
from .solve import PlanResult, PlanStatus

EXIT_OK, EXIT_NOT_CLEARED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
# Loan-months from which a plan takes seconds rather than a blink (bench/: 50 loans × 120
# months solve in about 0.2 s, compare in about 8 s): say what is being done before starting.
PROGRESS_FROM = 6_000
# Seconds between "still working" lines once a run has lasted that long.
HEARTBEAT_SECONDS = 10.0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2) like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def yuan(x: float | None) -> str:
    return "—" if x is None else f"¥{x:,.2f}"


def _exit_code(result: PlanResult) -> int:
    """3 if a check failed; 1 if the plan leaves debts owed at the horizon (also when the weights
    chose to leave them although clearing was possible: "cleared" ⇔ exit 0 ⇔ the CSV owes 0.00)
    or breaks an agreement; else 0."""
    if result.check_problems:
        return EXIT_INTERNAL
    if result.status is PlanStatus.AGREEMENTS_UNAFFORDABLE or result.ledger.leftover > 0:
        return EXIT_NOT_CLEARED
    return EXIT_OK


def _non_negative(text: str) -> int:
    return _whole(text, 0)


def _positive(text: str) -> int:
    return _whole(text, 1)


def _horizon(text: str) -> int:
    from .scenario import MAX_HORIZON_MONTHS

    value = _whole(text, 1)
    if value > MAX_HORIZON_MONTHS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_HORIZON_MONTHS} months, got {value}")
    return value


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {shown(text)!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def _size(scenario: Scenario) -> str:
    return f"{len(scenario.loans)} loans × {scenario.horizon_months} months"


@contextmanager
def _working(what: str, scenario: Scenario, always: bool = False):
    """Say on stderr what a long run is doing, then every HEARTBEAT_SECONDS that it still is."""
    stream = sys.stderr
    if always or len(scenario.loans) * scenario.horizon_months >= PROGRESS_FROM:
        print(f"debtplan: {what} ({_size(scenario)})…", file=stream, flush=True)
    done = threading.Event()
    started = time.monotonic()

    def beat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            print(f"debtplan: still {what}… {time.monotonic() - started:.0f} s", file=stream, flush=True)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _print_plan(result: PlanResult, summary: PlanSummary, show_months: int, record_years: int) -> None:
    ledger = result.ledger
    terms = ledger.terms
    print(f"Strategy: {result.strategy}   Status: {result.status.value}")
    if result.diagnosis:
        print(result.diagnosis)
    free = summary.debt_free_month
    print(
        f"Debt-free: {free + f' (month {summary.months_to_debt_free})' if free else 'not within the horizon'}"
        f"   Total paid: {yuan(summary.total_paid)}   Interest: {yuan(summary.interest)}"
        f"   Penalty interest: {yuan(summary.penalty)}"
        + (f"   Fees (court, enforcement, card late fees): {yuan(summary.fees)}" if summary.fees >= 0.005 else "")
        + f"   Left at horizon: {yuan(summary.left_at_horizon)}"
    )
    if result.strategy == "optimal" and result.gap > solve_module.MIP_GAP:
        print(f"Best plan found within the time limit (--time-limit); its weighted cost is at most "
              f"{result.gap:.1%} above the best possible (not proven optimal).")
    print(triggers_text(summary.triggers, reported_already_likely(terms)))
    kept = terms.kept_names
    if kept:
        print(f"Kept current in every plan: {', '.join(kept)}. The money covers their installments every month, "
              "so no plan here lets them fall behind (that would be a default it could avoid). Where that leaves "
              "another loan behind longer, `[escalation] keep_performing_current = false` shows the plan the "
              "weights alone would make; asking a lender to wait (`debtplan targets`) may free the money instead.")
    if terms.carry_out > 0.005:
        print(f"Keeps {yuan(terms.carry_out)} at the end for the agreed installments due after {terms.months[-1]}: "
              "the money then falls short of them, and an installment paid short breaks an agreement.")
    for line in (court_warning(summary.triggers, result.strategy), garnishment_note(summary.triggers)):
        if line:
            print(line)
    for loan, short in short_of_contract(result).items():
        print(f"{loan}: from {short.first} the plan pays as little as {yuan(short.smallest)} in a month it counts as "
              f"current, below the contract's installment of {yuan(short.installment)}: what keeps the balance on "
              f"the contract's schedule at the rate the plan uses (the legal cap). Until the lender agrees in writing "
              f"or a court applies the cap, its system counts the difference as overdue and may report it: dispute "
              f"the charges in writing first (`debtplan letters`).")
    for loan, (cured, until) in credit_records(result, record_years).items():
        if cured is None:
            print(f"Credit record for {loan}: still in default at the end of this plan; kept {record_years} years "
                  f"from the day the default ends.")
        else:
            print(f"Credit record for {loan}: default ends {cured}, record kept until about {until} "
                  f"({record_years} years from the end of the default, 征信业管理条例 Art. 16)"
                  + (f"; {AGREED_RECORD_NOTE}" if loan in terms.under_agreement else "."))
    frame = pd.DataFrame(ledger.payments.T, columns=list(terms.names), index=list(terms.months))
    frame["saved"] = ledger.cash[1:]
    last = max(summary.months_to_debt_free or terms.horizon, 1)
    frame = frame.iloc[: min(last, show_months)]
    if show_months > 0:
        print("\nPayments per month (yuan; exact figures to the fen are in the CSV):")
        # round first, then + 0.0: a carry of −1e-10 (solver noise) prints 0, never "-0"
        print(frame.map(lambda v: f"{round(v) + 0.0:,.0f}").to_string())
    if last > show_months:
        print(f"… {last - show_months} {'more ' if show_months else ''}months in the CSV (--out plan.csv)")
    if result.check_problems:
        print(InternalCheckFailed(result.check_problems), file=sys.stderr)


STAGE_WORDS = {"reported": "reported to the credit bureau", "accelerated": "whole balance demanded",
               "sued": "sued", "enforcement": "enforcement"}


def court_warning(triggers: dict[str, dict[str, str | None]], strategy: str) -> str | None:
    """One plain line when a plan (other than the negotiated one) lets a loan be sued or reach
    enforcement: then the money cannot carry what the lenders demand, and the plan is the least
    harm without their consent, not a way out. A lawyer reads that first, so the plan says it."""
    if strategy == NEGOTIATED:
        return None
    hit = [loan for loan, stages in triggers.items()
           if any(stages.get(s) not in (None, BEFORE_PLAN) for s in ("sued", "enforcement"))]
    if not hit:
        return None
    return (f"Under this plan {len(hit)} loan{'s' if len(hit) > 1 else ''} ({', '.join(hit)}) "
            f"{'are' if len(hit) > 1 else 'is'} sued or reach{'' if len(hit) > 1 else 'es'} enforcement: the money "
            f"cannot carry what the lenders demand. Negotiate before following it: `debtplan targets` says what to "
            f"ask each lender and whom to call first; `--strategy negotiated` shows the plan if they agree.")


def garnishment_note(triggers: dict[str, dict[str, str | None]]) -> str | None:
    """One line when a loan is, or under the plan gets, in enforcement: the court can then take
    wages and savings itself, whatever split of the money the plan makes (lawyer's review)."""
    hit = [loan for loan, stages in triggers.items() if stages.get("enforcement") is not None]
    if not hit:
        return None
    return (f"In enforcement ({', '.join(hit)}) the court can freeze savings and have wages withheld (冻结存款, "
            f"扣划工资) before this plan's split of the money: tell the enforcement judge about the plan and report "
            f"income and assets truthfully.")


def triggers_text(triggers: dict[str, dict[str, str | None]], likely: dict[str, int] | None = None) -> str:
    """What the plan triggers, per loan: the month each stage is first reached, or none. A report
    ``likely`` made already ({loan: days overdue}) says so."""
    likely = likely or {}
    lines = ["What this plan triggers (month first reached; 'before' = already before the plan):"]
    for loan, stages in triggers.items():
        new = [f"{STAGE_WORDS[s]} {m}"
               + (f" (probably already: {likely[loan]} days overdue; check your credit report)"
                  if s == "reported" and loan in likely else "")
               for s, m in stages.items() if m not in (None, BEFORE_PLAN)]
        old = [STAGE_WORDS[s] for s, m in stages.items() if m == BEFORE_PLAN]
        text = ", ".join(new) if new else "none"
        lines.append(f"  {loan}: {text}" + (f" (before: {', '.join(old)})" if old else ""))
    return "\n".join(lines)


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
        print(f"{shown(path, 200)}: ok — {len(scenario.loans)} loans, {yuan(total)} owed, "
              f"{scenario.horizon_months} months from {scenario.months[0]}")
    return code


def cmd_solve(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    if args.out:
        check_output(args.out)
    with _working(f"making the {args.strategy} plan", scenario, always=args.strategy == NEGOTIATED):
        result = make_plan(scenario, args.strategy)
    summary = summarize(result)
    _print_plan(result, summary, args.months, scenario.legal.credit_record_years)
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
    if args.out:
        check_output(args.out)
    with _working("comparing every plan", scenario):
        comparison = compare(scenario)
    table = comparison.table()
    optimal = comparison.results["optimal"]
    print(f"Scenario: {scenario.title or shown(args.scenario, 200)}")
    if optimal.diagnosis:
        print(optimal.diagnosis)
    print(_comparison_text(table))
    best = comparison.summaries["optimal"]
    others = [s for k, s in comparison.summaries.items() if k not in ("optimal", NEGOTIATED)]
    runner_up = min(others, key=lambda s: s.weighted_cost)
    print(
        f"\nThe optimal plan's weighted cost is {yuan(best.weighted_cost)}; the best rule of thumb "
        f"({runner_up.strategy}) costs {yuan(runner_up.weighted_cost)}."
    )
    if NEGOTIATED in comparison.summaries:
        neg = comparison.summaries[NEGOTIATED]
        print(
            f"If every lender agrees to its targets (debtplan targets): debt-free "
            f"{neg.debt_free_month or 'not within the horizon'}, total paid {yuan(neg.total_paid)}, "
            f"weighted cost {yuan(neg.weighted_cost)}."
        )
    print("\nWhat each plan newly triggers (month a loan is first reported, accelerated, sued, enforced):")
    for name, result in comparison.results.items():
        new = new_triggers(result)
        text = "; ".join(f"{loan} " + ", ".join(f"{STAGE_WORDS[s]} {m}" for s, m in stages.items())
                         for loan, stages in new.items())
        print(f"  {name}: {text or 'none'}")
    code = _exit_code(optimal)
    if optimal.check_problems:
        print(InternalCheckFailed(optimal.check_problems), file=sys.stderr)
    elif args.out:
        write_csv(table, args.out)
        print(f"Comparison written to {args.out}")
    return code


def _targets_text(targets: Targets, lang: str) -> str:
    zh = lang == "zh"
    base, neg = summarize(targets.baseline), summarize(targets.negotiated)
    lines = []
    order = sorted(targets.loans, key=lambda t: t.call_rank)
    table = targets.table()
    shown = table[["call_order", "loan", "apr", "cap_rate", "disputable", "ask_months", "ask_monthly",
                   "penalty_waiver", "break_even_amount", "break_even_by", "improvement", "concession"]].copy()
    shown.columns = ["#", "loan", "APR", "cap", "disputable", "ask months", "ask ¥/month", "penalty waiver",
                     "settle ≤", "by", "gain if yes", "lender gives up"]
    for col in ("APR", "cap"):
        shown[col] = shown[col].map(lambda v: f"{v:.1%}")
    for col in ("disputable", "ask ¥/month", "penalty waiver", "settle ≤", "gain if yes", "lender gives up"):
        shown[col] = shown[col].map(lambda v: "—" if v is None or v != v else f"{v:,.0f}")
    shown["ask months"] = shown["ask months"].map(lambda v: "—" if v is None or v != v else f"{int(v)}")
    lines.append(shown.to_string(index=False))
    lines.append("")
    first = order[0]
    if zh:
        gives = (f"对方让出{yuan(first.concession)}" if first.concession > 0
                 else f"对方并不吃亏（反而多收{yuan(-first.concession)}）")
        lines.append(f"先和{who(first.lender, first.loan, lang)}谈：其他各家的分期只有在对方同意缓还时才付得起，谈好之前不要签其他协议。"
                     if first.asked_to_wait else
                     f"先打给{who(first.lender, first.loan, lang)}：如果对方同意，你的加权成本（利息加风险）减少{yuan(first.improvement)}，{gives}。")
        lines.append("拨打顺序：" + " → ".join(who(t.lender, t.loan, lang) for t in order))
    else:
        gives = (f"they give up {yuan(first.concession)}" if first.concession > 0
                 else f"it costs them nothing (they receive {yuan(-first.concession)} more)")
        lines.append(f"Talk to {who(first.lender, first.loan, lang)} first: the other asks fit the money only if your friend agrees "
                     "to wait; sign no other agreement before that." if first.asked_to_wait else
                     f"Call {who(first.lender, first.loan, lang)} first: if they agree, your weighted cost (interest plus risk) falls by "
                     f"{yuan(first.improvement)}, and {gives}.")
        lines.append("Call order: " + " → ".join(who(t.lender, t.loan, lang) for t in order))
    if not targets.asks_fit:
        short = targets.shortfall
        months = [m for m, v in zip(_months(targets), short) if v > 0]
        lines.append(
            (f"注意：即使按最长期限分期，{', '.join(months[:6])}的还款仍超出可用资金，共{yuan(short.sum())}；"
             "可再请求更长的延期或一次性结清。") if zh else
            (f"Note: even at the longest terms the asks exceed the money in {', '.join(months[:6])} by "
             f"{yuan(short.sum())} in all; ask for a longer grace period or a settlement.")
        )
    elif not targets.margin_kept:
        lines.append("注意：这些分期会用掉每月几乎全部可用资金，没有余量。" if zh else
                     "Note: these asks use almost all of each month's money, with no margin for surprises.")
    lines.append("")
    if zh:
        lines.append(f"如果全部同意：{neg.debt_free_month or '期限内无法'}还清（现在：{base.debt_free_month or '期限内无法还清'}），"
                     f"共还{yuan(neg.total_paid)}（现在：{yuan(base.total_paid)}），逾期金额×月数"
                     f"{neg.overdue_yuan_months['all']:,.0f}（现在：{base.overdue_yuan_months['all']:,.0f}）。")
    else:
        lines.append(f"If they all say yes: debt-free {neg.debt_free_month or 'not within the horizon'} "
                     f"(now {base.debt_free_month or 'not within the horizon'}), total paid {yuan(neg.total_paid)} "
                     f"(now {yuan(base.total_paid)}), overdue ¥·months {neg.overdue_yuan_months['all']:,.0f} "
                     f"(now {base.overdue_yuan_months['all']:,.0f}).")
    for t in order:
        lines.append("")
        lines.append(script(targets, t, lang))
    # Chinese sentences write months as 2027年5月; the table above them keeps the plan's 2027-05.
    table_lines = 2 + len(order)
    words = "\n".join(lines[table_lines:])
    return "\n".join([*lines[:table_lines], months_in_words(words, lang) if zh else words])


def _months(targets: Targets) -> list[str]:
    from .scenario import month_label

    return [month_label(targets.scenario.start, k) for k in range(len(targets.shortfall))]


def cmd_targets(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    if args.out:
        check_output(args.out)
    with _working("working out targets (re-solving the plan for each ask)", scenario, always=True):
        targets = negotiation_targets(scenario, settle_by=args.settle_by)
    print(f"Scenario: {scenario.title or shown(args.scenario, 200)}")
    print(_targets_text(targets, args.lang))
    if args.out:
        write_csv(targets.table(), args.out)
        print(f"\nTargets written to {args.out}")
    return EXIT_OK


def _batch_one(path: str, out_dir: str) -> dict:
    try:
        return _batch_plan(path, out_dir)
    except DebtplanError as exc:
        return {"scenario": path, "status": "bad input", "exit_code": exc.exit_code, "message": str(exc)}
    except Exception as exc:  # a bug on one scenario must not lose the others' results
        return {"scenario": path, "status": "internal error", "exit_code": EXIT_INTERNAL,
                "message": str(InternalError(exc))}


def _batch_plan(path: str, out_dir: str) -> dict:
    scenario = load_scenario(path)
    result = make_plan(scenario, "optimal")
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
        "message": str(InternalCheckFailed(result.check_problems)) if result.check_problems else result.diagnosis,
    }


def cmd_batch(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise BatchFolderMissing(str(folder))
    paths = sorted(str(p) for p in folder.glob("*.toml"))
    if not paths:
        raise BatchFolderEmpty(str(folder))
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(str(out), exc.strerror or str(exc)) from None
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


def _time_limit_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help=f"longest the optimizer searches before it gives its best plan and how far from the best "
                        f"possible that may be (default {solve_module.MIP_TIME_LIMIT:g})")


def cmd_letters(args: argparse.Namespace) -> int:
    """Letters per lender and the one-page plan, DOCX and PDF, into a folder (all or nothing)."""
    from .documents import letter_files
    from .errors import OutputError
    from .export import write_files

    scenario = load_scenario(args.scenario)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutputError(str(out), "exists and is not a folder")
    print("Working out targets (re-solving the plan for each ask)…", file=sys.stderr)
    files = letter_files(negotiation_targets(scenario, with_break_even=False), args.lang)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(str(out), exc.strerror or str(exc)) from None
    write_files({out / name: data for name, data in files.items()})
    print(f"{len(files)} files written to {out}/:")
    for name in files:
        print(f"  {name}")
    return EXIT_OK


def cmd_calendar(args: argparse.Namespace) -> int:
    """The negotiated plan's payments and the calls as an iCalendar file."""
    from .calendar_export import payment_calendar
    from .export import write_files

    scenario = load_scenario(args.scenario)
    print("Working out targets (re-solving the plan for each ask)…", file=sys.stderr)
    data = payment_calendar(negotiation_targets(scenario, with_break_even=False), args.lang, args.day)
    write_files({args.out: data})
    print(f"Calendar written to {args.out} ({data.count(b'BEGIN:VEVENT')} events); import it into your phone's calendar.")
    return EXIT_OK


def _day_of_month(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 28:
        raise argparse.ArgumentTypeError(f"must be a day of the month from 1 to 28; got {text!r}")
    return int(text)


# ---- debtplan case …: the case file (optimizer/casefile.py, optimizer/casework.py) ---------------


def _today(args: argparse.Namespace) -> dt.date:
    from .casework import parse_day

    return parse_day(args.today, "--today") if args.today else dt.date.today()


def _write_private_csv(frame: pd.DataFrame, path: str) -> None:
    """Output from the case file is the client's private data: owner-only, like the file itself."""
    from .export import csv_bytes, write_files

    write_files({path: csv_bytes(frame)}, private=True)


def _open_casefile(args: argparse.Namespace, create: bool = False):
    """The case file; only ``case new`` creates one, so a mistyped --db leaves nothing behind."""
    from .casefile import CaseFile

    return CaseFile(args.db, create=create)


def _print_state(state) -> None:
    """The loans as they stand at the start of the re-plan month (lender's claim)."""
    rows = []
    for s in state.loans:
        stages = ", ".join(f"{stage} ({since})" for stage, since in s.stages) or "—"
        deal = s.agreement
        if deal is not None:
            stages += (f"; agreed ¥{deal.monthly:,.2f} × {deal.months} from {deal.first:%Y-%m}" if deal.kind == "installments"
                       else f"; agreed settlement ¥{deal.amount:,.2f} by {deal.by:%Y-%m}")
            stages += f", {yuan(s.agreed_left)} of it left"
        rows.append({
            "loan": s.name,
            "owed": s.closed or f"{s.owed:,.2f}",
            "principal": "" if s.closed else f"{s.principal:,.2f}",
            "charges": "" if s.closed else f"{s.charges:,.2f}",
            "behind": f"{s.months_behind} mo since {s.behind_since}" if s.months_behind else "on schedule",
            "stages": stages,
        })
    print(f"Owed at the start of {state.month:%Y-%m} (the lender's claim after the payments recorded):")
    print(pd.DataFrame(rows).to_string(index=False))
    for note in state.notes:
        print(f"Note: {note}")


def cmd_case_new(args: argparse.Namespace) -> int:
    from .casework import new_case, read_import

    today = _today(args)
    imported = read_import(args.name, args.source)
    scenario = imported.scenario
    with _open_casefile(args, create=True) as cf:
        case, result = new_case(cf, imported, args.strategy, today)
        owed = sum(loan.total_owed for loan in scenario.loans)
        print(f"Case '{case.name}' created in {cf.path} from {args.source}: {len(scenario.loans)} loans, "
              f"{yuan(owed)} owed, planned from {scenario.start:%Y-%m}.")
    _print_plan(result, summarize(result), args.months, scenario.legal.credit_record_years)
    return _exit_code(result)


def cmd_case_pay(args: argparse.Namespace) -> int:
    from .casework import actual_vs_plan, record_payment

    today = _today(args)
    with _open_casefile(args) as cf:
        case, loan, paid_on, fen = record_payment(cf, args.case, args.lender, args.amount, args.date, args.note, today)
        print(f"Recorded for case '{case.name}': {yuan(fen / 100)} paid to {loan} on {paid_on}.")
        drift = next((d for d in actual_vs_plan(cf.load(case.name), today).drift if d.loan == loan), None)
    if drift is not None:
        print(drift.text)
    return EXIT_OK


def cmd_case_event(args: argparse.Namespace) -> int:
    from .casework import event_terms, record_event

    today = _today(args)
    terms = event_terms(args.kind, today, args.monthly, args.months, args.first, args.amount, args.by, args.essentials)
    with _open_casefile(args) as cf:
        case, loan, day = record_event(cf, args.case, args.kind, args.loan, args.date, terms, args.note, today)
    detail = ", ".join(f"{k} {v}" for k, v in terms.items())
    print(f"Recorded for case '{case.name}': {args.kind}{f' ({loan})' if loan else ''} on {day}"
          f"{f': {detail}' if detail else ''}.")
    print(f"Re-plan with it: debtplan case replan '{case.name}'")
    return EXIT_OK


def cmd_case_replan(args: argparse.Namespace) -> int:
    from .casework import replan

    today = _today(args)
    if args.out:
        check_output(args.out)
    with _open_casefile(args) as cf:
        done = replan(cf, args.case, today, args.strategy, args.horizon)
    _print_state(done.state)
    if done.result is None:
        print(f"Nothing is owed any more: every loan of case '{args.case}' is cleared or settled. No plan needed.")
        return EXIT_OK
    print()
    scenario = done.state.scenario
    _print_plan(done.result, summarize(done.result), args.months, scenario.legal.credit_record_years)
    code = _exit_code(done.result)
    if done.version is not None:
        print(f"\nStored as scenario v{done.version} of case '{args.case}', with this plan.")
    if args.out and code != EXIT_INTERNAL:
        _write_private_csv(plan_table(done.result.strategy, done.result.ledger), args.out)
        print(f"Plan written to {args.out}")
    return code


def cmd_case_status(args: argparse.Namespace) -> int:
    from .casework import actual_vs_plan, case_state, caseload, caseload_frame

    today = _today(args)
    if args.out:
        check_output(args.out)
    with _open_casefile(args) as cf:
        if not args.case:
            rows = caseload(cf, today, args.search, args.stage, args.needs_call)
            where = cf.path
        else:
            data = cf.load(args.case)
    if not args.case:
        frame = caseload_frame(rows)
        calls = sum(r.needs_call for r in rows)
        print(f"Caseload on {today} ({where}): {len(rows)} case(s), {calls} need a call. Most urgent first.")
        for k, r in enumerate(rows, 1):
            flag = "CALL" if r.needs_call else "    "
            print(f"\n{k:>2}. {flag} {r.case}  (urgency {r.urgency}; owed {yuan(r.owed)}; "
                  f"last payment {r.last_payment or 'none'}; last plan {r.last_plan or 'none'})")
            for reason in r.reasons:
                print(f"      - {reason}")
            if r.due:
                print("      due this month: " + "; ".join(f"{loan} {yuan(v)}" for loan, v in r.due))
            for line in r.agreements:
                print(f"      agreement: {line}")
            if r.stages:
                print("      stages: " + "; ".join(r.stages))
        if args.out:
            _write_private_csv(frame, args.out)
            print(f"\nCaseload written to {args.out}")
        return EXIT_OK
    state = case_state(data, today)
    vs = actual_vs_plan(data, today)
    print(f"Case '{data.case.name}' on {today}: scenario v{data.versions[-1].number} "
          f"({len(data.payments)} payments, {len(data.events)} events, {len(data.plans)} plans)")
    _print_state(state)
    frame = vs.frame()
    closed = frame[frame["closed"]]
    if len(closed):
        shown = closed[["month", "loan", "planned", "paid", "difference", "behind_plan"]].copy()
        for col in ("planned", "paid", "difference", "behind_plan"):
            shown[col] = shown[col].map(lambda v: f"{v:,.2f}")
        print("\nActual against plan (closed months):")
        print(shown.to_string(index=False))
    due = [d for d in vs.drift if d.planned_now or d.paid_now]
    if due:
        print(f"\nThis month ({vs.month}): " + "; ".join(
            f"{d.loan} planned {yuan(d.planned_now)}, paid {yuan(d.paid_now)}, still to pay {yuan(d.still_due)}"
            for d in due))
    print("\nDrift:")
    for d in vs.drift:
        print(f"  {d.text}")
    if args.out:
        _write_private_csv(frame, args.out)
        print(f"\nActual against plan written to {args.out}")
    return EXIT_OK


def cmd_case_export(args: argparse.Namespace) -> int:
    from .casework import export_files
    from .export import csv_bytes, write_files

    today = _today(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutputError(str(out), "exists and is not a folder")
    with _open_casefile(args) as cf:
        data = cf.load(args.case)
    files = export_files(data, today)
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise OutputError(str(out), exc.strerror or str(exc)) from None
    write_files({out / name: content if isinstance(content, bytes) else csv_bytes(content)
                 for name, content in files.items()}, private=True)
    print(f"Case '{data.case.name}' exported to {out}/: {', '.join(files)}")
    return EXIT_OK


def cmd_case_delete(args: argparse.Namespace) -> int:
    with _open_casefile(args) as cf:
        cf.case(args.case)  # a case that is not there is an error even without --yes
        if not args.yes:
            raise DeleteNotConfirmed(name=args.case)
        cf.delete_case(args.case)
        print(f"Case '{args.case}' deleted from {cf.path}: its scenarios, payments, events and plans are gone "
              f"(backups made earlier still hold it).")
    return EXIT_OK


def cmd_case_backup(args: argparse.Namespace) -> int:
    with _open_casefile(args) as cf:
        out = cf.backup(args.out)
        print(f"Backed up {cf.path} to {out} (owner-only). To use it: --db {out}, or copy it over the case file.")
    return EXIT_OK


def add_case_commands(sub) -> None:
    """``debtplan case …``: a case file that remembers what was paid and what happened."""
    from .casefile import ENV_DB, default_path
    from .casework import EVENT_KINDS, STAGES

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="FILE|URL",
                        help=f"the case file: a path or sqlite:///PATH (default: ${ENV_DB}, else {default_path()})")
    common.add_argument("--today", metavar="YYYY-MM-DD", help="act as if today were this day (default: today)")
    case = sub.add_parser(
        "case", help="case files: record payments and events, re-plan from today, actual against plan, caseload",
        description="A case file remembers what was paid and what happened, re-plans from today and shows "
                    "actual against plan; without a case name, status lists the caseload.")
    cs = case.add_subparsers(dest="case_command", required=True, parser_class=_Parser)

    p = cs.add_parser("new", parents=[common], help="create a case from a scenario file and make its first plan")
    p.add_argument("name", metavar="NAME", help="the case's name (e.g. the client's)")
    p.add_argument("--from", dest="source", required=True, metavar="SCENARIO", help="TOML scenario file")
    p.add_argument("--strategy", default="optimal", choices=ALL_STRATEGIES, help="plan strategy (default optimal)")
    p.add_argument("--months", type=_non_negative, default=6, help="months of the plan to print (default 6)")
    p.set_defaults(run=cmd_case_new)

    p = cs.add_parser("pay", parents=[common], help="record a payment actually made")
    p.add_argument("case", metavar="CASE")
    p.add_argument("lender", metavar="LENDER", help="the loan's name, or its lender's if that lender has one loan")
    p.add_argument("amount", metavar="AMOUNT", help="yuan, e.g. 1200 or 1200.50")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day it was paid (default: today)")
    p.add_argument("--note", default="", help="a note, e.g. a receipt number")
    p.set_defaults(run=cmd_case_pay)

    kinds = "; ".join(f"{k}: {v.help}" for k, v in EVENT_KINDS.items())
    p = cs.add_parser("event", parents=[common], help="record what happened: an agreement, a lawsuit, an income change…",
                      description=f"Kinds — {kinds}.")
    p.add_argument("case", metavar="CASE")
    p.add_argument("kind", choices=tuple(EVENT_KINDS), metavar="KIND", help=", ".join(EVENT_KINDS))
    p.add_argument("loan", nargs="?", metavar="LOAN", help="the loan (or lender) it happened to; none for income")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day it happened (default: today)")
    p.add_argument("--monthly", metavar="YUAN", help="agreement: the agreed installment")
    p.add_argument("--months", type=_positive, metavar="N", help="agreement: how many installments")
    p.add_argument("--first", metavar="YYYY-MM", help="agreement: month of the first installment")
    p.add_argument("--amount", metavar="YUAN", help="settlement agreement: the lump sum; income: the new monthly income")
    p.add_argument("--by", metavar="YYYY-MM", help="settlement agreement: paid in full by this month")
    p.add_argument("--essentials", metavar="YUAN", help="income: the new monthly essentials, if they change too")
    p.add_argument("--note", default="", help="a note, e.g. who agreed, the letter's reference")
    p.set_defaults(run=cmd_case_event)

    p = cs.add_parser("replan", parents=[common], help="plan again from today's state (payments, stages, agreements)")
    p.add_argument("case", metavar="CASE")
    p.add_argument("--strategy", default="optimal", choices=ALL_STRATEGIES, help="plan strategy (default optimal)")
    p.add_argument("--horizon", type=_horizon, metavar="N", help="months to plan (default: the scenario's horizon)")
    p.add_argument("--out", metavar="PLAN.csv", help="also write the plan as CSV")
    p.add_argument("--months", type=_non_negative, default=6, help="months of the plan to print (default 6)")
    p.set_defaults(run=cmd_case_replan)

    p = cs.add_parser("status", parents=[common], help="one case: state, actual against plan, drift; no case: the caseload")
    p.add_argument("case", nargs="?", metavar="CASE", help="a case; leave out for the caseload")
    p.add_argument("--search", metavar="TEXT", help="caseload: cases whose name, loans or lenders contain TEXT")
    p.add_argument("--stage", choices=STAGES, help="caseload: cases with a loan in this stage")
    p.add_argument("--needs-call", action="store_true", help="caseload: only the cases that need a call")
    p.add_argument("--out", metavar="FILE.csv", help="write the caseload (or the case's actual against plan) as CSV")
    p.set_defaults(run=cmd_case_status)

    p = cs.add_parser("export", parents=[common], help="write a case's scenarios (TOML) and records (CSV) to a folder")
    p.add_argument("case", metavar="CASE")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write to (created owner-only if missing)")
    p.set_defaults(run=cmd_case_export)

    p = cs.add_parser("delete", parents=[common], help="delete a case and everything recorded for it, for good")
    p.add_argument("case", metavar="CASE")
    p.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    p.set_defaults(run=cmd_case_delete)

    p = cs.add_parser("backup", parents=[common], help="copy the whole case file, consistently, to FILE (owner-only)")
    p.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")
    p.set_defaults(run=cmd_case_backup)


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
    p.add_argument("--strategy", default="optimal", choices=(*ALL_STRATEGIES, NEGOTIATED),
                   help="optimal (the LP), a rule of thumb, or negotiated (every lender agrees); default: optimal")
    p.add_argument("--out", metavar="PLAN.csv", help="write the plan as CSV (UTF-8 with BOM)")
    p.add_argument("--months", type=_non_negative, default=24,
                   help="months to print (default 24; 0 prints the summary only)")
    _time_limit_option(p)
    p.set_defaults(run=cmd_solve)

    p = sub.add_parser("compare", help="compare the optimal plan with every rule of thumb")
    p.add_argument("scenario", metavar="SCENARIO", help="TOML scenario file")
    p.add_argument("--out", metavar="COMPARE.csv", help="write the comparison as CSV")
    _time_limit_option(p)
    p.set_defaults(run=cmd_compare)

    p = sub.add_parser("targets", help="what to ask each lender for, whom to call first, and call scripts")
    p.add_argument("scenario", metavar="SCENARIO", help="TOML scenario file")
    p.add_argument("--out", metavar="TARGETS.csv", help="write the targets table as CSV")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the scripts (default zh)")
    p.add_argument("--settle-by", type=_positive, default=DEFAULT_SETTLE_BY, metavar="N",
                   help=f"plan month by which a lump-sum settlement would be paid, for the break-even (default {DEFAULT_SETTLE_BY})")
    p.set_defaults(run=cmd_targets)

    p = sub.add_parser("batch", help="solve every scenario in a folder, using all cores")
    p.add_argument("folder", metavar="DIR", help="folder of *.toml scenarios")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the plan CSVs and summary.csv")
    p.add_argument("--jobs", type=_non_negative, default=0, help="worker processes (default 0: all cores)")
    p.add_argument("--quiet", action="store_true", help="no per-scenario progress lines")
    p.set_defaults(run=cmd_batch)

    p = sub.add_parser("letters", help="negotiation and dispute letters per lender and a one-page plan (DOCX and PDF)")
    p.add_argument("scenario", metavar="SCENARIO", help="TOML scenario file")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the files (made if missing)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the documents (default zh)")
    p.set_defaults(run=cmd_letters)

    p = sub.add_parser("calendar", help="the plan's payments and the calls as a phone calendar (.ics)")
    p.add_argument("scenario", metavar="SCENARIO", help="TOML scenario file")
    p.add_argument("--out", required=True, metavar="PLAN.ics", help="the iCalendar file to write")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the events (default zh)")
    p.add_argument("--day", type=_day_of_month, default=1, metavar="D",
                   help="day of the month the payments are due (1-28, default 1)")
    p.set_defaults(run=cmd_calendar)
    add_case_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    limit = getattr(args, "time_limit", None)
    if limit is not None:
        if not 0.1 <= limit <= 3600:
            print(f"debtplan: error: --time-limit must be between 0.1 and 3600 seconds; got {limit:g}", file=sys.stderr)
            return EXIT_BAD_INPUT
        solve_module.MIP_TIME_LIMIT = limit
    try:
        return args.run(args)
    except DebtplanError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (debtplan … | head): not an error of ours
        try:  # and Python's own flush at exit must not fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: one line, exit 3, never a traceback or the "not cleared" 1
        print(InternalError(exc), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
