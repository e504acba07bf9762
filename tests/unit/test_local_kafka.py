"""`pulse up` on a new home: the KRaft cluster id never looks like an option."""

from services.runtime.local_kafka import new_cluster_id


def test_pulse_up_cluster_id_starting_with_a_dash_is_drawn_again():
    draws = iter([bytes([0xF8]) + bytes(15), bytes([0x10]) + bytes(15)])  # '-' then 'E'
    cluster_id = new_cluster_id(lambda: next(draws))
    assert cluster_id == "EAAAAAAAAAAAAAAAAAAAAA"
    assert not any(new_cluster_id().startswith("-") for _ in range(2000))
