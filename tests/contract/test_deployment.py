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
            "PULSE_CLICKHOUSE_PASSWORD": "pw",
            "PULSE_WEB_SECRET": "another-long-random-secret-for-the-contract-test",
            "PULSE_COLLECT_WRITE_KEYS": '[{"key": "wk_contract_test_0123", "source": "site"}]'}


def compose_value(value: str) -> str:
    """What compose makes of ``${VAR:-default}`` when VAR is unset, and of a required
    ``${VAR:?message}`` when the operator has set VAR."""
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{([A-Z_]+):\?[^}]*\}", lambda m: REQUIRED[m.group(1)], value)


def test_every_pulse_container_gets_the_same_known_settings(monkeypatch):
    assert set(PULSE_SERVICES) == {"init", "pipeline", "surge", "delivery", "web", "collector"}
    envs = [SERVICES[n]["environment"] for n in PULSE_SERVICES if n not in ("web", "collector")]
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
    for key, value in SERVICES["web"]["environment"].items():  # the web app's own too
        monkeypatch.setenv(key, compose_value(str(value)))
    assert Settings().web_users == {} and Settings().web_secret is not None
    for key, value in SERVICES["collector"]["environment"].items():
        monkeypatch.setenv(key, compose_value(str(value)))
    collector = Settings()
    assert [k.source for k in collector.collect_write_keys] == ["site"]
    assert collector.sendgrid_verification_key == "" and collector.mailgun_signing_key is None \
        and collector.postmark_webhook_auth is None  # unset webhooks stay closed (404)
    assert settings.person_key_problem() is None


def test_compose_has_no_default_secrets():
    """A default person-key secret (or password) would be shared by every deployment."""
    text = (ROOT / "docker-compose.yml").read_text()
    for name in REQUIRED:
        assert re.search(r"\$\{" + name + r":\?", text), f"{name} must be required"
        assert not re.search(r"\$\{" + name + r":-", text), f"{name} has a default"


def test_settings_point_at_the_compose_services():
    env = SERVICES["pipeline"]["environment"]
    advertised = SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert advertised == f"PLAINTEXT://{env['PULSE_KAFKA_BOOTSTRAP']}"
    assert re.fullmatch(r"http://pulse:\$\{[^}]+\}@clickhouse:8123", env["PULSE_CLICKHOUSE_DSN"])
    assert SERVICES["clickhouse"]["environment"]["CLICKHOUSE_USER"] == "pulse"


def test_the_image_installs_the_package_with_what_the_code_reads_from_infra():
    dockerfile = (ROOT / "infra" / "docker" / "Dockerfile").read_text()
    for path in ("infra/__init__.py", "infra/clickhouse", "infra/scoring", "schemas",
                 "streams", "services"):
        assert f"COPY {path} ./{path}" in dockerfile, path
    assert "pip install --no-cache-dir ." in dockerfile and " -e " not in dockerfile


def test_a_non_editable_install_carries_its_sql_and_can_migrate(tmp_path):
    """What a user installs (a wheel, not this checkout) migrates a fresh warehouse."""
    import shutil
    import subprocess
    import sys
    import zipfile

    try:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                        "--no-build-isolation", "-q", "-w", str(tmp_path / "wheel"), str(ROOT)],
                       check=True, timeout=300)
    finally:  # setuptools builds in the checkout
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    [wheel] = (tmp_path / "wheel").glob("accountpulse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = sorted(p.name for p in (ROOT / "infra/clickhouse/migrations").glob("*.sql"))
    assert {f"infra/clickhouse/migrations/{m}" for m in migrations} <= names
    assert {"infra/clickhouse/bootstrap.sql", "infra/scoring/rules.toml",
            "infra/clickhouse/queries/surge_hours.sql",
            "infra/clickhouse/queries/web_accounts.sql",
            "services/web/templates/account.html", "services/web/static/app.js",
            "services/web/static/vendor/uPlot.iife.min.js",
            "services/collector/static/tag.js",
            "streams/ingest/data/email_scanner_agents.txt",
            "streams/attribution/data/free_mail_domains.txt"} <= names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, timeout=300)
    code = ("import clickhouse_connect, infra, sys; from services.warehouse import migrate; "
            "assert str(infra.INFRA_DIR).startswith(sys.argv[1]), infra.INFRA_DIR; "
            f"c = clickhouse_connect.get_client(dsn='chdb://{tmp_path / 'ch'}'); "
            "print(len(migrate(c)))")
    # -S: no site processing, so the checkout's editable install (a .pth) is not seen.
    out = subprocess.run([sys.executable, "-S", "-c", code, str(target)], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path,
                         env={"PYTHONPATH": f"{target}:{_site_packages()}"})
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len(migrations)


def _site_packages() -> str:
    import sysconfig

    return sysconfig.get_paths()["purelib"]


def test_each_role_is_a_service_that_scales_on_its_own_after_init():
    from click.testing import CliRunner

    from services.cli import pulse
    from streams.topology import Role

    for role in Role:
        service = SERVICES[role.value]
        assert service["command"] == ["run", "--role", role.value]
        assert service["depends_on"]["init"]["condition"] == "service_completed_successfully"
        assert service["deploy"]["replicas"] >= 1
    assert SERVICES["pipeline"]["deploy"]["replicas"] >= 2
    assert SERVICES["init"]["command"] == ["up"]
    # The commands are ones the CLI takes (parsed, not run).
    help_ = CliRunner().invoke(pulse, ["run", "--help"]).output
    assert "--role [pipeline|surge|delivery]" in help_
    dockerfile = ROOT / SERVICES["init"]["build"]["dockerfile"]
    assert "ENTRYPOINT [\"pulse\"]" in dockerfile.read_text()


def test_the_web_app_is_a_service_that_signs_users_in():
    web = SERVICES["web"]
    assert web["command"][:1] == ["serve"] and "0.0.0.0" in web["command"]
    env = web["environment"]
    assert {k: v for k, v in SERVICES["pipeline"]["environment"].items()} == {
        k: v for k, v in env.items() if not k.startswith("PULSE_WEB_")}
    assert env["PULSE_WEB_SECRET"].startswith("${PULSE_WEB_SECRET:?")
    assert {"PULSE_WEB_USERS", "PULSE_WEB_TRUSTED_USER_HEADER"} <= set(env)
    assert web["ports"] == ["8080:8080"]
    assert_health_checked(web, 8080)


def test_the_collector_is_a_service_that_scales_by_replicas():
    collector = SERVICES["collector"]
    assert collector["command"][:1] == ["collect"] and "0.0.0.0" in collector["command"]
    env = collector["environment"]
    assert env["PULSE_COLLECT_WRITE_KEYS"].startswith("${PULSE_COLLECT_WRITE_KEYS:?")
    assert collector["deploy"]["replicas"] >= 2 and collector["ports"] == ["8081:8081"]
    own = ("PULSE_COLLECT_", "PULSE_SENDGRID_", "PULSE_MAILGUN_", "PULSE_POSTMARK_")
    assert {k: v for k, v in env.items() if not k.startswith(own)} == \
        SERVICES["pipeline"]["environment"]
    assert_health_checked(collector, 8081)


def assert_health_checked(service: dict, port: int) -> None:
    """The container's health is the service's own /healthz (readiness: the broker or the
    warehouse answers), asked with what the image has (python, no curl)."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{port}/healthz" in test[3]
    compile(test[3], "healthcheck", "exec")  # it is Python that runs
