"""lease_action: when a candidate may create, renew or take the Lease."""

from __future__ import annotations

from kubeshowcase_operator.lease import lease_action


def spec(holder: str, duration: int = 15) -> dict:
    return {"holderIdentity": holder, "leaseDurationSeconds": duration}


def test_a_missing_lease_is_created() -> None:
    assert lease_action(None, "me", 0) == "create"


def test_our_own_lease_is_renewed_even_after_a_restart() -> None:
    assert lease_action(spec("me"), "me", 0) == "renew"
    assert lease_action(spec("me"), "me", 999) == "renew"


def test_a_live_lease_of_another_is_left_alone() -> None:
    assert lease_action(spec("other"), "me", 14.9) == "wait"


def test_an_expired_lease_is_taken() -> None:
    assert lease_action(spec("other"), "me", 15) == "take"


def test_a_released_lease_is_taken_at_once() -> None:
    assert lease_action(spec(""), "me", 0) == "take"
    assert lease_action({}, "me", 0) == "take"
