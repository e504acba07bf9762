"""``pulse up``, ``down``, ``status``, ``migrate``: the local stack and the warehouse."""

from __future__ import annotations

import click

from services.cli import settings_of


@click.command()
@click.pass_context
def up(ctx: click.Context) -> int:
    """Start a local broker (when PULSE_KAFKA_BOOTSTRAP is on loopback and nothing listens; a
    remote broker is only checked), create the topics and apply the migrations. Idempotent."""
    from services.runtime.local_kafka import LocalKafka, is_local
    from services.runtime.topics_admin import ensure_topics
    from services.warehouse import DirectWarehouse, migrate, open_warehouse

    s = settings_of(ctx)
    if is_local(s.kafka_bootstrap):
        started = LocalKafka(s).start()
        print(f"kafka     {'started' if started else 'already running'} on {s.kafka_bootstrap}")
    else:
        print(f"kafka     remote broker {s.kafka_bootstrap}: nothing started")
    created = ensure_topics(s)
    print(f"topics    {'created ' + ', '.join(created) if created else 'all present'}")
    wh = open_warehouse(s)
    where = s.masked()["clickhouse_dsn"]
    if isinstance(wh, DirectWarehouse):
        applied = migrate(wh.writer)
        wh.close()
        print(f"warehouse {where}: {len(applied)} migration(s) applied" if applied else
              f"warehouse {where}: up to date")
    else:
        print("warehouse held by a running worker (migrated at its start)")
    return 0


@click.command()
@click.pass_context
def down(ctx: click.Context) -> int:
    """Stop the local broker `pulse up` started."""
    from services.runtime.local_kafka import LocalKafka

    stopped = LocalKafka(settings_of(ctx)).stop()
    print("kafka     stopped" if stopped else "kafka     was not running (started by pulse)")
    return 0


@click.command()
@click.pass_context
def status(ctx: click.Context) -> int:
    """Broker, topics and their partitions, whether a pipeline runs, and the migrations
    applied."""
    from clickhouse_connect.driver.exceptions import ClickHouseError
    from kafka.errors import KafkaError

    from services.runtime.local_kafka import LocalKafka, is_local, port_of, port_open
    from services.runtime.topics_admin import topic_partitions
    from services.warehouse import WarehouseBusy, WarehouseError, open_warehouse, running_holder

    s = settings_of(ctx)
    ok = True
    if is_local(s.kafka_bootstrap):
        pid = LocalKafka(s).pid
        up_ = port_open(port_of(s.kafka_bootstrap))
        print(f"kafka     {s.kafka_bootstrap}: "
              + (f"running (pid {pid})" if pid and up_ else "listening (not started by pulse)"
                 if up_ else "stopped"))
        ok = up_
    else:
        print(f"kafka     remote broker {s.kafka_bootstrap}")
    if ok:
        try:
            parts = topic_partitions(s)
            print("topics    " + ", ".join(f"{t}({n})" for t, n in parts.items()))
        except (KafkaError, OSError) as err:  # BrokerUnreachable is a ConnectionError
            print(f"topics    unavailable: {err}")
            ok = False
    print(f"pipeline  {'running' if running_holder(s) else 'not running'}")
    where = s.masked()["clickhouse_dsn"]
    try:
        r = open_warehouse(s).query("SELECT count() FROM abm.schema_migrations FINAL")
        print(f"warehouse {where}: {r.rows[0][0]} migration(s) applied")
    except (ClickHouseError, WarehouseError, WarehouseBusy, OSError) as err:
        print(f"warehouse {where}: not ready ({(str(err).splitlines() or [''])[0]})")
        ok = False
    return 0 if ok else 1


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> int:
    """Apply the ClickHouse migrations not applied yet."""
    from services.warehouse import DirectWarehouse, running_holder
    from services.warehouse import migrate as apply

    s = settings_of(ctx)
    if s.embedded and running_holder(s):
        print("a running worker holds the warehouse and migrated it at start")
        return 0
    wh = DirectWarehouse(s)
    applied = apply(wh.writer)
    wh.close()
    print("\n".join(applied) if applied else "up to date")
    return 0


COMMANDS = [up, down, status, migrate]
