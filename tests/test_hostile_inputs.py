"""Hostile scenario files through the real command line: every input gets an answer (issue 10).

Hypothesis writes scenario files that are wrong in every way a person, a spreadsheet export or
a fuzzer can make them wrong: booleans for numbers and numbers for booleans, nan/inf/1e30/
10⁴⁰⁰, quoted numbers, dates that do not exist or run past 9999, lists nested 900 deep, unknown
keys, names holding line breaks, quotes, commas or formulas, files in UTF-16 or GBK, cut short,
with stray bytes, too many loans. Each file goes through ``debtplan validate`` and
``debtplan solve --out`` (the CLI's ``main()`` in-process, so hundreds of examples stay fast; the
smoke tests at the end run the installed entry point in a fresh interpreter), and:

* the exit code is 0, 1 or 2, never 3 (a bug) and never a traceback;
* exit 2 is one line on stderr naming the file and (for a field) the field, quoting at most a
  short piece of the bad value, and leaves no output file and no temporary file behind;
* ``validate`` and ``solve`` agree on what is bad input;
* a plan that is written is a CSV that reads back with every loan name intact, months as
  YYYY-MM, whole fen, and the user's normal file permissions.

The default suite runs a few hundred examples; ``HYPOTHESIS_PROFILE=thorough`` runs 2,000+.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from optimizer.export import PLAN_COLUMNS
from optimizer.scenario import json_schema, load_scenario

from .conftest import ROOT, SCENARIOS, examples
from .conftest import run_main as run

# ---- what a message may name ------------------------------------------------------------------


def _schema_names() -> set[str]:
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json_schema())
    return names | {"balance", "scenario"}


KNOWN_FIELDS = _schema_names()
FIELD_LINE = re.compile(r"(?:loan '(?P<loan>.*?)', )?field '(?P<field>.+?)': (?P<problem>.+)")
# Problems with the file as a whole name no field (optimizer/errors.py, ScenarioFileError).
FILE_PROBLEMS = ("no such file", "the file is empty", "not a text file", "not UTF-8 text", "not valid TOML",
                 "lists or tables are nested more than", "the file is larger than", "is a folder", "cannot be read")
TABLE_KEYS = ["a", "amount", "from", "by", "name"]  # keys of the tables put where a value belongs
DEEP = "__DEEPLY_NESTED__"  # replaced in the TOML text by brackets nested hundreds deep

# ---- hostile values ---------------------------------------------------------------------------

names = st.one_of(
    st.sampled_from(["借呗", "京东金条", "a,b", 'say "hi"', "line\nbreak", "cr\rname", "tab\there", "=SUM(A1)",
                     "+86", "-x", "@home", "  spaced  ", "", " ", "\u2028", "x" * 61, "名" * 60, "é\u0301",
                     "\u202eevil", "\ufeffbom", "null\x00byte", "\x7f", "0", "1e5"]),
    st.text(max_size=80),
    st.integers(), st.booleans(),
)
month_texts = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}" + ("" if d is None else f"-{d:02d}"),
    st.sampled_from([0, 1, 99, 999, 1000, 1899, 1900, 2026, 2999, 3000, 9998, 9999]) | st.integers(0, 9999),
    st.integers(0, 13), st.none() | st.integers(0, 32),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, -1, 1e9, 1e9 + 1, 1e15, 1e30, 1e308, 10**30, 10**400, -0.0, 5e-324, 0.005, 3.65, 3.66]),
)
strings = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e309", "7500", "7,500", "7500.50", "24%", "24％", "-5", "", " ",
                     "0x10", "1_000", "１２", "true", "2026-12", "2026-02-30", "yes", "¥100", "1e5", "%"]),
    st.text(max_size=30),
    st.text(min_size=5000, max_size=5000, alphabet="长a"),
)
dates = st.one_of(st.dates(), st.datetimes(), st.times(), st.datetimes(timezones=st.just(dt.timezone.utc)))
leaves = st.one_of(st.booleans(), numbers, strings, month_texts, dates, names)
values = st.one_of(
    leaves,
    st.lists(leaves, max_size=3),
    st.dictionaries(st.sampled_from(TABLE_KEYS), leaves, max_size=3),
    st.just(DEEP),
)
# (No "'" in them: the test finds the field between quotes in the message.)
unknown_keys = st.one_of(st.sampled_from(["nmae", "from ", "Apr", "loans2", "a\nb", "x" * 500, "金额", "", "a.b"]),
                         st.text(st.characters(blacklist_characters="'"), min_size=1, max_size=20))

# ---- a scenario to spoil ----------------------------------------------------------------------

# Every field of the published schema (a field added later is spoiled too, with no change here).
SCHEMA = json_schema()
FIELDS_TOP = sorted(SCHEMA["properties"])
FIELDS_LOAN = sorted(SCHEMA["$defs"]["Loan"]["properties"]) + ["balance"]
FIELDS_WEIGHTS = sorted(SCHEMA["$defs"]["Weights"]["properties"])
FIELDS_LEGAL = sorted(SCHEMA["$defs"]["Legal"]["properties"])


@st.composite
def loan(draw, k: int) -> dict:
    data = {"name": f"贷款{k}", "principal": draw(st.sampled_from([500, 12000, 80000]) | st.integers(0, 10**6))}
    if draw(st.booleans()):
        data["apr"] = draw(st.sampled_from([0.0, 0.06, 0.24, "36%", 1.0, 3.65]))
    else:
        data["daily_rate"] = draw(st.sampled_from(["0.05%", 0.0005, 0.01, 0]))
    form = draw(st.sampled_from(["installments", "installment", "accelerated"]))
    if form == "installments":
        data["installments"] = draw(st.integers(1, 60))
        data["installments_paid"] = draw(st.integers(0, data["installments"] - 1))
    elif form == "installment":
        data["installment"] = draw(st.sampled_from([300, 1100, 5000]))
        data["installments_left"] = draw(st.integers(1, 36))
    else:
        data["accelerated"] = True
    for key in draw(st.sets(st.sampled_from(["lawsuit", "credit_reported", "abusive_collection", "credit_card"]))):
        data[key] = True
    if draw(st.integers(0, 4)) == 0:
        data["interest_owed"], data["penalty_owed"], data["fees_owed"] = 300, 120.5, "50"
        data["days_overdue"] = draw(st.sampled_from([0, 45, 400]))
    if draw(st.integers(0, 5)) == 0:
        data["settlement_offer"] = {"amount": 3000, "by": "2027-03"}
    if draw(st.integers(0, 5)) == 0:
        data["lender_type"], data["contract_date"] = "private", dt.date(2024, 5, 1)
    return data


@st.composite
def base_scenario(draw) -> dict:
    n = draw(st.integers(1, 4))
    horizon = draw(st.sampled_from([1, 6, 12, 24, 36]) | st.integers(1, 60) | st.just(360))
    data = {
        "start": draw(st.sampled_from(["2026-12", "2026-12", dt.date(2027, 3, 1), "2999-12", "2026-12-31"])),
        "horizon_months": horizon,
        "income": draw(st.sampled_from([7500, "9000", 0, 1e9]) | st.just([{"from": "2026-01", "amount": 6000},
                                                                          {"from": "2027-06", "amount": 9000}])),
        "essentials": draw(st.sampled_from([4200, 0, 7000, "4,200.50"])),
        "loans": [draw(loan(k)) for k in range(n)],
    }
    if draw(st.booleans()):
        data["cash_on_hand"] = draw(st.sampled_from([0, 1000, 1e9]))
    if draw(st.integers(0, 3)) == 0:
        data["weights"] = {"interest": draw(st.sampled_from([0.01, 1.0, 100])), "unpaid": draw(st.sampled_from([0, 10]))}
    if draw(st.integers(0, 3)) == 0:
        data["legal"] = {"basis": "cap"}
    return data


# Valid values at the edges of each field's range (README, "What a scenario file may hold").
EDGES_TOP = {
    "income": [0, 0.01, 1e9, "1,000,000,000"], "essentials": [0, 0.01, 1e9], "cash_on_hand": [0, 0.01, 1e9],
    "horizon_months": [1, 2, 360], "start": ["1900-01", "2999-12", dt.date(2999, 12, 31)],
    "weights.interest": [0.01, 100], "weights.unpaid": [0, 1000], "weights.lawsuit": [0, 100],
    "weights.credit": [0, 100], "weights.collection": [0, 100],
    "legal.basis": ["cap"], "legal.licensed_cap": [0, 1], "legal.private_lpr_multiple": [0, 10],
    "legal.max_restructure_months": [12, 120], "legal.credit_record_years": [0, 20],
}
EDGES_LOAN = {
    "principal": [0, 0.01, 1e9], "interest_owed": [0, 0.01, 1e9], "penalty_owed": [0.01, 1e9], "fees_owed": [1e9],
    "apr": [0, 1e-9, 3.65, "365%"], "penalty_markup": [0, 1, 1e-9], "days_overdue": [0, 1, 36500],
    "installments": [1, 600], "installments_paid": [0, 599], "installment": [0.01, 1e9], "installments_left": [1, 600],
    "lender_type": ["private"], "contract_date": ["1900-01-01", "2999-12-31"], "name": ["名" * 60, "é", "a'b\"c,d"],
    "settlement_offer": [{"amount": 0, "by": "1900-01"}, {"amount": 1e9, "by": "2999-12"}],
}


@st.composite
def spoil(draw, data: dict) -> tuple[dict, set[str]]:
    """Up to three changes to ``data``; returns it and the unknown keys it now holds."""
    unknown: set[str] = set()
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 3]))):
        loans = data.get("loans") if isinstance(data.get("loans"), list) else []
        how = draw(st.sampled_from(["top", "loan", "loan", "weights", "legal", "drop", "unknown", "name",
                                    "month", "schedule", "duplicate", "size", "edge", "edge", "edge"]))
        if how == "edge":  # a valid value at the very edge of what is allowed
            if loans and isinstance(loans[0], dict) and draw(st.booleans()):
                key, value = draw(st.sampled_from(sorted(EDGES_LOAN.items())))
                draw(st.sampled_from(loans))[key] = draw(st.sampled_from(value))
            else:
                key, value = draw(st.sampled_from(sorted(EDGES_TOP.items())))
                if "." in key:
                    table, key = key.split(".")
                    if isinstance(data.setdefault(table, {}), dict):
                        data[table][key] = draw(st.sampled_from(value))
                else:
                    data[key] = draw(st.sampled_from(value))
        elif how == "top":
            data[draw(st.sampled_from(FIELDS_TOP))] = draw(values)
        elif how == "loan" and loans and isinstance(loans[0], dict):
            draw(st.sampled_from(loans))[draw(st.sampled_from(FIELDS_LOAN))] = draw(values)
        elif how in ("weights", "legal"):
            table = data.setdefault(how, {}) if isinstance(data.get(how, {}), dict) else {}
            table[draw(st.sampled_from(FIELDS_WEIGHTS if how == "weights" else FIELDS_LEGAL))] = draw(values)
        elif how == "drop":
            target = draw(st.sampled_from([data, *[x for x in loans if isinstance(x, dict)]]))
            if target:
                target.pop(draw(st.sampled_from(sorted(target))), None)
        elif how == "unknown":
            key = draw(unknown_keys)
            target = draw(st.sampled_from([data, *[x for x in loans if isinstance(x, dict)]]))
            if key not in KNOWN_FIELDS:
                target[key] = draw(leaves)
                unknown.add(key)
        elif how == "name" and loans and isinstance(loans[0], dict):
            draw(st.sampled_from(loans))[draw(st.sampled_from(["name", "lender"]))] = draw(names)
        elif how == "month":
            value = draw(month_texts | st.dates())
            if loans and isinstance(loans[0], dict) and draw(st.booleans()):
                loans[0]["contract_date"] = value
            else:
                data["start"] = value
        elif how == "schedule":
            data[draw(st.sampled_from(["income", "essentials"]))] = draw(st.lists(
                st.fixed_dictionaries({"from": month_texts | leaves, "amount": numbers | strings},
                                      optional={"extra": leaves}), max_size=3))
            unknown.add("extra")
        elif how == "duplicate" and loans:
            loans.append(dict(loans[0]) if isinstance(loans[0], dict) else loans[0])
        elif how == "size" and loans and isinstance(loans[0], dict):
            count = draw(st.sampled_from([150, 201, 260]))
            data["loans"] = [{**loans[0], "name": f"L{k}"} for k in range(count)]
            data["horizon_months"] = draw(st.sampled_from([2, 12, 200]))
    return data, unknown


def to_toml(data: dict, depth: int) -> str:
    text = tomli_w.dumps(data)
    return text.replace(f'"{DEEP}"', "[" * depth + "]" * depth)


@st.composite
def hostile_file(draw) -> tuple[bytes, set[str] | None]:
    """The file's bytes, and the unknown keys it holds (None once random bytes may have made
    any key out of a known one)."""
    data, unknown = draw(base_scenario().flatmap(spoil))
    text = to_toml(data, draw(st.sampled_from([3, 9, 300, 900, 5000])))
    encoding = draw(st.sampled_from(["utf-8"] * 16 + ["utf-8-sig", "utf-16", "gbk", "latin-1"]))
    raw = text.encode(encoding, errors="replace")
    unknown |= {k.encode(encoding, errors="replace").decode(encoding) for k in unknown}  # 金额 → ?? in latin-1
    damage = draw(st.sampled_from([None] * 20 + ["cut", "bytes", "empty", "nul"]))
    if damage == "cut":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif damage == "bytes":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
        unknown = None
    elif damage == "empty":
        raw = draw(st.sampled_from([b"", b"   \n", b"\xef\xbb\xbf"]))
    elif damage == "nul":
        raw = raw + b"\x00"
    return raw, unknown


# ---- checks -----------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_bad_input_line(err: str, path: Path, unknown: set[str] | None) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(f"{path}: "), line
    rest = line[len(f"{path}: "):]
    assert len(rest) <= 420, f"message too long ({len(rest)} characters): {rest[:200]}…"
    if rest.startswith(FILE_PROBLEMS):
        return
    match = FIELD_LINE.fullmatch(rest)
    assert match, line
    if unknown is None:
        return
    field = match["field"]
    # An unknown key is named as written (escaped, perhaps cut short with "…").
    for key in sorted((_shown(k) for k in unknown), key=len, reverse=True):
        for piece in (key, key.rstrip("…")):
            if piece and piece in field:
                field = field.replace(piece, "")
    field = field.replace("…", "")
    for part in re.split(r"\.|\[\d+\]", field):
        assert not part or part in KNOWN_FIELDS or part in TABLE_KEYS, f"unexpected field {part!r} in: {line}"


def _shown(text: str) -> str:
    from optimizer.errors import shown

    return shown(text)


def check_written_plan(out: Path, scenario_path: Path) -> None:
    scenario = load_scenario(scenario_path)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == PLAN_COLUMNS
    assert frame["month"].str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all()
    assert set(frame["loan"]) == {loan.name for loan in scenario.loans}  # names survive whatever they hold
    assert len(frame) == len(scenario.loans) * scenario.horizon_months
    money = frame[["payment", "interest", "penalty", "balance", "overdue"]].astype(str)
    assert money.apply(lambda col: col.str.fullmatch(r"\d+\.\d\d")).all().all()  # whole fen, never nan or -0
    assert (out.stat().st_mode & 0o777) == (0o666 & ~_umask())


@settings(max_examples=examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(hostile_file(), st.sampled_from(["optimal"] * 4 + ["avalanche", "pro-rata", "minimum"]))
def test_every_hostile_file_gets_an_answer(file, strategy):
    raw, unknown = file
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = folder / "case.toml"
        path.write_bytes(raw)
        out = folder / "plan.csv"

        code, stdout, stderr = run("validate", str(path))
        assert code in (0, 2), stderr
        assert "Traceback" not in stderr + stdout
        if code == 2:
            check_bad_input_line(stderr, path, unknown)
        else:
            assert stderr == "" and stdout.startswith(f"{path}: ok")

        solved, stdout, stderr = run("solve", str(path), "--strategy", strategy, "--out", str(out), "--months", "2")
        assert solved in (0, 1, 2), stderr
        assert "Traceback" not in stderr + stdout
        assert (solved == 2) == (code == 2), stderr
        event(f"solve exit {solved}")
        if solved == 2:
            check_bad_input_line(stderr, path, unknown)
            assert sorted(p.name for p in folder.iterdir()) == ["case.toml"]  # nothing written, no temp file
        else:
            assert out.exists()
            check_written_plan(out, path)


# ---- fixed cases from the issue (worked out by hand) ------------------------------------------

GOOD = (SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8")
ISSUE_CASES = {
    # what the file holds → (field named, words the message must contain)
    "past-9999": (GOOD.replace('start = "2026-12"', 'start = "9998-06"'), "start", "1900 to 2999"),
    "year-99": (GOOD.replace('start = "2026-12"', 'start = "0099-06"'), "start", "1900 to 2999"),
    "no-feb-30": (GOOD.replace('start = "2026-12"', 'start = "2026-02-30"'), "start", "YYYY-MM"),
    "amount-1e30": (GOOD.replace("principal = 18000", "principal = 1e30"), "principal", "at most 1,000,000,000"),
    "income-inf": (GOOD.replace("income = 7500", "income = inf"), "income", "got inf"),
    "income-nan": (GOOD.replace("income = 7500", "income = nan"), "income", "got nan"),
    "income-nan-text": (GOOD.replace("income = 7500", 'income = "nan"'), "income", 'got "nan"'),
    "income-1e309-text": (GOOD.replace("income = 7500", 'income = "1e309"'), "income", 'got "1e309"'),
    "essentials-negative": (GOOD.replace("essentials = 4200", "essentials = -1"), "essentials", "at least 0"),
    "horizon-true": (GOOD.replace("horizon_months = 36", "horizon_months = true"), "horizon_months", "got true"),
    "apr-true": (GOOD.replace('apr = "24%"', "apr = true"), "apr", "got true"),
    "flag-1": (GOOD.replace("lawsuit = true", "lawsuit = 1"), "lawsuit", "true or false"),
    "step-unknown-key": (GOOD.replace("income = 7500", 'income = [{ from = "2026-12", amount = 7500, typo = 1 }]'),
                         "income[1].typo", "not a known field"),
    "interest-weight-0": (GOOD.replace("interest = 1.0", "interest = 0"), "weights.interest", "at least 0.01"),
    "interest-owed-1e15": (GOOD.replace("interest_owed = 900", "interest_owed = 1e15"), "interest_owed", "at most"),
    "cr-in-name": (GOOD.replace('name = "360借条"', 'name = "360\\r借条"'), "name", "control characters"),
    "grows-past-limit": (GOOD.replace('apr = "24%"', "apr = 3.65").replace("horizon_months = 36", "horizon_months = 360"),
                         "apr", "plan at most"),
}


def test_the_issues_malformed_files_are_each_one_clear_line(tmp_path):
    paths = {}
    for name, (text, _, _) in ISSUE_CASES.items():
        paths[name] = tmp_path / f"{name}.toml"
        paths[name].write_text(text, encoding="utf-8")
    for name, path in paths.items():
        code, out, err = run("solve", str(path), "--out", str(tmp_path / "plan.csv"))
        _, field, words = ISSUE_CASES[name]
        assert code == 2 and out == "", (name, err)
        assert len(err.splitlines()) == 1 and f"field '{field}'" in err and words in err, (name, err)
    assert not (tmp_path / "plan.csv").exists()


def test_a_million_sued_for_thirty_years_gets_a_plan(tmp_path):
    # Found by the thorough run: sued loans first holds the sued loan's balance to the priority
    # rule's own each month, with no slack; at ¥1,000,000 growing for 360 months no whole pattern
    # fitted, and `solve` exited 3 ("infeasible on a model that is always feasible"). The plan is
    # then made by the weights alone; it cannot clear, so exit 1 with the best plan.
    loan = ('principal = {p}\ndaily_rate = "0.05%"\ninstallments = 1\ninstallments_paid = 0\n{extra}'
            '[loans.settlement_offer]\namount = 3000\nby = "2027-03"\n')
    text = ('start = "2026-12"\nhorizon_months = 360\nincome = 7500\nessentials = 4200\n\n'
            '[[loans]]\nname = "贷款0"\n' + loan.format(p=1000000, extra="lawsuit = true\n") +
            '\n[[loans]]\nname = "贷款1"\n' + loan.format(p=500, extra='interest_owed = 300\npenalty_owed = 120.5\n'
            'fees_owed = "50"\ndays_overdue = 0\nlender_type = "private"\ncontract_date = 2024-05-01\n') +
            '\n[[loans]]\nname = "贷款2"\n' + loan.format(p=500, extra='lender_type = "private"\n'
            'contract_date = 2024-05-01\n') +
            '\n[weights]\ninterest = 0.01\nunpaid = 0\n\n[legal]\nbasis = "cap"\n')
    path = tmp_path / "million.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run("solve", str(path), "--months", "0", "--time-limit", "2")
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert "cannot be cleared" in out


def test_a_huge_value_is_quoted_short(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(GOOD.replace("income = 7500", f'income = "{"9" * 800_000}x"'), encoding="utf-8")
    code, _, err = run("validate", str(path))
    assert code == 2
    assert len(err) < 400 and "(800,001 characters)" in err


def test_nesting_at_any_depth_is_bad_input_not_a_crash(tmp_path):
    for depth in (9, 300, 900, 100_000):
        for opening, closing in (("[", "]"), ("{a=", "}")):
            path = tmp_path / f"deep{depth}.toml"
            path.write_text("x = " + opening * depth + "1" * (opening == "{a=") + closing * depth, encoding="utf-8")
            code, _, err = run("validate", str(path))
            assert code == 2 and "nested more than" in err, err


def test_lenient_forms_mean_what_they_say(tmp_path):
    # Quoted amounts and rates are read as the numbers they show; the plans are identical.
    plain = tmp_path / "plain.toml"
    quoted = tmp_path / "quoted.toml"
    plain.write_text(GOOD, encoding="utf-8")
    quoted.write_text(GOOD.replace("income = 7500", 'income = "7,500"').replace("cash_on_hand = 1000", 'cash_on_hand = "1000.00"')
                      .replace('apr = "24%"', 'apr = "24 ％"'), encoding="utf-8")
    a, b = load_scenario(plain), load_scenario(quoted)
    assert (b.income, b.cash_on_hand, b.loans[0].apr) == (7500.0, 1000.0, 0.24)
    assert a == b


def test_months_0_prints_the_summary_only():
    code, out, err = run("solve", str(SCENARIOS / "three-overdue-loans.toml"), "--months", "0")
    assert code == 0, err
    assert "Empty DataFrame" not in out and "Payments per month" not in out
    # The summary names the debt-free month, and the month table is left to the CSV in full.
    import re as _re
    free = _re.search(r"Debt-free: (\d{4}-\d{2}) \(month (\d+)\)", out)
    assert free and f"{free.group(2)} months in the CSV" in out
    code, _, err = run("solve", str(SCENARIOS / "three-overdue-loans.toml"), "--months", "-1")
    assert code == 2 and len(err.splitlines()) == 1 and "--months" in err


# ---- the real entry point, in a fresh interpreter ---------------------------------------------


def test_smoke_hostile_files_through_the_installed_command(tmp_path):
    cases = {
        "deep.toml": ("x = " + "[" * 900 + "]" * 900 + "\n").encode(),  # tomllib recursion at the real stack depth
        "utf16.toml": GOOD.encode("utf-16"),
        "nan.toml": GOOD.replace("essentials = 4200", "essentials = nan").encode(),
    }
    exe = Path(sys.executable).parent / "debtplan"
    for name, raw in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        done = subprocess.run([exe, "solve", path, "--out", tmp_path / "plan.csv"], capture_output=True, text=True)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.startswith(f"{path}: ") and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(cases)


def test_an_unexpected_exception_exits_3_in_one_line_never_1(tmp_path, monkeypatch):
    # The solver library crashing mid-solve is something no code path of ours expects: the
    # command says "bug" in one line and exits 3 (never 1, "cannot be cleared"), writing nothing.
    import highspy

    def crash(self):
        raise RuntimeError("simulated crash inside the solver library")

    monkeypatch.setattr(highspy.Highs, "run", crash)  # the third-party library, not our code
    out = tmp_path / "plan.csv"
    for command in (["solve", "--out", str(out)], ["compare", "--out", str(out)]):
        code, _, err = run(command[0], str(SCENARIOS / "three-overdue-loans.toml"), *command[1:])
        assert code == 3, (code, err)
        lines = err.splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert lines[0].startswith("debtplan: internal error (RuntimeError: simulated crash inside the solver library)")
        assert "bug" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_exception_exits_3_from_a_fresh_interpreter_too(tmp_path):
    out = tmp_path / "plan.csv"
    code = ("import sys, highspy\n"
            "def crash(self): raise RuntimeError('simulated crash inside the solver library')\n"
            "highspy.Highs.run = crash\n"
            "from optimizer.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", code, "solve", SCENARIOS / "three-overdue-loans.toml", "--out", out],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 3 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert not out.exists()


def test_written_files_get_the_users_umask_not_0600(tmp_path):
    out = tmp_path / "plan.csv"
    done = subprocess.run(
        ["sh", "-c", f'umask 027 && exec "{sys.executable}" -m optimizer.cli solve "$0" --out "$1"',
         SCENARIOS / "three-overdue-loans.toml", out], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o640
