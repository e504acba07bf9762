"""docker-compose.yml parses, names real official images and wires the same settings the
code reads. (No Docker engine runs here; this is what can be checked without one.)"""

import os
import re
from pathlib import Path

import yaml

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PULSE_SERVICES = [n for n, s in SERVICES.items() if s.get("image", "").startswith("accountpulse")]


def test_official_images_with_pinned_tags():
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", SERVICES["kafka"]["image"])
    assert re.fullmatch(r"clickhouse/clickhouse-server:\d+\.\d+", SERVICES["clickhouse"]["image"])


def test_kafka_runs_kraft_without_zookeeper():
    env = SERVICES["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "zookeeper" not in SERVICES
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # `pulse up` creates topics


REQUIRED = {"PULSE_PERSON_KEY_SECRET": "a-long-random-secret-for-the-contract-test",
            "PULSE_CLICKHOUSE_PASSWORD": "pw"}


def compose_value(value: str) -> str:
    """What compose makes of ``${VAR:-default}`` when VAR is unset, and of a required
    ``${VAR:?message}`` when the operator has set VAR."""
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{([A-Z_]+):\?[^}]*\}", lambda m: REQUIRED[m.group(1)], value)


def test_every_pulse_container_gets_the_same_known_settings(monkeypatch):
    assert set(PULSE_SERVICES) == {"init", "worker"}
    envs = [SERVICES[n]["environment"] for n in PULSE_SERVICES]
    assert all(e == envs[0] for e in envs)
    fields = {f"PULSE_{name.upper()}" for name in Settings.model_fields}
    unknown = set(envs[0]) - fields
    assert not unknown, f"docker-compose sets settings the code does not read: {unknown}"
    for key in [k for k in os.environ if k.startswith("PULSE_")]:
        monkeypatch.delenv(key)
    for key, value in envs[0].items():  # read as the containers read them: from the env
        monkeypatch.setenv(key, compose_value(str(value)))
    settings = Settings()
    assert settings.alert_destinations == []
    assert settings.person_key_problem() is None


def test_compose_has_no_default_secrets():
    """A default person-key secret (or password) would be shared by every deployment."""
    text = (ROOT / "docker-compose.yml").read_text()
    for name in REQUIRED:
        assert re.search(r"\$\{" + name + r":\?", text), f"{name} must be required"
        assert not re.search(r"\$\{" + name + r":-", text), f"{name} has a default"


def test_settings_point_at_the_compose_services():
    env = SERVICES["worker"]["environment"]
    advertised = SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert advertised == f"PLAINTEXT://{env['PULSE_KAFKA_BOOTSTRAP']}"
    assert re.fullmatch(r"http://pulse:\$\{[^}]+\}@clickhouse:8123", env["PULSE_CLICKHOUSE_DSN"])
    assert SERVICES["clickhouse"]["environment"]["CLICKHOUSE_USER"] == "pulse"


def test_the_image_carries_everything_the_code_reads_from_infra():
    dockerfile = (ROOT / "infra" / "docker" / "Dockerfile").read_text()
    read = {"infra/clickhouse", "infra/scoring"}  # SQL files and the scoring rules
    for path in read:
        assert f"COPY {path} ./{path}" in dockerfile, path
    code = "".join(p.read_text() for d in ("streams", "services") for p in (ROOT / d).rglob("*.py"))
    mentioned = set(re.findall(r'INFRA_DIR / "(\w+)"', code))
    assert mentioned and {f"infra/{m}" for m in mentioned} - {"infra/kafka"} <= read


def test_workers_scale_out_in_one_consumer_group_after_init():
    worker = SERVICES["worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert worker["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert SERVICES["init"]["command"] == ["up"]
    dockerfile = ROOT / SERVICES["init"]["build"]["dockerfile"]
    assert "ENTRYPOINT [\"pulse\"]" in dockerfile.read_text()
