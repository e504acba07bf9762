"""The web app for sales reps and marketing ops (``pulse serve``): accounts, an account's
engagement and people, the alert feed and the ops page, read from ClickHouse."""
