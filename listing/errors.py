"""Errors of the provider toolkit: one root, each subclass also a matching built-in.

Every error carries ``where`` (a file, a field path, or both) and a one-line message; the CLI
prints ``onelist: error: <where>: <message>`` and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from onelist.errors import OnelistError


class ListingError(OnelistError):
    """Root of the listing toolkit's errors."""


@dataclass(frozen=True)
class Issue:
    """One problem in a manifest: the JSON path of the field (``catalogue.keywords[2]``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DocumentError(ListingError, ValueError):
    """A JSON document (manifest, fingerprint, proof, index table) is malformed or mis-shaped.

    ``issues`` lists every problem found; the message names the first and counts the rest.
    """

    more_hint = ""

    def __init__(self, issues: list[Issue], *, where: str | None = None) -> None:
        if not issues:
            raise ValueError("a DocumentError needs at least one issue")
        self.issues = list(issues)
        first = str(issues[0])
        more = len(issues) - 1
        if more:
            plural = "s" if more > 1 else ""
            first += f" (and {more} more problem{plural}{self.more_hint})"
        super().__init__(first, where=where)


class ManifestError(DocumentError):
    """A manifest could not be parsed or does not match the schema."""

    more_hint = "; `onelist listing check` lists all"


class InputFileError(ListingError, OSError):
    """An input file is missing, unreadable or not what it should be."""


class FingerprintError(ListingError, OSError):
    """A dataset file vanished, changed or could not be read while being fingerprinted."""


class ProofError(ListingError, ValueError):
    """An inclusion proof is malformed or does not verify."""


class KeystoreError(ListingError, ValueError):
    """A keystore file or passphrase is wrong, or the keystore folder cannot be used."""


class SigningError(ListingError, ValueError):
    """A listing cannot be signed as asked (checks fail, an index is missing, a bad argument)."""
