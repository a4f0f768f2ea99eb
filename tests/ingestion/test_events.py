"""Folding events into the latest state per object (pure)."""

from __future__ import annotations

from ingestion.stripe.events import EventFolder, fold_events, is_stub, should_apply
from tests.ingestion.stripe_mock import LEGACY_API_VERSION, fixture, make_event

DELETES = {"customer.deleted"}


def customer(cid: str = "cus_1", **fields: object) -> dict:
    return fixture("customer", id=cid, **fields)


def test_latest_event_wins_whatever_the_arrival_order() -> None:
    events = [
        make_event("evt_3", "customer.updated", customer(name="third"), created=300),
        make_event("evt_1", "customer.created", customer(name="first"), created=100),
        make_event("evt_2", "customer.updated", customer(name="second"), created=200),
    ]
    (state,) = fold_events(events, "customer", DELETES)
    assert state.object["name"] == "third"
    assert (state.state_at, state.event_id, state.is_deleted) == (300, "evt_3", False)


def test_same_second_is_ordered_by_event_id() -> None:
    events = [
        make_event("evt_B", "customer.updated", customer(name="b"), created=100),
        make_event("evt_A", "customer.updated", customer(name="a"), created=100),
    ]
    (state,) = fold_events(events, "customer", DELETES)
    assert state.object["name"] == "b" and state.event_id == "evt_B"


def test_duplicate_events_are_ignored() -> None:
    update = make_event("evt_2", "customer.updated", customer(name="new"), created=200)
    folder = EventFolder("customer", DELETES)
    assert folder.add(make_event("evt_1", "customer.created", customer(name="old"), created=100))
    assert folder.add(update)
    assert not folder.add(dict(update))  # delivered twice
    assert folder.duplicates == 1
    (state,) = folder.states()
    assert state.object["name"] == "new"


def test_deletion_marks_the_object_and_keeps_the_last_full_state() -> None:
    events = [
        make_event("evt_1", "customer.updated", customer(name="kept"), created=100),
        make_event("evt_2", "customer.deleted", {"id": "cus_1", "object": "customer", "deleted": True}, created=200),
    ]
    (state,) = fold_events(events, "customer", DELETES)
    assert state.is_deleted and state.deleted_at == 200 and state.state_at == 200
    assert state.object["name"] == "kept" and state.has_full_data


def test_deletion_is_final_even_if_an_update_sorts_after_it() -> None:
    events = [
        make_event("evt_1", "customer.deleted", customer(name="gone"), created=100),
        make_event("evt_2", "customer.updated", customer(name="late"), created=100),
    ]
    (state,) = fold_events(events, "customer", DELETES)
    assert state.is_deleted and state.deleted_at == 100
    assert state.object["name"] == "late"


def test_stub_only_deletion_asks_for_stored_data() -> None:
    stub = {"id": "cus_9", "object": "customer", "deleted": True}
    assert is_stub(stub)
    (state,) = fold_events([make_event("evt_1", "customer.deleted", stub, created=50)], "customer", DELETES)
    assert state.is_deleted and not state.has_full_data and state.object == stub


def test_canceled_subscription_is_a_state_not_a_deletion() -> None:
    sub = fixture("subscription", id="sub_1", status="canceled")
    (state,) = fold_events(
        [make_event("evt_1", "customer.subscription.deleted", sub, created=10)], "subscription", set()
    )
    assert not state.is_deleted and state.object["status"] == "canceled"


def test_other_object_types_and_objects_without_id_are_ignored() -> None:
    charge = fixture("charge", id="ch_1")
    dispute = fixture("dispute", id="dp_1")
    upcoming = fixture("invoice")
    upcoming.pop("id")
    folder = EventFolder("charge").add_all(
        [
            make_event("evt_1", "charge.succeeded", charge, created=10),
            make_event("evt_2", "charge.dispute.created", dispute, created=20),  # a dispute, not a charge
        ]
    )
    assert [s.id for s in folder.states()] == ["ch_1"]
    assert folder.ignored == 1
    invoices = EventFolder("invoice").add_all([make_event("evt_3", "invoice.upcoming", upcoming, created=5)])
    assert invoices.states() == []


def test_event_api_version_is_kept_per_state() -> None:
    events = [
        make_event("evt_1", "customer.updated", customer("cus_1"), created=10, api_version=LEGACY_API_VERSION),
        make_event("evt_2", "customer.updated", customer("cus_2"), created=20),
    ]
    states = fold_events(events, "customer")
    assert [(s.id, s.api_version) for s in states] == [
        ("cus_1", LEGACY_API_VERSION),
        ("cus_2", "2026-10-28.endive"),
    ]


def test_states_are_one_per_object_sorted_by_time() -> None:
    events = [make_event(f"evt_{i}", "customer.updated", customer(f"cus_{i % 3}"), created=1000 - i) for i in range(9)]
    states = fold_events(events, "customer")
    assert [s.id for s in states] == ["cus_2", "cus_1", "cus_0"]
    assert [s.state_at for s in states] == [998, 999, 1000]
    assert [s.event_id for s in states] == ["evt_2", "evt_1", "evt_0"]


def test_should_apply_compares_with_the_stored_state() -> None:
    assert should_apply(100, None)
    assert should_apply(100, 99)
    assert should_apply(100, 100)  # ties go to the event
    assert not should_apply(100, 101)
