"""Gas used per consortium operation, on a real local chain: prints one JSON object.

    .venv/bin/python benchmarks/gas.py [--chain ganache|anvil]

Keys: list (a first version with about 1 KB of Chinese catalogue text), new_version, grant
(a listing's second; the listing is not public data), grant_first (its first), grant_public and
grant_public_first (the same on a public-data listing, whose grants keep its licensing slot),
grant_exclusive (an exclusive licence of public data), revoke, suspend, vote,
register_participant, grant_participant_roles (a licensee made a provider too); plus "context"
(catalogue sizes, backend).
Targets (issue #2): list <= 100,000 gas, grant <= 90,000 gas.
"""

from __future__ import annotations

import argparse
import json

from eth_abi import encode

from onelist.build.compiler import load_artifacts, repo_root
from onelist.catalogue import encode_catalogue
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import address_of, connect, dev_private_keys
from onelist.chain.deployment import deploy
from onelist.chain.founding import load_founding
from onelist.chain.launcher import BACKENDS, LocalChain
from onelist.chain.samples import (
    catalogue_text_bytes,
    sample_catalogue,
    sample_record,
    sample_terms,
)
from onelist.codes import ParticipantRole, ProposalKind, SuspensionScope, exchange_code
from onelist.records import record_tuple, terms_tuple


def measure(backend: str) -> dict[str, object]:
    keys = dev_private_keys()
    deployer, sh, zj, _sd, regulator, provider, licensee = keys[:7]
    with LocalChain(backend) as chain:  # type: ignore[arg-type]
        w3 = connect(chain.url, chain.chain_id)
        founding = load_founding(repo_root() / "config" / "consortium.example.toml")
        c = ConsortiumClient(w3, deploy(w3, founding, deployer, load_artifacts()))
        gas: dict[str, int] = {}

        c.register_participant(sh, address_of(provider), ParticipantRole.provider)
        receipt = c.register_participant(zj, address_of(licensee), ParticipantRole.licensee)
        gas["register_participant"] = receipt["gasUsed"]
        fn = c.consortium.functions.grantParticipantRoles(
            address_of(licensee), int(ParticipantRole.provider)
        )
        gas["grant_participant_roles"] = c.send(fn, zj)["gasUsed"]

        catalogue = sample_catalogue()
        encoded = encode_catalogue(catalogue)
        # The second listing is measured: the first also pays for slots any first call warms.
        c.list(sh, provider, "SH", sample_record(address_of(provider), "warm-up"), encoded)
        record = sample_record(address_of(provider), "measured")
        listing_id, receipt = c.list(sh, provider, "SH", record, encoded)
        gas["list"] = receipt["gasUsed"]

        terms = sample_terms(listing_id, 1, address_of(licensee), exchange_code("ZJ"), c.now())
        _, receipt = c.grant(zj, licensee, terms, record)
        gas["grant_first"] = receipt["gasUsed"]
        terms = sample_terms(listing_id, 1, address_of(licensee), exchange_code("ZJ"), c.now() + 1)
        _, receipt = c.grant(zj, licensee, terms, record)
        gas["grant"] = receipt["gasUsed"]

        # A public-data listing's grants also keep its licensing slot (exclusive licences).
        assert record["policy"]["openClass"] == 0, "grant is measured on a non-public listing"
        shared = sample_record(address_of(provider), "public-shared", openClass=1)
        shared_id, _ = c.list(sh, provider, "SH", shared, encoded)
        for key, offset in (("grant_public_first", 0), ("grant_public", 1)):
            terms_public = sample_terms(
                shared_id, 1, address_of(licensee), exchange_code("ZJ"), c.now() + offset
            )
            _, receipt = c.grant(zj, licensee, terms_public, shared)
            gas[key] = receipt["gasUsed"]

        public = sample_record(address_of(provider), "public", openClass=1)
        public_id, _ = c.list(sh, provider, "SH", public, encoded)
        exclusive = sample_terms(public_id, 1, address_of(licensee), exchange_code("ZJ"), c.now())
        _, receipt = c.grant_exclusive(zj, licensee, exclusive, public, b"\x33" * 32, b"\x44" * 32)
        gas["grant_exclusive"] = receipt["gasUsed"]

        fn = c.licences.functions.revokeByProvider(
            terms_tuple(terms), record_tuple(record), 1, b"\x11" * 32
        )
        gas["revoke"] = c.send(fn, provider)["gasUsed"]

        new = sample_record(address_of(provider), "measured", version=2)
        receipt = c.publish_version(sh, provider, "SH", listing_id, record, new, encoded)
        gas["new_version"] = receipt["gasUsed"]

        fn = c.consortium.functions.suspend(
            int(SuspensionScope.listing), listing_id, 101, b"\x22" * 32, 0
        )
        gas["suspend"] = c.send(fn, regulator)["gasUsed"]

        data = encode(["uint16", "uint16", "uint16"], [250, 250, 100])
        proposal, _ = c.propose(sh, int(ProposalKind.set_fee_schedule), data)
        gas["vote"] = c.send(c.consortium.functions.vote(proposal, True), zj)["gasUsed"]

        return {
            "list": gas["list"],
            "new_version": gas["new_version"],
            "grant": gas["grant"],
            "grant_first": gas["grant_first"],
            "grant_public": gas["grant_public"],
            "grant_public_first": gas["grant_public_first"],
            "grant_exclusive": gas["grant_exclusive"],
            "revoke": gas["revoke"],
            "suspend": gas["suspend"],
            "vote": gas["vote"],
            "register_participant": gas["register_participant"],
            "grant_participant_roles": gas["grant_participant_roles"],
            "context": {
                "chain": backend,
                "catalogue_text_bytes": catalogue_text_bytes(catalogue),
                "catalogue_encoded_bytes": len(encoded),
                "targets": {"list": 100_000, "grant": 90_000},
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", choices=BACKENDS, default="ganache")
    args = parser.parse_args()
    print(json.dumps(measure(args.chain)))


if __name__ == "__main__":
    main()
