"""debtplan's engine: scenario → LP (PuLP + HiGHS) and rules of thumb → one ledger → plans.

Imports nothing from the UI (streamlit, plotly); the dashboard and the CLI sit on top of it.
"""

from .errors import DebtplanError
from .ledger import Ledger, replay
from .planner import ALL_STRATEGIES, Comparison, PlanSummary, compare, make_plan, summarize
from .scenario import Loan, Scenario, load_scenario, scenario_from_bytes, scenario_from_dict
from .solve import LpOutcome, PlanResult, PlanStatus
from .terms import PlanTerms, plan_terms

__all__ = [
    "ALL_STRATEGIES", "Comparison", "DebtplanError", "Ledger", "Loan", "LpOutcome", "PlanResult",
    "PlanStatus", "PlanSummary", "PlanTerms", "Scenario", "compare", "load_scenario", "make_plan",
    "plan_terms", "replay", "scenario_from_bytes", "scenario_from_dict", "summarize",
]
