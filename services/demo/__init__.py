"""`pulse demo`: the whole job on a generated sample."""

from services.demo.run import run_demo

__all__ = ["run_demo"]
