"""The words pages show for the cases service's codes, in the reader's language.

One table for the console and the portal alike, so a reason or an outcome reads the same to an
investigator and to a police officer. Codes stay codes in the data and the data-* hooks; only
what a person reads is translated, and an unknown code is shown as itself, so a new code
upstream never breaks a page.
"""

from flask_babel import lazy_gettext as _l

LABELS = {
    "case_type": {
        "police_verification": _l("Police–bank verification"),
        "due_diligence_review": _l("Due-diligence review"),
        "suspicious_account": _l("Suspicious account"),
    },
    "status": {
        "open": _l("Open"),
        "in_progress": _l("In progress"),
        "awaiting_police": _l("Awaiting the police"),
        "resolved": _l("Resolved"),
        "closed": _l("Closed"),
    },
    "sla": {"ok": _l("On time"), "warning": _l("Due soon"), "breached": _l("Overdue")},
    "queue": {"investigators": _l("Investigators"), "supervisors": _l("Supervisors")},
    "reason": {
        "ACCOUNT_FROZEN": _l("Account frozen"),
        "ACCOUNT_NOT_ACTIVE": _l("Account not active"),
        "NON_COUNTER_SUSPENDED": _l("Non-counter channels suspended"),
        "LIMIT_PER_TRANSACTION": _l("Over the per-transaction limit"),
        "LIMIT_DAILY": _l("Over the daily limit"),
        "APPOINTMENT_REQUIRED": _l("Appointment required"),
        "RISKY_PURPOSE": _l("Risky purpose"),
        "ELDERLY_LARGE_CASH": _l("Large cash for an elderly customer"),
        "NEW_ACCOUNT_LARGE": _l("Large amount on a new account"),
        "PURPOSE_MISMATCH": _l("Purpose differs from the appointment"),
        "HIGH_RISK_TIER": _l("High-risk account"),
        "OPEN_CASE": _l("Unresolved case on the account"),
        "VELOCITY": _l("Many withdrawals in a short time"),
        "EMPLOYMENT_PROOF_UNSIGNED": _l("Employment proof not signed"),
        "EMPLOYER_MISMATCH": _l("Employer does not match"),
        "PURPOSE_UNCLEAR": _l("Purpose unclear"),
        "MULTIPLE_RECENT_ACCOUNTS": _l("Several recent accounts"),
        "WATCHLISTED": _l("On the watchlist"),
    },
    "verdict": {"hold": _l("Hold"), "reject": _l("Reject")},
    "channel": {
        "counter_cash": _l("Cash at the counter"),
        "atm": _l("ATM"),
        "online_transfer": _l("Online transfer"),
        "mobile_transfer": _l("Mobile transfer"),
        "counter": _l("At the counter"),
        "online": _l("Online"),
        "phone": _l("Phone"),
        "in_person": _l("In person"),
        "sms": _l("SMS"),
        "email": _l("Email"),
        "push": _l("App notification"),
        "log": _l("Development log"),
    },
    "purpose": {
        "living_expenses": _l("Living expenses"),
        "medical": _l("Medical"),
        "education": _l("Education"),
        "business": _l("Business"),
        "property": _l("Property"),
        "investment": _l("Investment"),
        "safe_account_transfer": _l("Transfer to a “safe account”"),
        "loan_or_fee_payment": _l("Loan or fee payment"),
        "unknown_third_party": _l("Payment to an unknown third party"),
        "salary": _l("Salary"),
        "savings": _l("Savings"),
        "other": _l("Other"),
    },
    "contact_outcome": {
        "reached": _l("Reached the customer"),
        "not_reached": _l("Could not reach the customer"),
        "customer_insists": _l("The customer insists on the withdrawal"),
        "customer_cancelled": _l("The customer cancelled"),
    },
    "outcome": {
        "approved": _l("Approved"),
        "refused": _l("Refused"),
        "customer_cancelled": _l("Customer cancelled"),
        "no_action": _l("No action needed"),
        "restriction_requested": _l("Restriction requested"),
        "cleared": _l("Cleared by the police"),
        "fraud_victim": _l("Fraud victim"),
        "fraud_suspect": _l("Fraud suspect"),
    },
    "restriction": {
        "freeze": _l("Freeze the account"),
        "non_counter_suspended": _l("Suspend non-counter channels"),
        "stop_payment": _l("Stop payments"),
    },
    # Why accounts refused a restriction a case asked for (AccountRestrictionRefused).
    "refusal": {
        "ACCOUNT_UNKNOWN": _l("Accounts has no such account"),
        "ACCOUNT_CLOSED": _l("The account is closed"),
        "ACCOUNT_REFUSED": _l("The account's opening was refused"),
        "RESTRICTION_TYPE_UNKNOWN": _l("Accounts does not know this type of restriction"),
        "EXPIRY_PASSED": _l("The expiry had passed when accounts received the request"),
    },
    "verification": {
        "pending": _l("Pending"),
        "confirmed": _l("Confirmed"),
        "withdrawn": _l("Withdrawn"),
    },
    "withdrawal": {
        "approved": _l("Approved"),
        "held": _l("Held"),
        "rejected": _l("Rejected"),
        "released": _l("Released"),
        "blocked": _l("Blocked"),
        "cancelled": _l("Cancelled"),
        "paid_out": _l("Paid out"),
    },
    "notification": {
        "requested": _l("Requested"),
        "retrying": _l("Retrying"),
        "sent": _l("Sent"),
        "delivered": _l("Delivered"),
        "failed": _l("Failed"),
        "suppressed": _l("Not sent"),
    },
    "template": {
        "welcome": _l("Welcome and anti-fraud tips"),
        "fraud_tips": _l("Anti-fraud tips"),
        "withdrawal_held": _l("Withdrawal held"),
        "withdrawal_released": _l("Withdrawal released"),
        "fraud_warning": _l("Fraud warning"),
        "account_restricted": _l("Account restricted"),
        "limits_changed": _l("Limits changed"),
    },
    "segment": {"elderly": _l("Elderly"), "student": _l("Student"), "standard": _l("Standard")},
    "language": {"zh-CN": _l("Chinese"), "en": _l("English")},
    "appointment_problem": {
        "none": _l("there is no appointment"),
        "other_account": _l("it is for another account"),
        "other_date": _l("it is for another day"),
        "amount_above_appointment": _l("the amount is above the appointment's"),
        "used": _l("it was already used"),
        "cancelled": _l("it was cancelled"),
    },
    # What the portal's confirmation form says of each police outcome.
    "police_outcome_choice": {
        "cleared": _l("Cleared: no fraud, release the money"),
        "fraud_victim": _l("Fraud victim: the customer is being defrauded"),
        "fraud_suspect": _l("Fraud suspect: the account is used for fraud"),
    },
    "event": {
        "CaseOpened": _l("Case opened"),
        "CaseFactsRecorded": _l("Facts recorded"),
        "CaseAssigned": _l("Assigned"),
        "CaseNoteAdded": _l("Note"),
        "CustomerContactRecorded": _l("Customer contact"),
        "PoliceVerificationRequested": _l("Police verification requested"),
        "CaseViewedByPolice": _l("Viewed by the police"),
        "PoliceVerificationConfirmed": _l("Police verification confirmed"),
        "CaseEscalated": _l("Escalated"),
        "CaseSlaWarning": _l("SLA warning"),
        "CaseSlaBreached": _l("SLA breached"),
        "AccountRestrictionRequested": _l("Restriction requested"),
        "RestrictionRefusalRecorded": _l("Restriction refused"),
        "CaseResolved": _l("Resolved"),
        "CaseClosed": _l("Closed"),
        "CaseReopened": _l("Reopened"),
    },
}


def label(kind: str, code: str | None) -> str:
    """The words for `code` of `kind`; the code itself when there are none."""
    if code is None:
        return ""
    return str(LABELS.get(kind, {}).get(code, code))


def choices(kind: str, codes) -> list[tuple[str, str]]:
    """(code, words) pairs for a select or a radio group."""
    return [(code, label(kind, code)) for code in codes]
