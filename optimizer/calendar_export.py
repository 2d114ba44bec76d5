"""The plan as a phone calendar: an iCalendar (.ics) file made with the ``icalendar`` library.

* One all-day event per month per lender the negotiated plan pays, with the amount to the fen
  (the figures of ``debtplan solve --strategy negotiated --out``), a note saying which installment
  it is, and a reminder at 09:00 the day before. A month where the plan pays less than the
  agreement asked for carries the installment the agreement needs, as the one-page plan does.
* One all-day event per call, in the call order of ``debtplan targets``, on the days before the
  first payment (call #1 first), each with what to ask and a reminder at 09:00.

All-day events (``VALUE=DATE``) need no time zone and import the same into Apple, Google and
Android calendars. UIDs are derived from the case and the month, so importing a re-made plan
updates its events instead of adding a second copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from icalendar import Alarm, Calendar, Event

from .documents import agreement_shortfalls, ask_summary, has_dispute, has_negotiation, month_note, who
from .export import to_fen
from .negotiate import Targets
from .scenario import add_months
from .scripts import months_in_words, yuan

Lang = Literal["zh", "en"]
PRODID = "-//debtplan//repayment calendar//ZH"
PAYMENT_REMINDER = dt.timedelta(hours=-15)  # 09:00 the day before an all-day event
CALL_REMINDER = dt.timedelta(hours=9)  # 09:00 on the day


def _case_key(targets: Targets) -> str:
    scenario = targets.scenario
    text = "|".join([scenario.title or "", f"{scenario.start:%Y-%m}", *(loan.name for loan in scenario.loans)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _all_day(uid: str, day: dt.date, summary: str, description: str, category: str, stamp: dt.datetime,
             reminder: dt.timedelta, reminder_text: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", reminder_text)
    alarm.add("trigger", reminder)
    event.add_component(alarm)
    return event


def payment_calendar(targets: Targets, lang: Lang = "zh", day: int = 1, stamp: dt.datetime | None = None) -> bytes:
    """The .ics file: payments on ``day`` of each plan month, calls on the days before the first."""
    zh = lang == "zh"
    stamp = stamp or dt.datetime.now(dt.timezone.utc)
    key = _case_key(targets)
    ledger = to_fen(targets.negotiated.ledger)
    months = ledger.terms.months
    short = agreement_shortfalls(targets)
    order = sorted(targets.loans, key=lambda x: x.call_rank)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "还款计划" if zh else "Repayment plan")

    first_payment = add_months(targets.scenario.start, 0).replace(day=day)
    calls = [t for t in order if has_negotiation(targets, t) or has_dispute(targets, t) or t.asked_to_wait]
    for k, t in enumerate(calls):
        when = first_payment - dt.timedelta(days=len(calls) - k)
        summary = f"第{t.call_rank}个电话：{who(t, lang)}" if zh else f"Call #{t.call_rank}: {who(t, lang)}"
        letters = [name for name, has in ((("协商还款申请书", "request"), has_negotiation(targets, t)),
                                          (("异议书", "dispute"), has_dispute(targets, t))) if has]
        send = ("寄出" + "和".join(zh_name for zh_name, _ in letters) + "；") if letters else ""
        sent = (f"Send the letter{'s' if len(letters) > 1 else ''} ({' and '.join(en for _, en in letters)}); "
                if letters else "")
        description = (f"请求：{ask_summary(targets, t, lang)}\n{send}达成的方案请对方书面确认。" if zh else
                       f"Ask for: {ask_summary(targets, t, lang)}\n{sent}get what is agreed confirmed in writing.")
        if zh:
            description = months_in_words(description, "zh")
        calendar.add_component(_all_day(f"{key}-call-{t.index}@debtplan", when, summary, description,
                                        "协商电话" if zh else "call", stamp, CALL_REMINDER, summary))

    for k, month in enumerate(months):
        when = add_months(targets.scenario.start, k).replace(day=day)
        for t in order:
            paid = float(ledger.payments[t.index, k])
            required = short.get((t.index, k))
            if paid < 0.005 and required is None:
                continue
            amount = yuan(paid)
            if zh:
                summary = f"还款{amount}：{who(t, lang)}" + (f"（协议每期{yuan(required)}）" if required else "")
                description = months_in_words(f"{month}按计划还款{amount}：{month_note(targets, t, k, lang, paid)}。保留还款凭证。", "zh")
                if required:
                    description += f"\n协议要求每期{yuan(required)}在当月足额还款，提前多还不能抵后面的月份。"
            else:
                summary = f"Pay {amount}: {who(t, lang)}" + (f" (agreement needs {yuan(required)})" if required else "")
                description = f"{month}: pay {amount} as planned, {month_note(targets, t, k, lang, paid)}. Keep the receipt."
                if required:
                    description += (f"\nThe agreement needs {yuan(required)} paid in full this month; paying ahead does not "
                                    "excuse a later month.")
            calendar.add_component(_all_day(f"{key}-pay-{t.index}-{month}@debtplan", when, summary, description,
                                            "还款" if zh else "payment", stamp, PAYMENT_REMINDER, summary))
    return calendar.to_ical()
