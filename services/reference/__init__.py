"""Reference data from operators: CSV loads, and the compacted topics workers follow."""
