"""Sales alerts leaving AccountPulse: destinations (routing, formats, the address guard) and
the delivery agent."""
