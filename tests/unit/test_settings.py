"""Settings by concern: every field in exactly one part, described (the reference page is
generated from them), environment names unchanged, one list separator documented and both
read."""

from __future__ import annotations

import ipaddress

from pydantic_settings import BaseSettings

from streams.settings import PARTS, Settings, networks, split_list


def own_fields(part: type[BaseSettings]) -> set[str]:
    inherited = {f for base in part.__mro__[1:] if isinstance(base, type)
                 and issubclass(base, BaseSettings) for f in base.model_fields}
    return set(part.model_fields) - inherited


def test_every_setting_is_in_exactly_one_part_with_a_description():
    owned = [f for _, part in PARTS for f in own_fields(part)]
    assert sorted(owned) == sorted(Settings.model_fields)  # each once, none left out
    assert [f for f, info in Settings.model_fields.items() if not info.description] == []


def test_environment_names_are_the_field_names(monkeypatch):
    monkeypatch.setenv("PULSE_WEB_PORT", "9999")
    monkeypatch.setenv("PULSE_SURGE_MIN_Z", "4.5")
    monkeypatch.setenv("PULSE_KAFKA_BOOTSTRAP", "kafka:9092")
    s = Settings()
    assert (s.web_port, s.surge_min_z, s.kafka_bootstrap) == (9999, 4.5, "kafka:9092")


def test_list_settings_read_semicolons_and_commas_alike():
    assert split_list(" a.com; b.com ,c.com;; ") == ["a.com", "b.com", "c.com"]
    both = [networks("10.0.0.0/8;fd00::/8"), networks("10.0.0.0/8, fd00::/8")]
    assert both[0] == both[1] == [ipaddress.ip_network("10.0.0.0/8"),
                                  ipaddress.ip_network("fd00::/8")]
