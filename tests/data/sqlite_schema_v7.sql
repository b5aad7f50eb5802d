-- The schema of an Omnivox SQLite file at version 7, as SQLite holds it (the version-1 schema
-- and the migrations to version 7 of src/storage/sqlite/sqlite_storage.cc, run in order), with
-- the rows those migrations write. Frozen: tests that start from a version-7 file read it.
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  campaign_id TEXT NOT NULL,
  list_name TEXT NOT NULL,
  external_id TEXT NOT NULL,
  priority INTEGER NOT NULL,
  list_order INTEGER NOT NULL,
  numbers TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  status INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  not_connected INTEGER NOT NULL,
  next_number INTEGER NOT NULL,
  last_disposition INTEGER NOT NULL,
  last_attempt_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  callback_agent INTEGER NOT NULL
, tenant_id TEXT NOT NULL DEFAULT 'default');
CREATE TABLE leases (
  contact_id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,
  expiry INTEGER NOT NULL
, tenant_id TEXT NOT NULL DEFAULT 'default');
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE attempts (
  call_id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL,
  campaign_id TEXT NOT NULL,
  number TEXT NOT NULL,
  number_index INTEGER NOT NULL,
  attempt_number INTEGER NOT NULL,
  caller_id TEXT NOT NULL,
  provider_call_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  fail_reason INTEGER NOT NULL,
  amd INTEGER NOT NULL,
  disposition INTEGER NOT NULL,
  agent INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  answered_at INTEGER NOT NULL,
  bridged_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  provider_code INTEGER NOT NULL
, tenant_id TEXT NOT NULL DEFAULT 'default');
CREATE TABLE journal (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  call_id INTEGER NOT NULL,
  contact_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
, tenant_id TEXT NOT NULL DEFAULT 'default');
CREATE TABLE tenants (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE "campaigns" (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE TABLE "lists" (
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  name TEXT NOT NULL,
  active INTEGER NOT NULL, import_complete INTEGER NOT NULL DEFAULT 1,
  UNIQUE (tenant_id, campaign_id, name)
);
CREATE INDEX contacts_order ON contacts (tenant_id, campaign_id, priority DESC, list_order);
CREATE INDEX contacts_load ON contacts (tenant_id, campaign_id, list_order);
CREATE INDEX contacts_ready ON contacts (tenant_id, campaign_id, priority DESC, list_order,
  next_attempt_at) WHERE status IN (0, 1);
CREATE INDEX contacts_callback ON contacts (tenant_id, campaign_id, next_attempt_at)
  WHERE status = 2;
CREATE INDEX attempts_contact ON attempts (tenant_id, contact_id, call_id);
CREATE INDEX attempts_campaign ON attempts (tenant_id, campaign_id, call_id);
CREATE INDEX attempts_open ON attempts (tenant_id, campaign_id, call_id) WHERE disposition = 0;
CREATE TABLE "dnc" (
  tenant_id TEXT NOT NULL,
  list TEXT NOT NULL,
  e164 TEXT NOT NULL,
  PRIMARY KEY (tenant_id, e164, list)
) WITHOUT ROWID;
CREATE INDEX journal_campaign ON journal (tenant_id, campaign_id, seq);
CREATE TABLE "processed_events" (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX contacts_external ON contacts (tenant_id, campaign_id, list_name,
  external_id) WHERE external_id <> '';
CREATE TABLE abandon_counts (
  tenant_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  minute INTEGER NOT NULL,
  owner TEXT NOT NULL,
  live_answers INTEGER NOT NULL,
  abandons INTEGER NOT NULL,
  machines INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, minute, owner)
) WITHOUT ROWID;
CREATE TABLE status_counts (
  tenant_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, status)
) WITHOUT ROWID;
CREATE TRIGGER contacts_counted AFTER INSERT ON contacts BEGIN
  INSERT INTO status_counts (tenant_id, campaign_id, status, n)
    VALUES (NEW.tenant_id, NEW.campaign_id, NEW.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_uncounted AFTER DELETE ON contacts BEGIN
  UPDATE status_counts SET n = n - 1
    WHERE tenant_id = OLD.tenant_id AND campaign_id = OLD.campaign_id AND status = OLD.status;
END;
CREATE TRIGGER contacts_recounted AFTER UPDATE OF tenant_id, campaign_id, status ON contacts
WHEN OLD.status IS NOT NEW.status OR OLD.campaign_id IS NOT NEW.campaign_id
  OR OLD.tenant_id IS NOT NEW.tenant_id BEGIN
  UPDATE status_counts SET n = n - 1
    WHERE tenant_id = OLD.tenant_id AND campaign_id = OLD.campaign_id AND status = OLD.status;
  INSERT INTO status_counts (tenant_id, campaign_id, status, n)
    VALUES (NEW.tenant_id, NEW.campaign_id, NEW.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER dnc_added AFTER INSERT ON dnc BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'dnc_changes';
END;
CREATE TRIGGER dnc_removed AFTER DELETE ON dnc BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'dnc_changes';
END;
CREATE TRIGGER dnc_updated AFTER UPDATE ON dnc BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'dnc_changes';
END;
CREATE TABLE contact_attributes (
  contact_id INTEGER PRIMARY KEY,
  attributes TEXT NOT NULL
);
CREATE TRIGGER contacts_attributes_removed AFTER DELETE ON contacts BEGIN
  DELETE FROM contact_attributes WHERE contact_id = OLD.id;
END;
INSERT INTO schema_version (version) VALUES (7);
INSERT INTO counters (name, value) VALUES ('call_id', 0), ('dnc_changes', 0);
INSERT INTO tenants (id) VALUES ('default');
