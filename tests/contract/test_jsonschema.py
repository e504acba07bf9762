from schemas.export import JSONSCHEMA_DIR, render


def test_committed_json_schema_matches_the_models():
    expected = render()
    committed = {p.relative_to(JSONSCHEMA_DIR).as_posix(): p.read_text()
                 for p in JSONSCHEMA_DIR.rglob("*.json")}
    stale = sorted(k for k in expected.keys() | committed.keys()
                   if expected.get(k) != committed.get(k))
    assert not stale, (f"schemas/jsonschema is stale for {stale}; "
                       "run `.venv/bin/python -m schemas.export` and commit the result")


def test_every_event_schema_is_versioned_and_strict():
    for rel, text in render().items():
        assert rel.endswith("/1-0-0.json")
        if rel.split("/")[0] in {"web_visit", "email_open", "ad_click"}:
            assert '"additionalProperties": false' in text
            assert '"event_id"' in text
