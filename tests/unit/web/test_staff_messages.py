"""Every word the staff pages ask for is in the catalogue, in Chinese and English (a missing
key would show as itself on the page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import node.web.staff  # the import adds the staff pages' messages
from node.api.audit import SCOPES
from node.store.schema_submissions import LICENCE_REQUEST_STATUSES, SUBMISSION_STATUSES
from node.web import i18n
from node.web.manifest_diff import Kind
from node.web.staff.access import nav_links
from node.web.staff.audit_explorer import ACTIONS
from node.web.staff.participants import ROLES

STAFF = Path(node.web.staff.__file__).parent
TEMPLATES = STAFF.parent / "templates" / "staff"
# A whole key in quotes; a quoted prefix the template completes (``'staff.scope.' + s``) ends in
# "." or "_" and is checked through the values it is completed with, below.
_LITERAL = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]*[a-z0-9])['"]""")


#: In the Python modules a key may also be an argument (``page_user(..., "staff.refused.desk")``).
_KEY = re.compile(r"""['"]((?:staff|error)\.[a-z0-9_.]*[a-z0-9])['"]""")


def _literal_keys() -> set[str]:
    keys = {key for path in TEMPLATES.glob("*.html") for key in _LITERAL.findall(path.read_text())}
    for path in STAFF.glob("*.py"):
        if path.name != "messages.py":  # where they are defined
            keys |= set(_KEY.findall(path.read_text("utf-8")))
    return keys


def _composed_keys() -> set[str]:
    """The keys the templates build from a value (``t('staff.submission.' + status)``)."""
    keys = {f"staff.submission.{s}" for s in (*SUBMISSION_STATUSES, "all")}
    keys |= {f"staff.scope.{s}" for s in SCOPES}
    keys |= {f"staff.licence_request.{s}" for s in (*LICENCE_REQUEST_STATUSES, "all")}
    keys |= {f"staff.participants.role.{r}" for r in ROLES}
    keys |= {f"staff.diff.{k}" for k in Kind.__args__}  # type: ignore[attr-defined]
    for action in ACTIONS:
        keys |= {
            f"staff.oversight.{action}",
            f"staff.oversight.{action}.intro",
            f"staff.oversight.confirm_{action}",
            f"staff.oversight.sent_{action}",
        }
    roles = [None, frozenset({"reviewer", "admin", "auditor", "regulator_officer"})]
    for organisation in ("SH", "regulator"):
        for held in roles:
            keys |= {link.label_key for link in nav_links(held, organisation)}
    keys |= {f"error.{status}" for status in (401, 403, 409, 422, 429)}
    return keys


def test_the_templates_ask_for_words() -> None:
    assert len(_literal_keys()) > 50


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_staff_word_is_in_both_languages(lang: str) -> None:
    missing = sorted((_literal_keys() | _composed_keys()) - set(i18n.MESSAGES[lang]))
    assert missing == []
