"""The Customer aggregate: registration, contact changes, and the segment a birth date implies."""

from dataclasses import dataclass, replace
from datetime import date

from services.accounts.errors import Conflict, Rejected, Unknown
from shared.aggregate import Aggregate
from shared.businesstime import age_on
from shared.envelope import NewEvent

PERSONAL_FIELDS = (
    "name",
    "id_type",
    "id_number",
    "birth_date",
    "phone",
    "email",
    "occupation",
    "employer",
    "preferred_language",
)


@dataclass(frozen=True)
class Customer:
    id: str | None = None
    name: str = ""
    id_type: str = ""
    id_number: str = ""
    birth_date: str = ""
    phone: str = ""
    email: str | None = None
    occupation: str = ""
    employer: str = ""
    preferred_language: str = "zh-CN"


def segment_of(birth_date: date, occupation: str, today: date, elderly_age: int) -> str:
    """elderly from `elderly_age` on `today`, else student by occupation, else standard."""
    if age_on(birth_date, today) >= elderly_age:
        return "elderly"
    if occupation.strip().casefold() == "student":
        return "student"
    return "standard"


def evolve(state: Customer, event) -> Customer:
    data = event.data
    if event.type == "CustomerRegistered":
        return Customer(id=data["customer_id"], **{f: data[f] for f in PERSONAL_FIELDS})
    if event.type == "CustomerContactChanged":
        return replace(
            state,
            phone=data["phone"],
            email=data["email"],
            preferred_language=data["preferred_language"],
        )
    return state


def decide_register(
    state: Customer, customer_id: str, details: dict, today: date, elderly_age: int
) -> list[NewEvent]:
    """`details` holds PERSONAL_FIELDS, birth_date as a date; `today` is the business date."""
    if state.id is not None:
        raise Conflict(f"customer {customer_id} is already registered")
    birth_date = details["birth_date"]
    if birth_date > today:
        raise Rejected("A birth date cannot be in the future.", field="birth_date")
    segment = segment_of(birth_date, details["occupation"], today, elderly_age)
    data = {f: details.get(f) for f in PERSONAL_FIELDS}
    data.update(customer_id=customer_id, birth_date=birth_date.isoformat(), segment=segment)
    return [NewEvent("CustomerRegistered", data)]


def decide_change_contact(
    state: Customer, phone: str, email: str | None, preferred_language: str
) -> list[NewEvent]:
    """Record the new contact details, all three; nothing when they are unchanged."""
    if state.id is None:
        raise Unknown("No such customer.")
    if (state.phone, state.email, state.preferred_language) == (phone, email, preferred_language):
        return []
    data = {
        "customer_id": state.id,
        "phone": phone,
        "email": email,
        "preferred_language": preferred_language,
    }
    return [NewEvent("CustomerContactChanged", data)]


CUSTOMER = Aggregate(name="customer", initial=Customer(), evolve=evolve)
