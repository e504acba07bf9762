"""An alert's known contacts named for reps: in their order of strength, personas from
the scoring rules, erased contacts never named; in the reason, the Slack message and the
webhook payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from streams.alerts.contacts import named, with_names
from streams.alerts.destinations import request, slack_message
from streams.alerts.sample import sample_alert
from streams.ingest.scoring import default_rules
from streams.settings import AlertDestination

ROWS = [("k-raj", "Raj Mehta", "raj@acme.com", "Head of IT"),
        ("k-jane", "Jane Doe", "jane@acme.com", "Chief Financial Officer"),
        ("k-noname", "", "ops@acme.com", "")]


def test_contacts_are_named_in_their_order_and_erased_ones_left_out():
    alert = sample_alert(datetime(2026, 12, 4, 9, tzinfo=UTC)).model_copy(
        update={"contact_keys": ["k-jane", "k-gone", "k-raj", "k-noname"]})
    out = named(alert, ROWS, default_rules())
    assert [(c.name, c.title, c.persona) for c in out.contacts] == [
        ("Jane Doe", "Chief Financial Officer", "economic_buyer"),
        ("Raj Mehta", "Head of IT", "technical_evaluator"),
        ("ops@acme.com", "", "")]
    assert out.reason == (alert.reason + "; known contacts: Jane Doe (Chief Financial Officer,"
                          " economic buyer), Raj Mehta (Head of IT, technical evaluator), "
                          "ops@acme.com")
    assert alert.contacts == [] and out.contact_keys == alert.contact_keys
    assert with_names("x", []) == "x"


def test_slack_and_webhook_deliveries_name_them():
    alert = named(sample_alert(datetime(2026, 12, 4, 9, tzinfo=UTC)).model_copy(
        update={"contact_keys": ["k-jane"]}), ROWS, default_rules())
    assert "known contacts: Jane Doe (Chief Financial Officer, economic buyer)" in \
        slack_message(alert)["text"]
    dest = AlertDestination(name="crm", url="https://crm.example/hook",
                            secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body, _ = request(alert, dest, datetime(2026, 12, 4, 9, tzinfo=UTC))
    payload = json.loads(body)
    assert payload["contacts"] == [{"name": "Jane Doe", "title": "Chief Financial Officer",
                                    "persona": "economic_buyer"}]
    assert payload["contact_keys"] == ["k-jane"] and payload["schema"] == "surge_alert/1-0-3"


def test_an_alert_of_the_older_schema_is_still_read():
    old = sample_alert(datetime(2026, 12, 4, 9, tzinfo=UTC)).model_dump(mode="json",
                                                                         by_alias=True)
    for field in ("contact_keys", "contacts"):
        old.pop(field)
    old["schema"] = "surge_alert/1-0-0"
    from schemas.alerts import SurgeAlert

    assert SurgeAlert.model_validate_json(json.dumps(old)).contact_keys == []
