"""Demo traffic for a local consortium, through the paths real users take: the staff sign in
at their node's API, providers and licensees send requests signed with their keys (the
toolkit's :class:`listing.submit.NodeClient`), the regulator's officer suspends through the
regulator's node, and a provider withdraws a listing's consent on chain with its own key.

:class:`Actors` holds these actions for any plan; ``onelist up --demo`` runs
:func:`seed_demo` with them once, and the end-to-end tests drive the same actions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak

from listing.manifest import Manifest, manifest_document, manifest_from_data
from listing.onchain import to_json
from listing.submit import NodeClient, prepare_submission
from node.api.staff import listing_call
from onelist import eip712
from onelist.build.compiler import repo_root
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import connect, dev_private_keys
from onelist.chain.deployment import Deployment
from onelist.chain.launcher import rpc_call
from onelist.errors import OnelistError
from onelist.network.plan import NetworkPlan
from onelist.network.provision import read_staff_passwords
from onelist.network.scenario import (
    EXCLUSIVE_LICENCE_DAYS,
    LICENCE_DAYS,
    as_local_manifest,
    licence_terms,
)
from onelist.network.staff_client import NodeAnswer, StaffClient, get_json
from onelist.network.supervisor import DEMO_MARKER
from onelist.records import record_tuple

__all__ = ["APPROVAL_REF", "AUCTION_REF", "Actors", "DemoCast", "Listed", "seed_demo"]

#: The development accounts the demo's participants use (0 deploys, 1-3 operate the example's
#: exchanges, 4 is its regulator).
PROVIDER_A, PROVIDER_B, LICENSEE = 5, 6, 7
SIGNATURE_MINUTES = 60
#: The demo's exclusive licence of public data names the keccak256 of two public documents:
#: the government's approval of the franchise and the record of its open auction.
APPROVAL_REF = "0x" + keccak(text="demo: 衡阳市人民政府关于城市运行公共数据特许经营的批复").hex()
AUCTION_REF = "0x" + keccak(text="demo: 城市运行公共数据特许经营权网络公开竞价成交记录").hex()


@dataclass(frozen=True)
class Listed:
    """A listing the demo submitted and its exchange approved."""

    listing_id: str
    manifest: Manifest
    signature: Mapping[str, Any]
    submission_id: int


def _wait(what: str, probe: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = probe()
        except NodeAnswer as exc:
            if exc.status not in (404, 503):
                raise
            answer = None
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise OnelistError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


class Actors:
    """The people who act on a running local consortium — staff, providers, licensees, the
    regulator's officer — each action through the node and role that does it."""

    def __init__(self, plan: NetworkPlan, deployment: Deployment) -> None:
        self.plan = plan
        self.deployment = deployment
        self._staff: dict[tuple[str, str], StaffClient] = {}
        self._indexes: dict[str, int] | None = None

    # ------------------------------------------------------------------------- plumbing

    def staff(self, organisation: str, username: str) -> StaffClient:
        """``username`` signed in at ``organisation``'s node (one session, kept)."""
        key = (organisation, username)
        if key not in self._staff:
            node = self.plan.node(organisation)
            password = read_staff_passwords(node.staff_passwords_path)[username]
            self._staff[key] = StaffClient(node.url, username, password)
        return self._staff[key]

    def participant(self, organisation: str, key: str) -> NodeClient:
        return NodeClient(self.plan.node(organisation).url, bytes.fromhex(key[2:]), timeout=90)

    def listing(self, organisation: str, listing_id: str) -> Any:
        """The listing's public page at ``organisation``'s node (NodeAnswer 404 if unknown)."""
        return get_json(f"{self.plan.node(organisation).url}/listings/{listing_id}")

    def wait_listing(
        self,
        organisation: str,
        listing_id: str,
        until: Callable[[Mapping[str, Any]], bool] = lambda page: True,
        timeout: float = 30,
    ) -> Any:
        """The listing's page at ``organisation``'s node once ``until`` holds for it."""

        def probe() -> Any:
            page = self.listing(organisation, listing_id)
            return page if until(page) else None

        return _wait(f"{listing_id} at {organisation}'s node", probe, timeout)

    def wait_indexed(self, timeout: float = 30) -> int:
        """Wait until every node has indexed the chain's current head (so that, say, a
        participant registered at ZJ is known at SH); returns that block."""
        head = int(str(rpc_call(self.plan.chain_url, "eth_blockNumber", [])), 16)

        def probe() -> bool:
            for node in self.plan.nodes:
                indexed = get_json(node.url + "/status")["indexed"]
                if indexed is None or indexed < head:
                    return False
            return True

        _wait(f"every node to index block {head}", probe, timeout)
        return head

    # ------------------------------------------------------------------------- the actions

    def register(self, organisation: str, account: str, roles: list[str], reference: str) -> Any:
        """The exchange's admin registers a participant after checking its identity; an
        account registered before (a demo run again) is left as it is."""
        try:
            return self.staff(organisation, "admin").post(
                "/staff/participants",
                {"account": account, "roles": roles, "identity_reference": reference},
            )
        except NodeAnswer as exc:
            if exc.status == 409 and "ParticipantExists" in str(exc):
                return None
            raise

    def submit_and_approve(self, home: str, provider_key: str, manifest: Manifest) -> Listed:
        """The provider signs and submits at the home exchange's node; its reviewer approves."""
        client = self.participant(home, provider_key)
        body = prepare_submission(
            manifest,
            bytes.fromhex(provider_key[2:]),
            client.deployment(),
            deadline=int(time.time()) + 60 * SIGNATURE_MINUTES,
        )
        submission = client.submit(body).submission
        approved = self.staff(home, "reviewer").post(
            f"/staff/submissions/{submission['submission_id']}/approve"
        )
        if approved["status"] != "listed":
            raise OnelistError(f"submission {approved['id']} is {approved['status']}")
        return Listed(
            str(approved["listing_id"]), manifest, body["signature"], submission["submission_id"]
        )

    def signed_terms(
        self,
        listed: Listed,
        licensee_key: str,
        granting: str,
        reference: str,
        days: int = LICENCE_DAYS,
    ) -> tuple[dict[str, Any], str]:
        """Terms inside the listing's envelope and the licensee's signed acceptance of them."""
        terms = licence_terms(
            listed.manifest,
            bytes.fromhex(listed.listing_id[2:]),
            Account.from_key(licensee_key).address,
            granting,
            int(time.time()),
            reference,
            days,
        )
        registry = self.deployment.address("LicenceRegistry")
        acceptance = eip712.sign(
            "LicenceAcceptance", terms, self.deployment.chain_id, registry, licensee_key
        )
        return terms, "0x" + acceptance.hex()

    def request_and_grant(
        self,
        granting: str,
        licensee_key: str,
        listed: Listed,
        reference: str,
        *,
        days: int = LICENCE_DAYS,
        exclusive: tuple[str, str] | None = None,
    ) -> Any:
        """The licensee sends its signed acceptance to the granting exchange's node; after
        settlement the exchange's reviewer grants it. ``exclusive`` (the approval document's
        and the open-auction record's 0x-hex hashes) makes it an exclusive licence of public
        data, the auction's outcome."""
        terms, acceptance = self.signed_terms(listed, licensee_key, granting, reference, days)
        body = {"listing_id": listed.listing_id, "terms": to_json(terms), "acceptance": acceptance}
        _, request = self.participant(granting, licensee_key).request(
            "POST", "/licence-requests", body
        )
        grant: dict[str, Any] = {"licence_request_id": request["request_id"]}
        if exclusive is not None:
            grant |= {"exclusive": True, "approval_ref": exclusive[0], "auction_ref": exclusive[1]}
        return self.staff(granting, "reviewer").post("/staff/licences", grant)

    def grant_direct(self, granting: str, licensee_key: str, listed: Listed, reference: str) -> Any:
        """The granting exchange's reviewer grants from the licensee's signed terms."""
        terms, acceptance = self.signed_terms(listed, licensee_key, granting, reference)
        return self.staff(granting, "reviewer").post(
            "/staff/licences", {"terms": to_json(terms), "acceptance": acceptance}
        )

    def oversee(self, action: str, scope: str, subject: str, request_id: str) -> Any:
        """The regulator's officer suspends (``action`` "suspensions") or reinstates
        ("reinstatements") through the regulator's node."""
        body: dict[str, Any] = {
            "scope": scope,
            "subject": subject,
            "reason_code": 3,
            "legal_basis": "《数据安全法》第四十一条：核查数据来源的合法性",
            "request_id": request_id,
        }
        regulator = next(n for n in self.plan.nodes if n.is_regulator)
        return self.staff(regulator.organisation, "officer").post(f"/audit/{action}", body)

    def withdraw_consent(self, provider_key: str, listed: Listed, evidence: bytes) -> None:
        """The provider withdraws the consent its listing rests on, on chain with its own key
        (no exchange takes part: the listing stops at once everywhere)."""
        # The record as listed, rebuilt by the node's own code from the manifest and signature.
        call = listing_call(
            manifest_document(listed.manifest), listed.signature, self.exchange_indexes()
        )
        client = ConsortiumClient(connect(self.plan.chain_url), self.deployment)
        fn = client.listings.functions.withdrawConsent(
            call.listing_id, record_tuple(call.record), evidence
        )
        client.send(fn, provider_key)

    def exchange_indexes(self) -> dict[str, int]:
        if self._indexes is None:
            self._indexes = NodeClient(self.plan.nodes[0].url).deployment().exchanges
        return self._indexes


