from schemas.export import JSONSCHEMA_DIR, digest, published, render


def test_committed_json_schema_matches_the_models():
    expected = render()
    committed = {p.relative_to(JSONSCHEMA_DIR).as_posix(): p.read_text()
                 for p in JSONSCHEMA_DIR.rglob("*.json")}
    stale = sorted(k for k in expected if expected[k] != committed.get(k))
    assert not stale, (f"schemas/jsonschema is stale for {stale}; "
                       "run `.venv/bin/python -m schemas.export` and commit the result")


def test_no_published_schema_version_is_ever_edited_or_deleted():
    """Publishers may still send an older version and read its schema: every version ever
    published stays, byte for byte (the hashes in PUBLISHED.sha256), and a new file is
    recorded there (`python -m schemas.export` does both)."""
    known = published()
    files = {p.relative_to(JSONSCHEMA_DIR).as_posix(): p.read_text()
             for p in JSONSCHEMA_DIR.rglob("*.json")}
    assert set(known) == set(files), ("deleted: " + str(sorted(set(known) - set(files)))
                                      + ", unrecorded: " + str(sorted(set(files) - set(known))))
    edited = sorted(rel for rel, text in files.items() if digest(text) != known[rel])
    assert not edited, f"published schemas were edited: {edited}; add a new SchemaVer instead"
    assert set(render()) <= set(known)


def test_older_schema_versions_stay_published_and_current_is_newest():
    """Publishers may still send an older version: its schema is never deleted or edited."""
    current = {rel.split("/")[0]: rel.split("/")[1] for rel in render()}
    for path in JSONSCHEMA_DIR.rglob("*.json"):
        name, version = path.relative_to(JSONSCHEMA_DIR).as_posix().split("/")
        assert name in current, f"{path} belongs to no model"
        as_tuple = [tuple(map(int, v.removesuffix(".json").split("-"))) for v in (version,
                    current[name])]
        assert as_tuple[0] <= as_tuple[1], f"{path} is newer than the model's {current[name]}"


def test_every_event_schema_is_versioned_and_strict():
    for rel, text in render().items():
        assert rel.startswith(tuple(f"{n}/1-0-" for n in
                                    ("web_visit", "email_open", "email_click", "ad_click",
                                     "account",
                                     "contact", "ip_range", "surge_alert", "opportunity",
                                     "control_assignment")))
        if rel.startswith(("surge_alert/", "opportunity/", "control_assignment/")):
            assert '"additionalProperties": false' in text  # what we publish: strict, keyed
            assert any(f'"{key}"' in text for key in ("alert_id", "opportunity_id",
                                                       "assignment_id"))
        if rel.split("/")[0] in {"web_visit", "email_open", "email_click", "ad_click"}:
            assert '"additionalProperties": false' in text
            assert '"event_id"' in text
