"""Long-running processes and the ``pulse`` CLI."""
