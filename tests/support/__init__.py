"""Generators and stores used only by tests and benchmarks."""
