"""Turning raw records into attributed, scored event rows: codecs, event-time bounds, non-human
rules, pseudonyms, scoring, the pure batch step and the pipeline agent."""
