"""Stream processing: the Faust app, attribution and roll-up inputs, the ClickHouse sink."""
