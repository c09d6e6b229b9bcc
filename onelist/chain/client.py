"""A thin client for the consortium's contracts: builds, signs and sends their transactions.

The pure parts (EIP-712 messages, record tuples, hashes) live in :mod:`onelist.eip712` and
:mod:`onelist.records`; this module only adds the RPC calls around them. The provider toolkit,
the node's transaction sender, the benchmarks and the tests all go through it, so there is one
way to call each contract function.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from onelist import eip712
from onelist.build.compiler import Artifact, load_artifacts
from onelist.chain.connection import send_transaction
from onelist.chain.deployment import Deployment
from onelist.codes import exchange_code
from onelist.records import record_tuple, terms_tuple


class ConsortiumClient:
    """The three contracts of one deployment, with helpers that sign and send."""

    def __init__(
        self, w3: Web3, deployment: Deployment, artifacts: Mapping[str, Artifact] | None = None
    ) -> None:
        artifacts = artifacts or load_artifacts()
        self.w3 = w3
        self.deployment = deployment
        self.chain_id = deployment.chain_id
        self.consortium: Contract = w3.eth.contract(
            address=deployment.address("Consortium"), abi=artifacts["Consortium"].abi
        )
        self.listings: Contract = w3.eth.contract(
            address=deployment.address("ListingRegistry"), abi=artifacts["ListingRegistry"].abi
        )
        self.licences: Contract = w3.eth.contract(
            address=deployment.address("LicenceRegistry"), abi=artifacts["LicenceRegistry"].abi
        )

    # ----------------------------------------------------------------- plumbing

    def send(self, call: Any, key: str) -> TxReceipt:
        return send_transaction(self.w3, call, key)

    def now(self) -> int:
        """The latest block's timestamp: the contracts' clock, which tests may move ahead."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def deadline(self, seconds: int = 3600) -> int:
        return max(self.now(), int(time.time())) + seconds

    def exchange_indexes(self) -> dict[str, int]:
        count = self.consortium.functions.exchangeCount().call()
        codes = [self.consortium.functions.exchangeCodeAt(i).call() for i in range(count)]
        return {bytes(c).rstrip(b"\0").decode(): i for i, c in enumerate(codes)}

    # ----------------------------------------------------------------- membership

    def register_participant(
        self, operator_key: str, account: str, roles: int, identity: str = ""
    ) -> TxReceipt:
        identity_hash = keccak(text=identity or account)
        fn = self.consortium.functions.registerParticipant(account, int(roles), identity_hash)
        return self.send(fn, operator_key)

    def grant_participant_roles(self, operator_key: str, account: str, roles: int) -> TxReceipt:
        """Add ``roles`` (ParticipantRole bits) to a registered participant; the operator must act
        for the exchange that registered it."""
        fn = self.consortium.functions.grantParticipantRoles(account, int(roles))
        return self.send(fn, operator_key)

    # ----------------------------------------------------------------- listings

    def authorization(
        self,
        listing: bytes,
        home: str,
        record: Mapping[str, Any],
        catalogue: bytes,
        deadline: int,
    ) -> dict[str, Any]:
        """The ListingAuthorization message a provider signs."""
        return {
            "listingId": listing,
            "version": record["version"],
            "homeExchange": exchange_code(home),
            "manifestHash": record["manifestHash"],
            "fingerprint": record["fingerprint"],
            "catalogueHash": keccak(catalogue),
            "policy": dict(record["policy"]),
            "deadline": deadline,
        }

    def sign_listing(
        self,
        provider_key: str,
        listing: bytes,
        home: str,
        record: Mapping[str, Any],
        catalogue: bytes,
        deadline: int,
    ) -> bytes:
        message = self.authorization(listing, home, record, catalogue, deadline)
        return eip712.sign(
            "ListingAuthorization", message, self.chain_id, self.listings.address, provider_key
        )

    def list(
        self,
        operator_key: str,
        provider_key: str,
        home: str,
        record: Mapping[str, Any],
        catalogue: bytes,
        deadline: int | None = None,
        signature: bytes | None = None,
    ) -> tuple[bytes, TxReceipt]:
        """Sign as the provider and list as the home exchange's operator.

        The listing's id is its first version's dataset fingerprint.
        """
        deadline = deadline if deadline is not None else self.deadline()
        lid = bytes(record["fingerprint"])
        if signature is None:
            signature = self.sign_listing(provider_key, lid, home, record, catalogue, deadline)
        fn = self.listings.functions.list(record_tuple(record), catalogue, deadline, signature)
        return lid, self.send(fn, operator_key)

    def publish_version(
        self,
        operator_key: str,
        provider_key: str,
        home: str,
        listing: bytes,
        current: Mapping[str, Any],
        nxt: Mapping[str, Any],
        catalogue: bytes,
        deadline: int | None = None,
    ) -> TxReceipt:
        deadline = deadline if deadline is not None else self.deadline()
        signature = self.sign_listing(provider_key, listing, home, nxt, catalogue, deadline)
        fn = self.listings.functions.publishVersion(
            listing, record_tuple(current), record_tuple(nxt), catalogue, deadline, signature
        )
        return self.send(fn, operator_key)

    # ----------------------------------------------------------------- licences

    def sign_acceptance(self, licensee_key: str, terms: Mapping[str, Any]) -> bytes:
        return eip712.sign(
            "LicenceAcceptance", dict(terms), self.chain_id, self.licences.address, licensee_key
        )

    def licence_id(self, terms: Mapping[str, Any]) -> bytes:
        return eip712.digest("LicenceAcceptance", dict(terms), self.chain_id, self.licences.address)

    def grant(
        self,
        operator_key: str,
        licensee_key: str,
        terms: Mapping[str, Any],
        record: Mapping[str, Any],
        acceptance: bytes | None = None,
    ) -> tuple[bytes, TxReceipt]:
        if acceptance is None:
            acceptance = self.sign_acceptance(licensee_key, terms)
        fn = self.licences.functions.grant(terms_tuple(terms), record_tuple(record), acceptance)
        return self.licence_id(terms), self.send(fn, operator_key)

    def grant_exclusive(
        self,
        operator_key: str,
        licensee_key: str,
        terms: Mapping[str, Any],
        record: Mapping[str, Any],
        approval_ref: bytes,
        auction_ref: bytes,
        acceptance: bytes | None = None,
    ) -> tuple[bytes, TxReceipt]:
        """Grant an exclusive licence of public data: the same signed terms as :meth:`grant`,
        with the hashes of the approval document and of the open-auction record."""
        if acceptance is None:
            acceptance = self.sign_acceptance(licensee_key, terms)
        fn = self.licences.functions.grantExclusive(
            terms_tuple(terms), record_tuple(record), acceptance, approval_ref, auction_ref
        )
        return self.licence_id(terms), self.send(fn, operator_key)

    def sign_termination(self, key: str, licence: bytes, deadline: int) -> bytes:
        message = {"licenceId": licence, "deadline": deadline}
        return eip712.sign("LicenceTermination", message, self.chain_id, self.licences.address, key)

    # ----------------------------------------------------------------- governance

    def propose(self, operator_key: str, kind: int, data: bytes) -> tuple[int, TxReceipt]:
        receipt = self.send(self.consortium.functions.propose(kind, data), operator_key)
        created = self.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
        return int(created[0]["args"]["proposalId"]), receipt