# ----------------------------------------------------------------------------- the demo


@dataclass(frozen=True)
class DemoCast:
    """Who acts in the demo: development keys, never keys of value."""

    provider_a: str
    provider_b: str
    licensee: str

    @classmethod
    def from_dev_keys(cls) -> DemoCast:
        keys = dev_private_keys()
        return cls(keys[PROVIDER_A], keys[PROVIDER_B], keys[LICENSEE])


def example_manifest(name: str, provider_key: str, home: str, exchanges: list[str]) -> Manifest:
    """``examples/manifests/<name>.json`` as ``provider_key``'s product at ``home`` (``name``
    may be in a subfolder: ``demo/hengyang-city-operations``)."""
    path = repo_root() / "examples" / "manifests" / f"{name}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    local = as_local_manifest(document, Account.from_key(provider_key).address, home, exchanges)
    return manifest_from_data(local, where=str(path))


def seed_demo(plan: NetworkPlan, deployment: Deployment, data_dir: Path) -> Iterator[str]:
    """Seed the demo once per data folder, saying what it did line by line."""
    marker = data_dir / DEMO_MARKER
    if marker.exists():
        yield f"seeded before ({marker.read_text(encoding='utf-8').strip()}); `--fresh` redoes it"
        return
    exchanges = [n.organisation for n in plan.nodes if not n.is_regulator]
    if not {"SH", "ZJ", "SD"} <= set(exchanges) or not any(n.is_regulator for n in plan.nodes):
        yield "skipped: the demo needs the example's SH, ZJ, SD and a regulator"
        return
    cast = DemoCast.from_dev_keys()
    c = Actors(plan, deployment)
    a, b, licensee = (
        Account.from_key(key).address for key in (cast.provider_a, cast.provider_b, cast.licensee)
    )

    c.register("SH", a, ["provider"], "统一社会信用代码 91310000MA1K00001A（营业执照核验）")
    c.register("ZJ", b, ["provider"], "统一社会信用代码 91330100MA2K00002B（营业执照核验）")
    c.register("SD", licensee, ["licensee"], "统一社会信用代码 91370100MA3K00003C（营业执照核验）")
    c.wait_indexed()  # a participant registered at one exchange acts at another
    yield f"providers {a} (registered at SH), {b} (at ZJ); licensee {licensee} (at SD)"

    credit = c.submit_and_approve(
        "SH", cast.provider_a, example_manifest("public-credit", cast.provider_a, "SH", exchanges)
    )
    telemetry = c.submit_and_approve(
        "SH",
        cast.provider_b,
        example_manifest("industrial-telemetry", cast.provider_b, "SH", exchanges),
    )
    traffic = c.submit_and_approve(
        "SH", cast.provider_a, example_manifest("traffic-od", cast.provider_a, "SH", exchanges)
    )
    for listed in (credit, telemetry, traffic):
        yield f"listed at SH: {listed.manifest.catalogue.title} {listed.listing_id}"
    # Public data under a franchise (the Hengyang case): ZJ lists it and, after an open
    # auction, grants it exclusively.
    city = c.submit_and_approve(
        "ZJ",
        cast.provider_b,
        example_manifest("demo/hengyang-city-operations", cast.provider_b, "ZJ", exchanges),
    )
    yield f"listed at ZJ: {city.manifest.catalogue.title} {city.listing_id} (public data)"

    c.wait_listing("ZJ", credit.listing_id)
    grant = c.request_and_grant("ZJ", cast.licensee, credit, "demo settlement ZJ-2026-0001")
    yield f"licence {grant['licence_id']} granted via ZJ for {credit.manifest.product_ref}"
    c.wait_listing("ZJ", city.listing_id)
    exclusive = c.request_and_grant(
        "ZJ",
        cast.licensee,
        city,
        "demo settlement ZJ-2026-0002 (auction)",
        days=EXCLUSIVE_LICENCE_DAYS,
        exclusive=(APPROVAL_REF, AUCTION_REF),
    )
    yield (
        f"exclusive licence {exclusive['licence_id']} granted via ZJ for "
        f"{city.manifest.product_ref} for {EXCLUSIVE_LICENCE_DAYS} days "
        f"(approval {APPROVAL_REF}, open auction {AUCTION_REF})"
    )

    c.oversee("suspensions", "listing", telemetry.listing_id, "demo-case-001")
    yield f"regulator suspended {telemetry.listing_id} (case demo-case-001)"
    c.oversee("reinstatements", "listing", telemetry.listing_id, "demo-case-001")
    yield f"regulator reinstated {telemetry.listing_id}"

    notice = bytes(keccak(text="demo: data subjects' consent withdrawal notice 2026-11"))
    c.withdraw_consent(cast.provider_a, traffic, notice)
    yield f"provider withdrew the consent of {traffic.listing_id}; it is no longer licensable"
    marker.write_text(time.strftime("%Y-%m-%d %H:%M:%S %Z") + "\n", encoding="utf-8")
