"""Firmographics through the real load: the accounts CSV's optional columns reach the
compacted accounts topic and abm.accounts as read and checked (account/1-0-5)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.conftest import PulseEnv

pytestmark = pytest.mark.integration


def test_firmographics_land_on_the_topic_and_in_the_warehouse(pulse_env: PulseEnv):
    pulse_env.stack(accounts=(
        "account_id,name,domains,ip_ranges,tier,industry,employees,annual_revenue,country,"
        "region,city,zip,technologies,linkedin_url,stock_symbol\n"
        'acme,Acme,acme.com,,1,Software,"1,200",12500000.5,Germany,Bavaria,München,80331,'
        "Salesforce;HubSpot,linkedin.com/company/acme-corp,nasdaq:acme\n"
        "hooli,Hooli,hooli.com,,2,,,,,,,,,,\n"))
    with pulse_env.clickhouse() as ch:
        rows = ch.query("SELECT account_id, industry, employees, annual_revenue, country, "
                        "region, city, zip, technologies, linkedin_url, stock_symbol "
                        "FROM abm.accounts FINAL ORDER BY account_id").result_rows
    assert rows == [
        ("acme", "Software", 1200, Decimal("12500000.50"), "DE", "Bavaria", "München", "80331",
         ["Salesforce", "HubSpot"], "https://www.linkedin.com/company/acme-corp",
         "NASDAQ:ACME"),
        ("hooli", "", None, None, "", "", "", "", [], "", "")]
    consumer = KafkaConsumer(bootstrap_servers=pulse_env.settings.kafka_bootstrap,
                             isolation_level="read_committed", consumer_timeout_ms=3000)
    tp = TopicPartition(pulse_env.topic("accounts"), 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records = {m.key.decode(): json.loads(m.value) for m in consumer}
    consumer.close()
    acme = records["acme"]
    assert (acme["employees"], acme["annual_revenue"], acme["country"],
            acme["technologies"]) == (1200, "12500000.50", "DE", ["Salesforce", "HubSpot"])
    assert records["hooli"]["annual_revenue"] is None
