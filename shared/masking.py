"""How personal data is shown to those who may not see it whole (DOMAIN §5, §7)."""


def mask_id_number(id_number: str) -> str:
    """3401**********1234: the first and last four characters, the rest starred."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise one's own number, not to call it."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str | None) -> str | None:
    """z***@example.com."""
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def name_initial(name: str) -> str:
    """The first character and a mark: 王* or J*; what a police liaison sees of a name."""
    name = name.strip()
    return f"{name[:1]}*" if name else ""
