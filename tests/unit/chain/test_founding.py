"""The founding consortium TOML: every mistake is named by its TOML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from onelist.chain.deployment import DeployedContract, Deployment, create_address
from onelist.chain.founding import constructor_args, load_founding, parse_founding
from onelist.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "consortium.example.toml"
VALID = EXAMPLE.read_text(encoding="utf-8")


def test_the_example_has_three_exchanges_and_the_national_regulator() -> None:
    founding = load_founding(EXAMPLE)
    assert [e.code for e in founding.exchanges] == ["SH", "ZJ", "SD"]
    assert [e.province for e in founding.exchanges] == [310000, 330000, 370000]
    assert founding.exchange("SH").name == "上海数据交易所"
    assert [(r.name, r.province) for r in founding.regulators] == [("国家数据局", 0)]
    assert (founding.home_bps, founding.granting_bps, founding.consortium_bps) == (300, 200, 100)
    assert founding.voting_period == 259200


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        pytest.param(
            "home_bps = 300",
            "home_bps = 9800",
            "consortium.fee_schedule",
            "more than 10000",
            id="fee shares adding up to more than the price are refused",
        ),
        pytest.param(
            "home_bps = 300",
            "home_bps = -1",
            "home_bps",
            "outside 0",
            id="a negative fee share is refused",
        ),
        pytest.param(
            "voting_period_seconds = 259200",
            "voting_period_seconds = 59",
            "voting_period",
            "outside 60",
            id="a voting window under a minute is refused",
        ),
        pytest.param(
            "voting_period_seconds = 259200",
            "voting_period_seconds = 60",
            None,
            None,
            id="a voting window of exactly a minute is accepted",
        ),
        pytest.param(
            'code = "ZJ"',
            'code = "SH"',
            "exchanges[1].code",
            "appears twice",
            id="a duplicate exchange code is refused",
        ),
        pytest.param(
            'code = "ZJ"',
            'code = "zj"',
            "exchanges[1].code",
            "upper-case",
            id="a lower-case exchange code is refused",
        ),
        pytest.param(
            "province = 330000",
            "province = 330100",
            "exchanges[1].province",
            "province code",
            id="a city code is not a province code",
        ),
        pytest.param(
            "province = 0  #",
            "province = 310000  #",
            None,
            None,
            id="a provincial regulator is accepted",
        ),
        pytest.param(
            "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            "0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            "exchanges[1].operator",
            "checksum",
            id="an address with a wrong EIP-55 checksum is refused",
        ),
        pytest.param(
            "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "exchanges[1].operator",
            "already used",
            id="one account in two roles is refused",
        ),
        pytest.param(
            'name = "浙江大数据交易中心"',
            'name = ""',
            "exchanges[1].name",
            "non-empty",
            id="an empty exchange name is refused",
        ),
        pytest.param(
            "voting_period_seconds = 259200",
            "",
            "consortium.voting_period_seconds",
            "integer from 60",
            id="a missing voting window is refused",
        ),
        pytest.param(
            "[consortium.fee_schedule]",
            "[consortium.fees]",
            "consortium.fee_schedule",
            "table is required",
            id="a missing fee schedule is refused",
        ),
        pytest.param(
            "[[exchanges]]",
            "[[exchange]]",
            "exchanges",
            "at least one",
            id="a file without exchanges is refused",
        ),
        pytest.param(
            "[consortium]", "[consortium", None, "not valid TOML", id="malformed TOML is refused"
        ),
    ],
)
def test_founding_toml_errors_name_the_path(
    old: str, new: str, where: str | None, fragment: str | None
) -> None:
    text = VALID.replace(old, new)
    assert text != VALID
    if fragment is None:
        parse_founding(text)
        return
    with pytest.raises(ConfigError, match=fragment) as info:
        parse_founding(text)
    if where is not None:
        assert info.value.where is not None and where in info.value.where


def test_a_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as info:
        load_founding(tmp_path / "missing.toml")
    assert "missing.toml" in str(info.value)


def test_constructor_arguments_follow_the_abi_order() -> None:
    founding = parse_founding(VALID)
    exchanges, regulators, fees, voting, listing, licence = constructor_args(
        founding, "0x" + "11" * 20, "0x" + "22" * 20
    )
    assert exchanges[0] == (
        b"SH\0\0\0\0\0\0",
        "上海数据交易所",
        310000,
        founding.exchanges[0].operator,
    )
    assert regulators == [(founding.regulators[0].account, 0, "国家数据局")]
    assert (fees, voting) == ([300, 200, 100], 259200)
    assert (listing, licence) == ("0x" + "11" * 20, "0x" + "22" * 20)


@pytest.mark.parametrize(
    ("sender", "nonce", "expected"),
    [
        # Well-known: the first contracts the dev account 0 deploys on a fresh chain.
        (
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            0,
            "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        ),
        (
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            1,
            "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        ),
    ],
    ids=["nonce 0", "nonce 1"],
)
def test_create_addresses_are_predicted(sender: str, nonce: int, expected: str) -> None:
    assert create_address(sender, nonce) == expected


def test_a_deployment_record_round_trips_and_bad_ones_are_refused() -> None:
    record = Deployment(
        chain_id=1337,
        deployer="0x" + "aa" * 20,
        block=1,
        block_hash="0x" + "bb" * 32,
        founding_sha256="cc" * 32,
        deployed_at=0,
        contracts={
            name: DeployedContract("0x" + "dd" * 20, "ee" * 32, "0x" + "ff" * 32, 1)
            for name in ("Consortium", "ListingRegistry", "LicenceRegistry")
        },
    )
    assert Deployment.from_json(record.to_json()) == record
    with pytest.raises(ConfigError, match="not a onelist deployment record"):
        Deployment.from_json('{"chain_id": 1}')
    with pytest.raises(ConfigError, match="not a onelist deployment record"):
        Deployment.from_json("not json")
