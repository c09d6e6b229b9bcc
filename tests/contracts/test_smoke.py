"""A listing at SH and a licence via ZJ, end to end on the real contracts."""

from __future__ import annotations

from onelist.chain.client import ConsortiumClient
from onelist.records import split_fees

from .conftest import Actors, listed, terms_for


def test_a_listing_at_sh_is_licensed_via_zj_with_the_voted_split(
    world: ConsortiumClient, actors: Actors
) -> None:
    listing_id, rec = listed(world, actors)
    terms = terms_for(world, listing_id, rec, actors)
    licence_id, receipt = world.grant(actors.zj.key, actors.licensee.key, terms, rec)
    (event,) = world.licences.events.LicenceGranted().process_receipt(receipt)
    split = event["args"]["split"]
    shares = [(split >> (64 * i)) & (2**64 - 1) for i in range(4)]
    assert shares == split_fees(terms["priceFen"], 300, 200, 100)
    assert event["args"]["seq"] == 2
    assert world.licences.functions.inForce(licence_id).call()
