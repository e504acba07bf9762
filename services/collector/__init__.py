"""The HTTP collector (``pulse collect``): events as marketing systems send them, validated
and published to the input topics. Stateless: run as many as the load needs."""
