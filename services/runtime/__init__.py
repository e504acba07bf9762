"""The long-running side of AccountPulse: the worker (roles), the local broker, replays, topic
admin and logs."""
