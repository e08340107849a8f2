"""The Caisse-AP over IP driver against the terminal simulator on 127.0.0.1: the frames it
sends, each outcome a terminal can answer, and a terminal that is slow or silent."""

import socket
from decimal import Decimal

import pytest

from devices.caisse_ap import CaisseApIp, FrameError, decode, encode, mask_pan
from tests.devices.caisse_ap_simulator import Script, running_simulator

D = Decimal


def _driver(sim, **kw) -> CaisseApIp:
    return CaisseApIp(sim.host, sim.port, till_number="03", **kw)


def test_the_request_frame_is_what_the_protocol_describes():
    frame = CaisseApIp("127.0.0.1", 1, till_number="3").request(amount=D("42.50"), currency="EUR")
    assert frame == b"CZ0040300CJ012000000000001CA00203CB0044250CD0010CE003978BA0010"
    assert decode(frame)["CB"] == "4250"


def test_an_approval_returns_the_authorisation_and_the_masked_card_only():
    with running_simulator(Script("approve", authorisation="123456")) as sim:
        result = _driver(sim).transact(amount=D("42.50"), currency="EUR")
    assert result.approved
    assert (result.authorisation, result.card_type) == ("123456", "001")
    assert result.masked_pan == "************0042"
    assert sim.requests[0]["CB"] == "4250" and sim.requests[0]["CD"] == "0"
    assert sim.requests[0]["CA"] == "03" and sim.requests[0]["CE"] == "978"


@pytest.mark.parametrize(
    "outcome, status, code",
    [
        ("refuse", "declined", "04"),
        ("forbid", "declined", "05"),
        ("abandon", "abandoned", "11"),
        ("timeout", "error", "08"),
        ("bad", "error", "09"),
    ],
)
def test_refusals_abandons_and_bad_requests(outcome, status, code):
    with running_simulator(Script(outcome)) as sim:
        result = _driver(sim).transact(amount=D("42.50"), currency="EUR")
    assert (result.status, result.failure_code, result.authorisation) == (status, code, "")


def test_a_refund_is_sent_as_such():
    with running_simulator(Script("approve")) as sim:
        assert _driver(sim).transact(amount=D("5"), currency="EUR", refund=True).approved
    assert sim.requests[0]["CD"] == "1"


def test_a_terminal_that_does_not_answer_in_time_is_unknown_not_declined():
    with running_simulator(Script("approve", delay=1.5)) as sim:
        result = _driver(sim, timeout=0.5).transact(amount=D("42.50"), currency="EUR")
    # it may still approve: the outcome is unknown, never "failed, charge again"
    assert result.status == "unknown"


def test_a_terminal_that_hangs_up_is_unknown_and_one_that_is_off_is_unreachable():
    with running_simulator(Script("close")) as sim:
        assert _driver(sim).transact(amount=D("1"), currency="EUR").status == "unknown"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    off = CaisseApIp("127.0.0.1", port, connect_timeout=1)
    assert off.transact(amount=D("1"), currency="EUR").status == "unreachable"


def test_an_amount_the_protocol_cannot_carry_is_not_sent():
    with running_simulator() as sim:
        assert _driver(sim).transact(amount=D("0"), currency="EUR").status == "error"
        assert _driver(sim).transact(amount=D("10") ** 12, currency="EUR").status == "error"
    assert sim.requests == []


def test_frames_are_checked():
    assert encode([("CZ", "0300"), ("AE", "10")]) == b"CZ0040300AE00210"
    for bad in (b"CZ0040300AE0", b"XX", b"AE00210CZ0040300", b"CZ\xff04", b""):
        with pytest.raises(FrameError):
            decode(bad)
    assert decode(b"CZ0040300AE0", partial=True) is None
    assert mask_pan("4970101234560042") == "************0042"
    assert mask_pan("497010XXXXXX0042") == "************0042"
