"""Surge detection: the model, account histories, alert hygiene, the detector, activity and
watermarks, the agent and its warehouse store."""
