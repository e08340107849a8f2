"""What makes two guest profiles look like the same person (CRM-2): normalised e-mail and
phone (the `phonenumbers` library) and a fuzzy name with the same date of birth
(`rapidfuzz`). Pure functions: the selectors and the model's save() use them."""

import unicodedata

import phonenumbers
from rapidfuzz import fuzz

# a name this close (0–100, token order ignored, accents and case folded) with the same date
# of birth is a likely duplicate: "Lea Martin" / "Léa MARTIN" / "Martin Léa" / "Léa Martn"
NAME_THRESHOLD = 85


def email_key(email: str) -> str:
    """The address folded to lower case, a "+tag" dropped from the local part."""
    email = (email or "").strip().lower()
    if "@" not in email:
        return ""
    local, _at, domain = email.rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_key(phone: str, *, country: str = "") -> str:
    """The number in E.164 (+33612345678), read in the guest's country (France by default);
    empty when it is not a possible number."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, (country or "FR").upper())
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def name_score(a: str, b: str) -> float:
    """0–100: how alike two full names are, whatever the order of the words."""
    return fuzz.token_sort_ratio(fold(a), fold(b))
