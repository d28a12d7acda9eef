"""The runner's request targets (both dialects), including the ones no client may send."""

from __future__ import annotations

from adapters.conformance.paths import action_target, is_v3, rtm_target, token_v2_target


def test_v03_targets() -> None:
    assert rtm_target("0.3", license_id=7) == "/customer/v0.3/rtm/ws?license_id=7"
    assert (
        action_target("0.3", "send_event", prefix="/api", license_id=7)
        == "/api/customer/v0.3/action/send_event?license_id=7"
    )
    assert not is_v3("0.3")


def test_v3_targets() -> None:
    org = "8f3e1c52-6b0a"
    assert rtm_target("3.6", organization_id=org) == f"/v3.6/customer/rtm/ws?organization_id={org}"
    assert (
        action_target("3.4", "upload_file", organization_id="a b")
        == "/v3.4/customer/action/upload_file?organization_id=a+b"
    )
    assert token_v2_target("/acc") == "/acc/v2/customer/token"
    assert is_v3("3.5")


def test_a_v3_target_without_organization_id_can_be_built_to_test_a_refusal() -> None:
    assert rtm_target("3.6", organization_id="") == "/v3.6/customer/rtm/ws"
    assert rtm_target("3.6") == "/v3.6/customer/rtm/ws"
