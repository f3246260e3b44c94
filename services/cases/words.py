"""The words pages show for the cases service's codes, in the reader's language.

One table for the console and the portal alike, so a reason or an outcome reads the same to an
investigator and to a police officer.
"""

from flask_babel import lazy_gettext as _l

REASONS = {
    "ACCOUNT_FROZEN": _l("Account frozen or payments stopped"),
    "ACCOUNT_NOT_ACTIVE": _l("Account not active"),
    "NON_COUNTER_SUSPENDED": _l("Non-counter channels suspended"),
    "LIMIT_PER_TRANSACTION": _l("Over the per-transaction limit"),
    "LIMIT_DAILY": _l("Over the daily limit"),
    "APPOINTMENT_REQUIRED": _l("Large cash without a valid appointment"),
    "RISKY_PURPOSE": _l("Risky purpose for a large amount"),
    "ELDERLY_LARGE_CASH": _l("Large cash withdrawal by an elderly customer"),
    "NEW_ACCOUNT_LARGE": _l("Large amount from a new account"),
    "PURPOSE_MISMATCH": _l("Purpose differs from the appointment"),
    "HIGH_RISK_TIER": _l("High-risk account, large amount"),
    "OPEN_CASE": _l("An investigation is open on the account"),
    "VELOCITY": _l("Many withdrawals in a short time"),
}
POLICE_OUTCOMES = {
    "cleared": _l("Cleared: no fraud, release the money"),
    "fraud_victim": _l("Fraud victim: the customer is being defrauded"),
    "fraud_suspect": _l("Fraud suspect: the account is used for fraud"),
}
VERIFICATION_STATUSES = {
    "pending": _l("Waiting for the police"),
    "confirmed": _l("Confirmed"),
    "withdrawn": _l("Withdrawn (the case ended first)"),
}


def word(table: dict, code: str | None) -> str:
    """The words for `code`, or the code itself when there are none yet."""
    if code is None:
        return ""
    return str(table.get(code, code))
