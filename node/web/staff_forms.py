"""The staff pages' forms as the API's own parsers take them (pure).

A browser sends every field as text and an empty field as an empty string, and a
``datetime-local`` input has no timezone. These functions only turn form fields into the shape
the API's parsers read (:func:`node.api.audit.parse_filter`, :func:`node.api.audit.
parse_oversight`, the desk's reason): the checking itself stays in one place, the API's, so a
page and the API accept and refuse exactly the same things. A bad field is a
:class:`~node.api.errors.BadRequest` naming it, which the pages show as a 400 page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from multidict import MultiDict, MultiMapping

from node.api.audit import FILTER_PARAMETERS, parse_time
from node.api.errors import BadRequest

__all__ = [
    "CHINA_OFFSET",
    "EXCLUSIVE",
    "EXCLUSIVE_FIELDS",
    "FILTER_FIELDS",
    "MAX_FIELD",
    "OTHER_REASON",
    "SETTLED",
    "credentials",
    "exclusive_body",
    "filter_query",
    "local_time",
    "oversight_body",
    "reason_body",
    "reason_code",
    "registration_body",
    "roles_body",
    "settled",
    "single",
]

#: The pages' times are China Standard Time: every exchange and regulator of the consortium
#: works in it, and a ``datetime-local`` field carries no timezone of its own.
CHINA_OFFSET = "+08:00"
#: The audit explorer's filter form: the trail's filters a person picks by hand.
FILTER_FIELDS = ("actor", "exchange", "listing", "event", "time_from", "time_to")
#: No form field of these pages is longer (a legal basis is at most 4096 characters).
MAX_FIELD = 8192
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")
_DIGITS = re.compile(r"[0-9]{1,6}")
#: The reason-code select's choice for a code outside the vocabulary, typed beside it.
OTHER_REASON = "other"

assert set(FILTER_FIELDS) <= set(FILTER_PARAMETERS)


def single(form: MultiMapping[str], name: str, *, required: bool = True) -> str | None:
    """One field's text, stripped; 400 naming it when it is repeated, too long, or (when
    ``required``) missing or empty."""
    values = form.getall(name, [])
    if len(values) > 1:
        raise BadRequest(f"{name} may be given once", field=name)
    value = values[0].strip() if values else ""
    if len(value) > MAX_FIELD:
        raise BadRequest(f"{name} is longer than {MAX_FIELD} characters", field=name)
    if not value:
        if required:
            raise BadRequest(f"{name} is required", field=name)
        return None
    return value


def credentials(form: MultiMapping[str]) -> dict[str, str]:
    """The sign-in form as :func:`node.api.staff_auth.credentials` reads a JSON body (the
    password is not stripped: spaces may be part of it)."""
    body: dict[str, str] = {}
    for name in ("username", "password"):
        values = form.getall(name, [])
        if len(values) != 1 or not values[0]:
            raise BadRequest(f"{name} is required", field=name)
        body[name] = values[0].strip() if name == "username" else values[0]
    return body


def local_time(value: str, field: str, *, upper: bool) -> int:
    """A ``datetime-local`` value (China Standard Time) or anything
    :func:`node.api.audit.parse_time` takes, as unix seconds."""
    if _LOCAL_TIME.fullmatch(value):
        value += CHINA_OFFSET
    return parse_time(value, field, upper=upper)


def filter_query(form: MultiMapping[str]) -> MultiDict[str]:
    """The filter form's non-empty fields as the query :func:`node.api.audit.parse_filter` and
    the exports read: times in the form's ``datetime-local`` shape get China's offset; the
    event select may repeat."""
    query: MultiDict[str] = MultiDict()
    for name in FILTER_FIELDS:
        if name == "event":
            for value in form.getall(name, []):
                if value.strip():
                    query.add(name, value.strip())
            continue
        text = single(form, name, required=False)
        if text is None:
            continue
        if name in ("time_from", "time_to") and _LOCAL_TIME.fullmatch(text):
            text += CHINA_OFFSET
        query.add(name, text)
    return query


def oversight_body(action: str, form: MultiMapping[str]) -> dict[str, Any]:
    """A suspension (``action`` "suspend") or reinstatement form as the JSON body
    :func:`node.api.audit.parse_oversight` reads: the reason code a number
    (:func:`reason_code`), the end a unix
    time (absent: until reinstated), the legal basis as text (the node sends its hash)."""
    body: dict[str, Any] = {}
    for name in ("scope", "subject", "legal_basis", "request_id"):
        body[name] = single(form, name)
    body["reason_code"] = reason_code(form)
    if action == "suspend":
        until = single(form, "until", required=False)
        if until is not None:
            body["until"] = local_time(until, "until", upper=False)
    elif single(form, "until", required=False) is not None:
        raise BadRequest("a reinstatement has no end", field="until")
    return body


def _uint16(text: str, field: str) -> int:
    if not _DIGITS.fullmatch(text) or int(text) > 2**16 - 1:
        raise BadRequest(f"{field} is a whole number from 0 to 65535", field=field)
    return int(text)


def reason_code(form: MultiMapping[str]) -> int:
    """The reason code a form picked: a number from the ``reason_code`` select (the
    vocabulary of :class:`onelist.codes.ReasonCode`, or a confirmation page's hidden field),
    or, with the select on :data:`OTHER_REASON`, the number typed in ``reason_code_other``
    (the contracts take any uint16). Both given is a 400: which one was meant is unclear."""
    picked = single(form, "reason_code")
    assert picked is not None
    other = single(form, "reason_code_other", required=False)
    if picked == OTHER_REASON:
        if other is None:
            raise BadRequest("type the other reason code (0 to 65535)", field="reason_code_other")
        return _uint16(other, "reason_code_other")
    if other is not None:
        raise BadRequest(
            f"pick a listed reason or choose {OTHER_REASON!r} and type a code, not both",
            field="reason_code_other",
        )
    return _uint16(picked, "reason_code")


def reason_body(form: MultiMapping[str]) -> Mapping[str, Any]:
    """The reject form as the desk's JSON body ``{reason}`` (the desk checks it)."""
    return {"reason": single(form, "reason", required=False) or ""}


def registration_body(form: MultiMapping[str]) -> dict[str, Any]:
    """The participant form as the JSON body :func:`node.api.staff.parse_registration` reads:
    the ticked roles as a list (none ticked: an empty list, which it refuses naming ``roles``);
    an empty field as an empty string, which it refuses naming the field."""
    return {
        "account": single(form, "account", required=False) or "",
        "roles": [value.strip() for value in form.getall("roles", []) if value.strip()],
        "identity_reference": single(form, "identity_reference", required=False) or "",
    }


def roles_body(form: MultiMapping[str]) -> dict[str, Any]:
    """The add-a-role form as {account, roles}: the account as typed (the route's path, which
    :func:`node.api.staff.add_roles` takes apart from its body) and the ticked roles as a list,
    checked as :func:`registration_body`'s are."""
    return {
        "account": single(form, "account", required=False) or "",
        "roles": [value.strip() for value in form.getall("roles", []) if value.strip()],
    }


#: The grant form's box a reviewer ticks once the settlement is received off chain.
SETTLED = "settled"


def settled(form: MultiMapping[str]) -> None:
    """400 naming :data:`SETTLED` unless the grant form's settlement box is ticked: DOMAIN
    grants a licence only after settlement, which happens off chain, so only the reviewer can
    say it happened (the chain holds just the settlement reference's hash)."""
    if single(form, SETTLED, required=False) != "yes":
        raise BadRequest("tick the box once the settlement is received", field=SETTLED)


#: The grant form's box for an exclusive licence of public data (an open auction's outcome).
EXCLUSIVE = "exclusive"
#: The exclusive grant's reference fields, named as the API's grant body names them.
EXCLUSIVE_FIELDS = ("approval_ref", "auction_ref")


def exclusive_body(form: MultiMapping[str]) -> dict[str, Any]:
    """The grant form's exclusive option as the fields :func:`node.api.staff.parse_exclusivity`
    reads: with :data:`EXCLUSIVE` ticked, ``exclusive`` true and both references as typed (an
    empty one absent, which it refuses naming the field); unticked, only the references typed
    (which it refuses too: only an exclusive grant names them). It checks nothing itself."""
    body: dict[str, Any] = {}
    if single(form, EXCLUSIVE, required=False) == "yes":
        body[EXCLUSIVE] = True
    for name in EXCLUSIVE_FIELDS:
        value = single(form, name, required=False)
        if value is not None:
            body[name] = value
    return body
