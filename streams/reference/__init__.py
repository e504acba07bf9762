"""Reference data as the workers hold it (accounts, contacts, IP ranges, suppressions, learned
blocks, visitor links) and how they follow its compacted topics."""
