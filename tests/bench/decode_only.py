"""The framework limit: a Faust agent on the input topics that only decodes and validates.

Run by ``pipeline_bench.py`` as its own process, with the same app settings, batching and
manual acks as the pipeline agent. When ``BENCH_TARGET`` records have passed it writes
``{"first": t, "last": t, "records": n}`` (wall clock) to ``BENCH_OUT`` and exits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import faust  # noqa: E402

from streams.app import create_app  # noqa: E402
from streams.ingest.codecs import DecodeError, decode  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.topics import INPUT_TOPICS  # noqa: E402


def main() -> None:
    settings = Settings()
    target, out = int(os.environ["BENCH_TARGET"]), Path(os.environ["BENCH_OUT"])
    app = create_app(settings)
    inputs = app.topic(*[settings.topic(n) for n in INPUT_TOPICS], key_type=bytes,
                       value_type=bytes, key_serializer="raw", value_serializer="raw")
    seen = {"records": 0, "first": 0.0, "bad": 0}

    @app.agent(inputs, name="decode-only")
    async def decode_only(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        batches = stream.noack_take(  # type: ignore[attr-defined]
            settings.batch_size, within=settings.batch_seconds)
        async for events in batches:
            if not seen["first"]:
                seen["first"] = time.time()
            for e in events:
                try:
                    decode(e.message.value, e.message.topic.removeprefix(settings.topic_prefix))
                except DecodeError:
                    seen["bad"] += 1
                await stream.ack(e)
            seen["records"] += len(events)
            if seen["records"] >= target:
                out.write_text(json.dumps({**seen, "last": time.time()}))
                sys.stdout.flush()
                os._exit(0)
            yield None

    worker = faust.Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False,
                          override_logging=False)
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
