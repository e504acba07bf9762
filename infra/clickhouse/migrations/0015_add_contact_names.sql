-- Known contacts by name: reps act on people, not hashes. A contact's person_key (the
-- keyed hash its events carry) is computed by the loader, which holds the key; contacts
-- loaded before this migration get theirs when a worker starts (loader.key_contacts).
-- An alert keeps its contacts' keys, never their names: names are resolved when it is
-- shown or delivered, so `pulse forget` takes them back.
ALTER TABLE abm.contacts ADD COLUMN IF NOT EXISTS name String DEFAULT '';
ALTER TABLE abm.contacts ADD COLUMN IF NOT EXISTS person_key String DEFAULT '';
ALTER TABLE abm.surge_alerts ADD COLUMN IF NOT EXISTS contact_keys Array(String) DEFAULT [] COMMENT 'person keys of the known contacts in the window, strongest first';
