"""Writing to the warehouse from the stream: the events writer and how failures are told
apart (the world or the data)."""
