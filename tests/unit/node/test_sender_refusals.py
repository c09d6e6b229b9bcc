"""How the sender reads a node's refusal of a raw transaction (pure)."""

from __future__ import annotations

import pytest

from node.chain.sender import refusal_kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("already known", "known"),
        ("Known transaction: 0xabc", "known"),
        ("transaction already imported", "known"),
        ("nonce too low: next nonce 7, tx nonce 5", "taken"),
        ("Nonce is too low", "taken"),
        ("replacement transaction underpriced", "taken"),
        ("transaction underpriced", "taken"),
        ("max fee per gas less than block base fee", "taken"),
        ("insufficient funds for gas * price + value", "other"),
        ("intrinsic gas too low", "other"),
    ],
    ids=[
        "geth and anvil: the same transaction is already pooled",
        "Besu's wording of the same",
        "OpenEthereum's wording of the same",
        "the nonce was mined already",
        "another node's wording of a used nonce",
        "a transaction of the same nonce waits in the pool",
        "ganache 7's answer for a nonce a pooled transaction holds",
        "the price fell below the base fee",
        "an account without funds can never send it",
        "too little gas can never be mined",
    ],
)
def test_a_refusal_is_read_as_known_taken_or_other(message: str, kind: str) -> None:
    assert refusal_kind(message) == kind
