"""Words for the codes pages show (roles, claims), in the user's language."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "system": _l("System"),
    "teller": _l("Teller"),
    "investigator": _l("Investigator"),
    "supervisor": _l("Supervisor"),
    "police_liaison": _l("Police liaison officer"),
    "auditor": _l("Auditor"),
}
CLAIM_LABELS = {"police_unit": _l("Police unit"), "branch_id": _l("Branch")}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def claim_label(claim: str) -> str:
    return str(CLAIM_LABELS.get(claim, claim))


def field_id(name: str) -> str:
    """The id of a form control, so the error summary and the label can point at it."""
    return "field-" + name.replace("_", "-")
