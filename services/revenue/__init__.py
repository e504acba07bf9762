"""Revenue: CRM opportunities in (``opportunities``, ``crm_formats``, ``matching``), and what
engagement was worth (``influence``, ``backtest``): pure functions over plain rows, with the
SQL that feeds them in ``infra/clickhouse/queries/``."""
