// The PostgreSQL backend (see omnivox/postgres_storage.h). One connection per Storage, one mutex;
// every operation runs through run() (a transaction, or one autocommitted statement), which
// reconnects and retries it whole when the connection is lost.
#include "omnivox/postgres_storage.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "storage/storage_codec.h"

namespace omnivox {
namespace {

using namespace storage_codec;

// ---- schema migrations (append only: never edit a released migration) ----

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

constexpr const char* kMigration1 = R"sql(
CREATE TABLE tenants (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE campaigns (
  tenant_id text NOT NULL REFERENCES tenants (id),
  id text NOT NULL,
  config text NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE contact_lists (
  tenant_id text NOT NULL REFERENCES tenants (id),
  campaign_id text NOT NULL,
  name text NOT NULL,
  active boolean NOT NULL,
  seq bigserial NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, name)
);
CREATE TABLE campaign_counters (
  tenant_id text NOT NULL,
  campaign_id text NOT NULL,
  last_list_order bigint NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id)
);
CREATE TABLE contacts (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  campaign_id text NOT NULL,
  list_name text NOT NULL,
  external_id text NOT NULL,
  priority integer NOT NULL,
  list_order bigint NOT NULL,
  attributes jsonb NOT NULL,
  time_zone text NOT NULL,
  status smallint NOT NULL,
  attempts integer NOT NULL,
  not_connected integer NOT NULL,
  next_number integer NOT NULL,
  last_disposition smallint NOT NULL,
  last_attempt_at bigint NOT NULL,
  next_attempt_at bigint NOT NULL,
  callback_agent bigint NOT NULL
);
-- Dialing order: priority (higher first), then load order. Negated so that one ascending row
-- comparison (keyset pagination) follows the index.
CREATE INDEX contacts_order ON contacts (tenant_id, campaign_id, (-(priority::bigint)), list_order);
CREATE INDEX contacts_status ON contacts (tenant_id, campaign_id, status);
CREATE INDEX contacts_ready ON contacts (tenant_id, campaign_id, (-(priority::bigint)), list_order)
  INCLUDE (next_attempt_at) WHERE status IN (0, 1);
CREATE INDEX contacts_callback ON contacts (tenant_id, campaign_id, next_attempt_at, id)
  WHERE status = 2;
CREATE TABLE phone_numbers (
  contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  idx integer NOT NULL,
  tenant_id text NOT NULL,
  e164 text NOT NULL,
  zone_set bigint NOT NULL,
  attempts integer NOT NULL,
  last_disposition smallint NOT NULL,
  invalid boolean NOT NULL,
  last_abandon_at bigint NOT NULL,
  last_machine_at bigint NOT NULL,
  PRIMARY KEY (contact_id, idx)
);
CREATE INDEX phone_numbers_e164 ON phone_numbers (tenant_id, e164);
CREATE TABLE dnc (
  tenant_id text NOT NULL,
  list text NOT NULL,
  e164 text NOT NULL,
  PRIMARY KEY (tenant_id, e164, list)
);
-- Leases churn: leave room on each page for HOT updates.
CREATE TABLE leases (
  contact_id bigint PRIMARY KEY,
  tenant_id text NOT NULL,
  owner text NOT NULL,
  expiry bigint NOT NULL
) WITH (fillfactor = 70);
CREATE SEQUENCE omnivox_call_id_seq;
CREATE TABLE attempts (
  call_id bigint PRIMARY KEY,
  tenant_id text NOT NULL,
  contact_id bigint NOT NULL,
  campaign_id text NOT NULL,
  number text NOT NULL,
  number_index integer NOT NULL,
  attempt_number integer NOT NULL,
  caller_id text NOT NULL,
  provider_call_id text NOT NULL,
  state smallint NOT NULL,
  fail_reason smallint NOT NULL,
  amd smallint NOT NULL,
  disposition smallint NOT NULL,
  agent bigint NOT NULL,
  created_at bigint NOT NULL,
  answered_at bigint NOT NULL,
  bridged_at bigint NOT NULL,
  ended_at bigint NOT NULL,
  provider_code integer NOT NULL
);
CREATE INDEX attempts_contact ON attempts (tenant_id, contact_id, call_id);
CREATE INDEX attempts_campaign ON attempts (tenant_id, campaign_id, call_id);
CREATE INDEX attempts_open ON attempts (tenant_id, campaign_id, call_id) WHERE disposition = 0;
CREATE INDEX attempts_provider ON attempts (tenant_id, provider_call_id)
  WHERE provider_call_id <> '';
CREATE TABLE journal (
  seq bigserial PRIMARY KEY,
  tenant_id text NOT NULL,
  campaign_id text NOT NULL,
  at bigint NOT NULL,
  call_id bigint NOT NULL,
  contact_id bigint NOT NULL,
  kind text NOT NULL,
  detail text NOT NULL
);
CREATE INDEX journal_campaign ON journal (tenant_id, campaign_id, seq);
CREATE TABLE processed_events (
  tenant_id text NOT NULL,
  key text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
)sql";

// Version 2: contacts unique by (campaign, list, external id), so an import that runs
// twice stores each contact once (OMNIVOX_SQL_UNIQUE_CONTACT_KEY); lists record whether their
// import finished.
constexpr const char* kMigration2 = R"sql(
ALTER TABLE contact_lists ADD COLUMN import_complete boolean NOT NULL DEFAULT true;
)sql" OMNIVOX_SQL_UNIQUE_CONTACT_KEY R"sql(
)sql";

// Version 3: each engine's counts of live answers, abandons and AMD machines per minute of a
// campaign, added up by the abandon governors of all the campaign's engines.
constexpr const char* kMigration3 = R"sql(
CREATE TABLE abandon_counts (
  tenant_id text NOT NULL,
  campaign_id text NOT NULL,
  minute bigint NOT NULL,
  owner text NOT NULL,
  live_answers bigint NOT NULL,
  abandons bigint NOT NULL,
  machines bigint NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, minute, owner)
);
)sql";

// Version 4: what spares refills and statistics their round trips. `defer_until` holds the
// defer_contacts hint (0: none; a write of the contact ends it), and the dialable contacts
// without one have their own index, so a refill does not walk past the deferred ones;
// `status_counts` keeps each campaign's contacts per status, updated by
// statement triggers on contacts, in 64 shards by server process so that engines writing at once
// do not queue on one row; `omnivox_dnc` is notified when the DNC lists change, so a Storage may
// keep the DNC answers it read until then.
constexpr const char* kMigration4 = R"sql(
ALTER TABLE contacts ADD COLUMN defer_until bigint NOT NULL DEFAULT 0;
-- Room on each page, so that a write that changes no indexed column (a call placed) is a HOT
-- update and adds no index entries; and vacuumed sooner, as the refills walk the indexes.
ALTER TABLE contacts SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05,
  autovacuum_analyze_scale_factor = 0.05);
ALTER TABLE leases SET (autovacuum_vacuum_scale_factor = 0.05);
CREATE INDEX contacts_ready_now ON contacts (tenant_id, campaign_id, (-(priority::bigint)),
  list_order) INCLUDE (next_attempt_at) WHERE status IN (0, 1) AND defer_until = 0;
CREATE INDEX contacts_deferred ON contacts (tenant_id, campaign_id, defer_until)
  WHERE status IN (0, 1) AND defer_until > 0;
CREATE TABLE status_counts (
  tenant_id text NOT NULL,
  campaign_id text NOT NULL,
  status smallint NOT NULL,
  shard integer NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, status, shard)
);
INSERT INTO status_counts (tenant_id, campaign_id, status, shard, n)
  SELECT tenant_id, campaign_id, status, 0, count(*) FROM contacts GROUP BY 1, 2, 3;
CREATE FUNCTION omnivox_status_counts_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Rows in key order: two statements adding to the same shard never lock its rows crosswise.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO status_counts AS s (tenant_id, campaign_id, status, shard, n)
      SELECT tenant_id, campaign_id, status, pg_backend_pid() % 64, count(*) FROM new_rows
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, campaign_id, status, shard) DO UPDATE SET n = s.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO status_counts AS s (tenant_id, campaign_id, status, shard, n)
      SELECT tenant_id, campaign_id, status, pg_backend_pid() % 64, -count(*) FROM old_rows
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, campaign_id, status, shard) DO UPDATE SET n = s.n + excluded.n;
  ELSE
    INSERT INTO status_counts AS s (tenant_id, campaign_id, status, shard, n)
      SELECT tenant_id, campaign_id, status, pg_backend_pid() % 64, sum(d) FROM
        (SELECT tenant_id, campaign_id, status, 1 AS d FROM new_rows
         UNION ALL SELECT tenant_id, campaign_id, status, -1 FROM old_rows) u
      GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, campaign_id, status, shard) DO UPDATE SET n = s.n + excluded.n;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER contacts_counts_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION omnivox_status_counts_trigger();
CREATE TRIGGER contacts_counts_update AFTER UPDATE ON contacts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION omnivox_status_counts_trigger();
CREATE TRIGGER contacts_counts_delete AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION omnivox_status_counts_trigger();
CREATE FUNCTION omnivox_dnc_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('omnivox_dnc', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER dnc_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dnc
  FOR EACH STATEMENT EXECUTE FUNCTION omnivox_dnc_changed();
)sql";

// Version 5: journal lines carry a key chosen by their writer (a random id per Storage object
// and a sequence number), so a write batch run again after its answer was lost adds none twice
// (lines written before have no key: nulls never conflict). `contacts_scheduled` serves the
// surveys of a campaign's schedule (scan_contact_views with scheduled_after).
constexpr const char* kMigration5 = R"sql(
ALTER TABLE journal ADD COLUMN writer bigint, ADD COLUMN writer_seq bigint;
CREATE UNIQUE INDEX journal_writer ON journal (writer, writer_seq);
CREATE INDEX contacts_scheduled ON contacts (tenant_id, campaign_id, next_attempt_at, id)
  WHERE status IN (1, 2);
)sql";

// Version 6: leases by expiry, for earliest_lease_expiry (an engine that claims ahead asks it
// whenever its refill comes up short). Without it the question read the whole leases table, which
// claims and releases leave mostly dead between vacuums: 1,600 pages and 43 ms a question for 300
// live leases in the bank campaign, where the index reads a few hundred entries.
constexpr const char* kMigration6 = R"sql(
CREATE INDEX leases_expiry ON leases (tenant_id, expiry);
)sql";

// Version 7: leases by owner, then expiry, in place of leases_expiry. earliest_lease_expiry asks
// for the other owners' leases: through leases_expiry it read every lease of the asker too, and
// every entry claims and releases left dead since the last vacuum (a release leaves a future
// expiry behind), and the planner, by the table's statistics of the moment, read them through
// the heap or walked the campaign's contacts instead: 0.2 to 70 ms a question, 0.1 to 30 s of a
// bank run. By owner it steps from one owner to the next and reads, for each other owner, its
// leases from the earliest live one.
constexpr const char* kMigration7 = R"sql(
CREATE INDEX leases_owner_expiry ON leases (tenant_id, owner, expiry);
DROP INDEX leases_expiry;
)sql";

// Version 8: two indexes of contacts that no frequent statement reads dropped. A contact's
// outcome changes its status and due time, so its update is not HOT and adds an entry to every
// index whose predicate the new row meets: contacts_ready (the dialable contacts in dialing
// order, deferred or not) was read by no statement since contacts_ready_now (a dialable scan
// of whole contacts now reads contacts_ready_now and contacts_deferred), and contacts_status
// by none since status_counts; yet the planner joined contacts_status into the lease claims'
// and claimed contacts' lookups by id (tenant_id is its first column), reading every entry of
// the tenant, dead ones included, per claim.
constexpr const char* kMigration8 = R"sql(
DROP INDEX contacts_ready;
DROP INDEX contacts_status;
)sql";

// Version 9: a contact's attributes in a table of their own, written only when they change. An
// outcome rewrote the contact's whole row (~610 bytes in the bank campaign, mostly attributes;
// under the 2 kB TOAST threshold, so kept inline) twice per call, and every refill walks those
// rows. Text, not jsonb: the server never looks inside them, an equal text is found unchanged
// by a byte comparison, and a read sends them back without jsonb's output (the first write of
// a contact after this migration rewrites its attributes once, as jsonb's text is spaced
// otherwise). Dropping the column rewrites no row: each row loses its attributes' bytes at its
// next update.
constexpr const char* kMigration9 = R"sql(
CREATE TABLE contact_attributes (
  contact_id bigint PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
  tenant_id text NOT NULL,
  attributes text NOT NULL
);
INSERT INTO contact_attributes (contact_id, tenant_id, attributes)
  SELECT id, tenant_id, attributes::text FROM contacts;
ALTER TABLE contacts DROP COLUMN attributes;
)sql";

// Version 10: a contact's key (list, external id) and its place in the dialing order in a
// table of their own, which only an import and a change of those columns write. A contact's
// outcome changes its status and due time, so its update (and a deferral's, both ways) is not
// HOT and adds an entry to every index of contacts: the unique key on four text columns and
// the dialing order were two of the five, about 45 % of such an update's time (250 contacts
// updated 150 times: 1.13 s with them, 0.63 s without). contacts keeps the columns, which
// reads return and the ready index orders by.
constexpr const char* kMigration10 = R"sql(
CREATE TABLE contact_keys (
  contact_id bigint PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
  tenant_id text NOT NULL,
  campaign_id text NOT NULL,
  list_name text NOT NULL,
  external_id text NOT NULL,
  priority integer NOT NULL,
  list_order bigint NOT NULL
);
INSERT INTO contact_keys (contact_id, tenant_id, campaign_id, list_name, external_id, priority,
  list_order)
  SELECT id, tenant_id, campaign_id, list_name, external_id, priority, list_order FROM contacts;
CREATE UNIQUE INDEX contact_keys_external ON contact_keys (tenant_id, campaign_id, list_name,
  external_id) WHERE external_id <> '';
CREATE INDEX contact_keys_order ON contact_keys (tenant_id, campaign_id, (-(priority::bigint)),
  list_order);
DROP INDEX contacts_external;
DROP INDEX contacts_order;
)sql";

// Version 11: a contact's numbers a text column of contacts, in storage_codec::numbers_to_text's
// format, instead of rows of phone_numbers. A contact's outcome changes its numbers' attempt
// state too, so every write batch updated (or inserted and deleted) a phone_numbers row per
// contact besides the contact's row, and every row a refill or a claimed contacts' read returned
// built the text from those rows (a subquery per contact: ~3.6 us a row). The contact's row is
// rewritten anyway; the numbers now ride along. The migration builds each contact's text from its
// rows as the reads built it.
constexpr const char* kMigration11 = R"sql(
ALTER TABLE contacts ADD COLUMN numbers text NOT NULL DEFAULT '';
UPDATE contacts c SET numbers = n.text FROM (SELECT p.contact_id, string_agg(concat(p.zone_set,
  ',', p.attempts, ',', p.last_disposition, ',', p.invalid::integer, ',', p.last_abandon_at, ',',
  p.last_machine_at, ',', octet_length(p.e164), ':', p.e164), '' ORDER BY p.idx) AS text
  FROM phone_numbers p GROUP BY p.contact_id) n WHERE c.id = n.contact_id;
ALTER TABLE contacts ALTER COLUMN numbers DROP DEFAULT;
DROP TABLE phone_numbers;
)sql";

// Version 12: the attempts' indexes that a write batch's upsert keeps, cut to what statements
// read. An attempt's outcome changes its disposition, a column of attempts_open's predicate, so
// its update is not HOT and adds an entry to every index of attempts. attempts_provider was read
// by no statement; attempts_contact (a contact's attempts, and the open one a claim of an expired
// lease looks for) is keyed by the contact id alone, which no two tenants share, instead of
// starting with the tenant's text.
constexpr const char* kMigration12 = R"sql(
DROP INDEX attempts_provider;
DROP INDEX attempts_contact;
CREATE INDEX attempts_contact ON attempts (contact_id, call_id);
)sql";

// Version 13: the deferred contacts in dialing order, each entry with its deferral's time as a
// key column, so a refill reads those whose deferral has passed in dialing order (checked in the
// index, no heap read for the others) and a passed deferral needs no UPDATE to end it: it stays
// stored until the contact's next write clears it. Ending a campaign's passed deferrals at once
// rewrote every such row (on the bank campaign ~75,000 rows a run, none of them HOT).
constexpr const char* kMigration13 = R"sql(
CREATE INDEX contacts_deferred_order ON contacts (tenant_id, campaign_id, (-(priority::bigint)),
  list_order, defer_until) INCLUDE (next_attempt_at) WHERE status IN (0, 1) AND defer_until > 0;
)sql";

const Migration kMigrations[] = {
    {1,
     "tenants, campaigns, lists, contacts, phone numbers, DNC, leases, attempts, journal, "
     "processed events",
     kMigration1},
    {2, "contacts unique by (campaign, list, external id); lists record a finished import",
     kMigration2},
    {3, "abandon counts per engine and minute, shared by a campaign's governors", kMigration3},
    {4,
     "contacts keep a Storage's deferral; contacts per status kept by triggers; DNC changes "
     "notified",
     kMigration4},
    {5, "journal lines keyed by their writer; scheduled contacts by due time", kMigration5},
    {6, "leases by expiry", kMigration6},
    {7, "leases by owner and expiry", kMigration7},
    {8, "contacts without the indexes by status and of all dialable contacts", kMigration8},
    {9, "contact attributes in a table of their own", kMigration9},
    {10, "contact keys and dialing order in a table of their own", kMigration10},
    {11, "contact numbers a text column of contacts", kMigration11},
    {12, "attempts without the index by provider call id; by contact keyed by its id alone",
     kMigration12},
    {13, "deferred contacts in dialing order", kMigration13},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kPostgresSchemaVersion,
              "one migration per schema version");

// The attributes of contact c (schema version 9): their table's text, or an empty list.
#define OMNIVOX_PG_ATTRIBUTES_OF_C \
  "COALESCE((SELECT a.attributes FROM contact_attributes a WHERE a.contact_id = c.id), '[]')"
constexpr const char* kContactColumns =
    "c.id, c.campaign_id, c.list_name, c.external_id, c.priority, c.list_order, "
    "c.numbers, " OMNIVOX_PG_ATTRIBUTES_OF_C
    ", c.time_zone, c.status, c.attempts, c.not_connected, c.next_number, "
    "c.last_disposition, c.last_attempt_at, c.next_attempt_at, c.callback_agent";
constexpr const char* kAttemptColumns =
    "call_id, contact_id, campaign_id, number, number_index, attempt_number, caller_id, "
    "provider_call_id, state, fail_reason, amd, disposition, agent, created_at, answered_at, "
    "bridged_at, ended_at, provider_code";
// Contacts loaded in one statement: $1 the tenant, then one array per column in input order
// (their numbers, $16, as storage_codec::numbers_to_text writes them). The campaign's load-order
// counter (a row per campaign, so concurrent loaders never share an order) moves once per campaign
// by the number of contacts given, one order each, as if they were stored one at a time; a contact
// whose key is already stored is not inserted and returns no row. Returns (position in the input
// from 1, id) of the contacts inserted.
std::string add_contacts_sql() {
  return "WITH u AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], "
         "$6::text[], $7::text[], $8::integer[], $9::integer[], $10::integer[], $11::integer[], "
         "$12::integer[], $13::bigint[], $14::bigint[], $15::bigint[], $16::text[]) WITH "
         "ORDINALITY AS x(campaign_id, list_name, external_id, priority, attributes, time_zone, "
         "status, attempts, not_connected, next_number, last_disposition, last_attempt_at, "
         "next_attempt_at, callback_agent, numbers, i)), "
         "g AS (SELECT campaign_id, count(*) AS given FROM u GROUP BY campaign_id), "
         "o AS (INSERT INTO campaign_counters AS k (tenant_id, campaign_id, last_list_order) "
         "SELECT $1, campaign_id, given FROM g ON CONFLICT (tenant_id, campaign_id) DO UPDATE "
         "SET last_list_order = k.last_list_order + excluded.last_list_order "
         "RETURNING campaign_id, last_list_order), "
         "r AS (SELECT u.*, o.last_list_order - g.given + row_number() OVER (PARTITION BY "
         "u.campaign_id ORDER BY u.i) AS list_order FROM u JOIN g USING (campaign_id) "
         "JOIN o USING (campaign_id)), "
         "k AS (INSERT INTO contact_keys (contact_id, tenant_id, campaign_id, list_name, "
         "external_id, priority, list_order) SELECT nextval('contacts_id_seq'), $1, "
         "campaign_id, list_name, external_id, priority, list_order FROM (SELECT * FROM r "
         "ORDER BY i) q ON CONFLICT (tenant_id, campaign_id, list_name, external_id) WHERE "
         "external_id <> '' DO NOTHING RETURNING contact_id, campaign_id, list_order), "
         "c AS (INSERT INTO contacts (id, tenant_id, campaign_id, list_name, external_id, "
         "priority, list_order, time_zone, status, attempts, not_connected, next_number, "
         "last_disposition, last_attempt_at, next_attempt_at, callback_agent, numbers) "
         "SELECT k.contact_id, $1, r.campaign_id, r.list_name, r.external_id, r.priority, "
         "r.list_order, r.time_zone, r.status, r.attempts, r.not_connected, r.next_number, "
         "r.last_disposition, r.last_attempt_at, r.next_attempt_at, r.callback_agent, r.numbers "
         "FROM k JOIN r USING (campaign_id, list_order) ORDER BY k.contact_id "
         "RETURNING id, campaign_id, list_order), "
         "s AS (SELECT r.i, c.id, r.attributes FROM c JOIN r "
         "USING (campaign_id, list_order)), "
         "t AS (INSERT INTO contact_attributes (contact_id, tenant_id, attributes) "
         "SELECT s.id, $1, s.attributes FROM s) "
         "SELECT i, id FROM s";
}
// The leases of the contact ids `ids` (a bigint[]) held by `owner` in `tenant` deleted. The rows
// are found through the primary key alone, owner and tenant checked on each row in a form no
// index serves: offered leases_owner_expiry (or before it leases_expiry), the planner combined
// it with the key, and read every entry the owner's claims and releases had left dead since the
// last vacuum, which it cannot count (122,448 entries for 190 leases, 2.6 ms of a write batch).
std::string release_leases_sql(const std::string& ids, const std::string& owner,
                               const std::string& tenant) {
  return "DELETE FROM leases WHERE contact_id = ANY (" + ids +
         "::bigint[]) AND owner IS NOT DISTINCT FROM " + owner +
         " AND tenant_id IS NOT DISTINCT FROM " + tenant;
}
// The attributes of contacts stored from `from`, a source of rows (id, text) whose ids are known
// contacts of `tenant`, written only where they differ from those stored (an equal text is left
// alone: no new row version, no lock taken), or added where none are stored.
std::string put_attributes_sql(const std::string& from, const std::string& tenant) {
  return "INSERT INTO contact_attributes AS a (contact_id, tenant_id, attributes) "
         "SELECT w.id, " +
         tenant + ", w.text FROM " + from +
         " AS w(id, text) WHERE NOT EXISTS (SELECT 1 FROM contact_attributes x "
         "WHERE x.contact_id = w.id AND x.attributes = w.text) ORDER BY w.id "
         "ON CONFLICT (contact_id) DO UPDATE SET attributes = excluded.attributes";
}
// The keys (list, external id) and priorities of contacts written from `from`, a source of rows
// (id, list_name, external_id, priority) whose ids are known contacts, copied to contact_keys
// where they differ from those stored there (schema version 10): a contact's writes rarely
// change them, and an equal row is left alone (no new row version, no lock taken).
std::string put_keys_sql(const std::string& from, const std::string& tenant) {
  return "UPDATE contact_keys k SET list_name = w.list_name, external_id = w.external_id, "
         "priority = w.priority FROM " +
         from +
         " AS w(id, list_name, external_id, priority) WHERE k.contact_id = w.id AND "
         "k.tenant_id = " +
         tenant +
         " AND (k.list_name, k.external_id, k.priority) IS DISTINCT FROM (w.list_name, "
         "w.external_id, w.priority)";
}
// Contacts per add_contacts statement: a few hundred kB of parameters.
constexpr std::size_t kAddContactsChunk = 1000;

using i64 = long long;

// The failure classes run() treats as "the connection is gone": retry on a new connection.
bool is_connection_state(const std::string& sqlstate) {
  // 08xxx connection exception; 57P01..57P03 admin/crash shutdown, cannot connect now.
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

std::string ids_array(std::span<const ContactId> ids) {
  std::vector<ContactId> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out = "{";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(sorted[i]);
  }
  out += '}';
  return out;
}

// The last row of each key, in the order of their first appearance: a multi-row upsert may not
// touch one row twice, and the last write of a row is the one that counts.
template <class Row, class Key>
std::vector<Row> last_of_each(std::span<const Row> rows, Key key) {
  std::unordered_map<std::uint64_t, std::size_t> at;
  std::vector<Row> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    auto [it, fresh] = at.emplace(key(r), out.size());
    if (fresh) {
      out.push_back(r);
    } else {
      out[it->second] = r;
    }
  }
  return out;
}

// The statement of a write batch fails on purpose with this text (a cast of it to bigint) when a
// contact it updates is unknown, so that nothing of the batch is written.
constexpr const char* kUnknownContact = "omnivox: unknown contact id ";

// A PostgreSQL array literal ("{1,2}", "{\"a\",\"b\"}"), built one element at a time: a write
// batch passes each column of its rows as one array, which unnest() expands on the server
// (cheaper to build and to parse than a JSON document of the same rows).
class ArrayLiteral {
 public:
  ArrayLiteral() { text_.push_back('{'); }
  void num(i64 v) {
    separate();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    text_.append(buf, end);
  }
  void str(std::string_view v) {
    separate();
    text_.push_back('"');
    for (char ch : v) {
      if (ch == '"' || ch == '\\') text_.push_back('\\');
      text_.push_back(ch);
    }
    text_.push_back('"');
  }
  void null() {
    separate();
    text_.append("NULL");
  }
  std::string done() {
    text_.push_back('}');
    return std::move(text_);
  }

 private:
  void separate() {
    if (text_.size() > 1) text_.push_back(',');
  }
  std::string text_;
};

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(const std::string& conninfo, const PostgresStorageOptions& options)
      : conninfo_(conninfo), masked_(mask_conninfo_password(conninfo)), options_(options) {
    if (options_.tenant.empty() || options_.tenant.size() > 200) {
      throw Error(ErrorCode::kConfig,
                  "postgres storage: tenant must be 1..200 bytes, got '" + options_.tenant + "'");
    }
    if (options_.scan_page_size < 1) options_.scan_page_size = 1;
    if (options_.log) logger_ = std::make_unique<Logger>(options_.log, LogLevel::kInfo);
    const std::string where = "postgres storage: open '" + masked_ + "'";
    try {
      conn_ = std::make_unique<pqxx::connection>(conninfo_);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kStorage, where + ": cannot connect: " + trim(e.what()));
    }
    try {
      migrate(where);
      prepare_all();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kStorage, where + ": " + trim(e.what()));
    }
  }

  // ---- campaigns and lists ----
  void put_campaign(const CampaignConfig& campaign) override {
    std::string text = campaign_to_json(campaign);
    autocommit("put_campaign", [&](pqxx::transaction_base& tx) {
      tx.exec_prepared("put_campaign", options_.tenant, campaign.id, text);
    });
  }
  std::optional<CampaignConfig> get_campaign(std::string_view campaign_id) override {
    std::string id(campaign_id);
    auto text =
        autocommit("get_campaign", [&](pqxx::transaction_base& tx) -> std::optional<std::string> {
          auto r = tx.exec_prepared("get_campaign", options_.tenant, id);
          if (r.empty()) return std::nullopt;
          return r[0][0].as<std::string>();
        });
    if (!text) return std::nullopt;
    try {
      return campaign_from_json(*text);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kStorage, "postgres storage: get_campaign '" + id +
                                           "': bad stored configuration: " + e.what());
    }
  }
  std::vector<std::string> campaign_ids() override {
    return autocommit("campaign_ids", [&](pqxx::transaction_base& tx) {
      std::vector<std::string> out;
      for (const auto& row : tx.exec_prepared("campaign_ids", options_.tenant)) {
        out.push_back(row[0].as<std::string>());
      }
      return out;
    });
  }
  void put_list(const ContactList& list) override {
    autocommit("put_list", [&](pqxx::transaction_base& tx) {
      tx.exec_prepared("put_list", options_.tenant, list.campaign_id, list.name, list.active,
                       list.import_complete);
    });
  }
  std::vector<ContactList> lists(std::string_view campaign_id) override {
    std::string id(campaign_id);
    return autocommit("lists", [&](pqxx::transaction_base& tx) {
      std::vector<ContactList> out;
      for (const auto& row : tx.exec_prepared("lists", options_.tenant, id)) {
        out.push_back({id, row[0].as<std::string>(), row[1].as<bool>(), row[2].as<bool>()});
      }
      return out;
    });
  }

  // ---- contacts ----
  // Idempotent (the contact's key is unique), so a transaction lost mid-commit may run again.
  ContactId add_contact(Contact c) override {
    return run("add_contact", [&](pqxx::transaction_base& tx) {
      store_contacts(tx, std::span<Contact>(&c, 1));
      return c.id;
    });
  }
  // One statement per kAddContactsChunk contacts (add_contacts_sql), in one transaction.
  std::size_t add_contacts(std::span<Contact> contacts) override {
    return run("add_contacts", [&](pqxx::transaction_base& tx) {
      std::size_t added = 0;
      for (std::size_t first = 0; first < contacts.size(); first += kAddContactsChunk) {
        added += store_contacts(
            tx, contacts.subspan(first, std::min(kAddContactsChunk, contacts.size() - first)));
      }
      return added;
    });
  }
  std::optional<Contact> get_contact(ContactId id) override {
    return autocommit("get_contact", [&](pqxx::transaction_base& tx) -> std::optional<Contact> {
      auto r = tx.exec_prepared("get_contact", static_cast<i64>(id), options_.tenant);
      if (r.empty()) return std::nullopt;
      return read_contact(r[0]);
    });
  }
  // A contact this object claimed moments ago (see claim()) is read with every other one
  // claimed and not read yet, in one query, and each is answered from there once; any other
  // read goes to the server alone.
  bool read_contact(ContactId id, Contact& out) override {
    const auto now = std::chrono::steady_clock::now();
    std::string unread = "{";
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = claimed_.find(id);
      if (it != claimed_.end() && now >= it->second.fresh_until) {
        claimed_.erase(it);
        it = claimed_.end();
      }
      if (it != claimed_.end() && it->second.loaded) {
        out = std::move(it->second.contact);
        claimed_.erase(it);
        return true;
      }
      if (it != claimed_.end()) {
        for (const auto& [other, held] : claimed_) {
          if (held.loaded || now >= held.fresh_until) continue;
          if (unread.size() > 1) unread += ',';
          unread += std::to_string(other);
        }
      }
    }
    // Not claimed here (or the claim is old): read alone. mutex_ is not held: run() takes it.
    if (unread.size() == 1) return Storage::read_contact(id, out);
    unread += '}';
    try {
      autocommit("read_contact: claimed", [&](pqxx::transaction_base& tx) {
        for (const auto& row : tx.exec_prepared("get_contacts", unread, options_.tenant)) {
          Contact c = read_contact(row);
          auto held = claimed_.find(c.id);
          if (held == claimed_.end() || held->second.loaded) continue;
          keep_as_stored_locked(c);
          held->second.contact = std::move(c);
          held->second.loaded = true;
        }
      });
    } catch (const Error&) {
      // Read them one by one.
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = claimed_.find(id);
      if (it != claimed_.end()) {
        const bool loaded = it->second.loaded;
        if (loaded) out = std::move(it->second.contact);
        claimed_.erase(it);
        if (loaded) return true;
      }
    }
    return Storage::read_contact(id, out);
  }
  void update_contact(const Contact& c) override {
    forget_claimed({&c.id, 1});
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_back_.erase(c.id);
    }
    const std::string numbers = numbers_to_text(c.numbers);
    const std::string ids = "{" + std::to_string(c.id) + "}";
    ArrayLiteral one;
    one.str(attributes_to_json(c.attributes));
    const std::string attributes = one.done();
    run("update_contact", [&](pqxx::transaction_base& tx) {
      auto r = tx.exec_prepared(
          "update_contact", static_cast<i64>(c.id), options_.tenant, c.list_name, c.external_id,
          static_cast<i64>(c.priority), c.time_zone, static_cast<int>(c.status),
          static_cast<int>(c.attempts), static_cast<int>(c.not_connected),
          static_cast<int>(c.next_number), static_cast<int>(c.last_disposition),
          static_cast<i64>(ms(c.last_attempt_at)), static_cast<i64>(ms(c.next_attempt_at)),
          static_cast<i64>(c.callback_agent), numbers);
      if (r.affected_rows() == 0) {
        throw Error(ErrorCode::kNotFound,
                    "update_contact: unknown contact id " + std::to_string(c.id));
      }
      tx.exec_prepared("put_attributes", ids, options_.tenant, attributes);
      tx.exec_prepared("put_contact_key", static_cast<i64>(c.id), options_.tenant, c.list_name,
                       c.external_id, static_cast<int>(c.priority));
    });
  }
  void update_contacts(std::span<const Contact> contacts) override {
    StorageWriteBatch batch;
    batch.contacts.assign(contacts.begin(), contacts.end());
    write_batch(batch);
  }
  std::size_t scan_contacts(const ContactScan& scan,
                            const std::function<bool(const Contact&)>& visit) override {
    std::size_t visited = 0;
    const i64 page = options_.scan_page_size;
    const i64 due = ms(scan.due_by);
    std::vector<Contact> rows;
    // Each phase pages by its index order; the last row of a page is the next page's key.
    auto visit_all = [&](const char* op, const char* stmt, auto key_of, i64 k1, i64 k2,
                         bool with_due) {
      for (;;) {
        rows = autocommit(op, [&](pqxx::transaction_base& tx) {
          std::vector<Contact> out;
          pqxx::result r =
              with_due
                  ? tx.exec_prepared(stmt, options_.tenant, scan.campaign_id, due, k1, k2, page)
                  : tx.exec_prepared(stmt, options_.tenant, scan.campaign_id, k1, k2, page);
          out.reserve(r.size());
          for (const auto& row : r) out.push_back(read_contact(row));
          return out;
        });
        for (const Contact& c : rows) {
          ++visited;
          if (!visit(c)) return false;
        }
        if (static_cast<i64>(rows.size()) < page) return true;
        std::tie(k1, k2) = key_of(rows.back());
      }
    };
    auto order_key = [](const Contact& c) {
      return std::pair<i64, i64>(-static_cast<i64>(c.priority), static_cast<i64>(c.list_order));
    };
    if (!scan.dialable_only) {
      visit_all("scan_contacts", "scan_all", order_key, LLONG_MIN, LLONG_MIN, false);
      return visited;
    }
    auto callback_key = [](const Contact& c) {
      return std::pair<i64, i64>(ms(c.next_attempt_at), static_cast<i64>(c.id));
    };
    if (!visit_all("scan_contacts", "scan_callbacks", callback_key, LLONG_MIN, LLONG_MIN, true)) {
      return visited;
    }
    visit_all("scan_contacts", "scan_ready", order_key, LLONG_MIN, LLONG_MIN, true);
    return visited;
  }
  // A refill passes over many contacts it does not take. The views read only the columns the
  // eligibility rules read; the query leaves out contacts deferred until a time this object
  // deferred contacts to (it wakes then) and, with skip_leased_at, contacts under a live lease.
  // Unless this object holds the tenant's DNC lists whole (is_dnc answers from them), each page
  // is followed by one query for which of its numbers are on the campaign's DNC lists, which
  // is_dnc then answers without a round trip. A refill usually wants as many contacts as the
  // last one did: the ready contacts' first page is sized by the rows the campaign's last scan
  // read before its visitor stopped, less those it deferred (stored, they are not read again),
  // and each next page is twice as large; rows read past the stop are read for nothing.
  std::size_t scan_contact_views(
      const ContactScan& scan, const std::function<ScanStep(const ContactView&)>& visit) override {
    if (!scan.dialable_only && scan.scheduled_after) return scan_scheduled(scan, visit);
    if (!scan.dialable_only) return Storage::scan_contact_views(scan, visit);
    const i64 due = ms(scan.due_by);
    const i64 leased_at = scan.skip_leased_at ? static_cast<i64>(ms(*scan.skip_leased_at))
                                              : std::numeric_limits<i64>::max();
    const i64 max_page = options_.scan_page_size;
    std::size_t visited = 0;
    std::vector<ViewRow> rows;
    std::vector<PhoneNumberView> number_views;
    std::vector<Deferral> deferrals, promoted;
    std::string gaps_low, gaps_high;
    // The last scan's deferrals, stored before this scan reads: otherwise it would read each of
    // them again only to leave it out and store it then (75,000 rows of a bank run).
    store_deferrals(scan.campaign_id, deferrals_to_store(scan.campaign_id, due));
    const bool dnc_read = !dnc_lists_held();
    // Returns false when the visitor stopped; `read` counts the rows up to the one it stopped at.
    auto visit_all = [&](const char* stmt, bool ready, i64 page, std::size_t& read) {
      i64 k1 = LLONG_MIN, k2 = LLONG_MIN;
      for (;;) {
        autocommit("scan_contact_views", [&](pqxx::transaction_base& tx) {
          rows.clear();
          pqxx::result r = ready ? tx.exec_prepared(stmt, options_.tenant, scan.campaign_id, due,
                                                    leased_at, k1, k2, page, gaps_low, gaps_high)
                                 : tx.exec_prepared(stmt, options_.tenant, scan.campaign_id, due,
                                                    leased_at, k1, k2, page);
          rows.reserve(r.size());
          for (const auto& row : r) {
            rows.push_back(read_view_row(row, ready ? due : -1));
          }
          if (dnc_read) read_dnc_answers_locked(tx, scan.campaign_id, rows);
        });
        for (ViewRow& v : rows) {
          ++read;
          const ContactId id = v.contact.id;
          if (v.held_until != 0) {
            promoted.push_back({id, v.held_until, v.version});
            continue;
          }
          if (scan.skip && scan.skip(id)) continue;
          ++visited;
          const ScanStep step = visit(view_of(v.contact, number_views));
          if (ready && step.defer_until != TimePoint::min()) {
            deferrals.push_back({id, ms(step.defer_until), v.version});
          }
          if (!step.more) return false;
        }
        if (static_cast<i64>(rows.size()) < page) return true;
        k1 = rows.back().key1;
        k2 = rows.back().key2;
        page = std::min(page * 2, max_page);
      }
    };
    std::size_t callbacks_read = 0, ready_read = 0;
    if (visit_all("views_callbacks", false, std::min<i64>(kFirstViewPage, max_page),
                  callbacks_read)) {
      ready_gaps(scan.campaign_id, due, gaps_low, gaps_high);
      const i64 first_page = first_ready_page(scan.campaign_id, max_page);
      if (!visit_all("views_ready", true, first_page, ready_read)) {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_rows_wanted_[scan.campaign_id] = ready_read - std::min(ready_read, deferrals.size());
      }
    }
    hold_back(deferrals, scan.campaign_id);
    store_deferrals(scan.campaign_id, promoted);
    return visited;
  }
  // A survey of the campaign's schedule: only the RETRY and CALLBACK contacts due after
  // scan.scheduled_after, by due time through contacts_scheduled, in pages.
  std::size_t scan_scheduled(const ContactScan& scan,
                             const std::function<ScanStep(const ContactView&)>& visit) {
    const i64 after = ms(*scan.scheduled_after);
    const i64 page = options_.scan_page_size;
    i64 k1 = LLONG_MIN, k2 = LLONG_MIN;
    std::size_t visited = 0;
    std::vector<ViewRow> rows;
    std::vector<PhoneNumberView> number_views;
    for (;;) {
      autocommit("scan_contact_views: scheduled", [&](pqxx::transaction_base& tx) {
        rows.clear();
        for (const auto& row : tx.exec_prepared("views_scheduled", options_.tenant,
                                                scan.campaign_id, after, k1, k2, page)) {
          rows.push_back(read_view_row(row, -1));
        }
      });
      for (const ViewRow& v : rows) {
        if (scan.skip && scan.skip(v.contact.id)) continue;
        ++visited;
        if (!visit(view_of(v.contact, number_views)).more) return visited;
      }
      if (static_cast<i64>(rows.size()) < page) return visited;
      k1 = rows.back().key1;
      k2 = rows.back().key2;
    }
  }
  // Kept in this object first; stored in the database for the contacts a later scan meets
  // again before their time (see held_back_).
  void defer_contacts(std::string_view campaign_id, std::span<const ContactId> ids,
                      TimePoint until) override {
    (void)campaign_id;
    std::vector<Deferral> deferrals;
    deferrals.reserve(ids.size());
    for (ContactId id : ids) deferrals.push_back({id, ms(until), kAnyVersion});
    hold_back(deferrals);
  }
  std::size_t contact_count(std::string_view campaign_id) override {
    std::string id(campaign_id);
    return autocommit("contact_count", [&](pqxx::transaction_base& tx) {
      return static_cast<std::size_t>(
          tx.exec_prepared1("contact_count", options_.tenant, id)[0].as<i64>());
    });
  }
  std::vector<std::size_t> count_by_status(std::string_view campaign_id) override {
    std::string id(campaign_id);
    return autocommit("count_by_status", [&](pqxx::transaction_base& tx) {
      std::vector<std::size_t> out(7, 0);
      for (const auto& row : tx.exec_prepared("count_by_status", options_.tenant, id)) {
        int s = row[0].as<int>();
        if (s >= 0 && s < 7) out[static_cast<std::size_t>(s)] = row[1].as<std::size_t>();
      }
      return out;
    });
  }

  // ---- leases ----
  std::vector<ContactId> claim_leases(std::span<const ContactId> ids, std::string_view owner,
                                      TimePoint now, Duration ttl) override {
    return claim("claim_leases", ids, owner, now, ttl);
  }
  std::vector<ContactId> claim_leases_to_reconcile(std::span<const ContactId> ids,
                                                   std::string_view owner, TimePoint now,
                                                   Duration ttl) override {
    return claim("claim_leases_to_reconcile", ids, owner, now, ttl);
  }
  // `statement`: one of the two prepared claims, which differ only in taking over a dead
  // owner's contact with an open attempt.
  std::vector<ContactId> claim(const char* statement, std::span<const ContactId> ids,
                               std::string_view owner, TimePoint now, Duration ttl) {
    if (ids.empty()) return {};
    std::string array = ids_array(ids);
    std::string who(owner);
    std::vector<ContactId> fresh_ids;  // whose lease row is new: held by no one before
    std::unordered_set<ContactId> got = autocommit(statement, [&](pqxx::transaction_base& tx) {
      std::unordered_set<ContactId> out;
      fresh_ids.clear();
      for (const auto& row :
           tx.exec_prepared(statement, options_.tenant, who, static_cast<i64>(ms(now + ttl)), array,
                            static_cast<i64>(ms(now)))) {
        const i64 id = row[0].as<i64>();
        out.insert(static_cast<ContactId>(id));
        if (row[1].as<bool>()) fresh_ids.push_back(static_cast<ContactId>(id));
      }
      return out;
    });
    std::vector<ContactId> claimed;
    claimed.reserve(got.size());
    for (ContactId id : ids) {
      if (got.count(id)) claimed.push_back(id);
    }
    // The contacts newly claimed are read together at the first read of one of them (the call
    // placed): under the lease, what that reads stays what storage holds. Renewals are not
    // read again: their calls are placed.
    if (!fresh_ids.empty() && std::string_view(statement) == "claim_leases") {
      const auto fresh_until = std::chrono::steady_clock::now() + ttl / 2;
      std::lock_guard<std::mutex> lock(mutex_);
      if (claimed_.size() + fresh_ids.size() > kMaxCached) claimed_.clear();
      for (ContactId id : fresh_ids) {
        claimed_[id] = ClaimedContact{Contact{}, fresh_until, false};
        as_stored_.erase(id);
      }
    }
    return claimed;
  }
  bool renew_lease(ContactId id, std::string_view owner, TimePoint now, Duration ttl) override {
    std::string who(owner);
    return autocommit("renew_lease", [&](pqxx::transaction_base& tx) {
      return tx.exec_prepared("renew_lease", static_cast<i64>(ms(now + ttl)), static_cast<i64>(id),
                              who, options_.tenant)
                 .affected_rows() > 0;
    });
  }
  void release_lease(ContactId id, std::string_view owner) override {
    forget_claimed({&id, 1});
    std::string who(owner);
    autocommit("release_lease", [&](pqxx::transaction_base& tx) {
      tx.exec_prepared("release_lease", static_cast<i64>(id), who, options_.tenant);
    });
  }
  void release_leases(std::span<const ContactId> ids, std::string_view owner) override {
    if (ids.empty()) return;
    forget_claimed(ids);
    std::string array = ids_array(ids);
    std::string who(owner);
    autocommit("release_leases", [&](pqxx::transaction_base& tx) {
      tx.exec_prepared("release_leases", array, who, options_.tenant);
    });
  }
  std::optional<Lease> get_lease(ContactId id) override {
    return autocommit("get_lease", [&](pqxx::transaction_base& tx) -> std::optional<Lease> {
      auto r = tx.exec_prepared("get_lease", static_cast<i64>(id), options_.tenant);
      if (r.empty()) return std::nullopt;
      return Lease{id, r[0][0].as<std::string>(), tp(r[0][1].as<i64>())};
    });
  }
  std::optional<TimePoint> earliest_lease_expiry(std::string_view campaign_id,
                                                 std::string_view owner, TimePoint now) override {
    std::string campaign(campaign_id), who(owner);
    return autocommit("earliest_lease_expiry",
                      [&](pqxx::transaction_base& tx) -> std::optional<TimePoint> {
                        auto r = tx.exec_prepared("earliest_lease_expiry", campaign, who,
                                                  static_cast<i64>(ms(now)), options_.tenant);
                        if (r.empty() || r[0][0].is_null()) return std::nullopt;
                        return tp(r[0][0].as<i64>());
                      });
  }

  // ---- attempts ----
  CallId allocate_call_id() override { return allocate_call_ids(1).front(); }
  void put_attempt(const Attempt& a) override {
    autocommit("put_attempt", [&](pqxx::transaction_base& tx) {
      tx.exec_prepared("put_attempt", static_cast<i64>(a.call_id), options_.tenant,
                       static_cast<i64>(a.contact_id), a.campaign_id, a.number,
                       static_cast<int>(a.number_index), static_cast<int>(a.attempt_number),
                       a.caller_id, a.provider_call_id, static_cast<int>(a.state),
                       static_cast<int>(a.fail_reason), static_cast<int>(a.amd),
                       static_cast<int>(a.disposition), static_cast<i64>(a.agent),
                       static_cast<i64>(ms(a.created_at)), static_cast<i64>(ms(a.answered_at)),
                       static_cast<i64>(ms(a.bridged_at)), static_cast<i64>(ms(a.ended_at)),
                       static_cast<int>(a.provider_code));
    });
  }
  // Drawn from the sequence kCallIdsDrawn at a time (or n, when more) and handed out in order:
  // an engine asks for 64 at a time, ~2,000 round trips a bank run otherwise. The ids left when
  // the object is destroyed are a gap, as an engine's unused ones were already.
  std::vector<CallId> allocate_call_ids(std::size_t n) override {
    if (n == 0) return {};
    return autocommit("allocate_call_ids", [&](pqxx::transaction_base& tx) {
      if (call_ids_.size() < n) {
        const std::size_t draw = std::max(n - call_ids_.size(), kCallIdsDrawn);
        for (const auto& row : tx.exec_prepared("allocate_call_ids", static_cast<i64>(draw))) {
          call_ids_.push_back(static_cast<CallId>(row[0].as<i64>()));
        }
      }
      const auto end = call_ids_.begin() + static_cast<std::ptrdiff_t>(n);
      std::vector<CallId> ids(call_ids_.begin(), end);
      call_ids_.erase(call_ids_.begin(), end);
      return ids;
    });
  }
  void put_attempts(std::span<const Attempt> attempts) override {
    StorageWriteBatch batch;
    batch.attempts.assign(attempts.begin(), attempts.end());
    write_batch(batch);
  }
  // One statement (one round trip, atomic): data-modifying CTEs over the batch's rows, each
  // column one array. Its journal lines carry this object's keys, so the statement run again
  // after a lost answer (run() retries it) adds none of them twice.
  void write_batch(const StorageWriteBatch& batch) override {
    if (batch.empty()) return;
    const std::vector<Contact> contacts = last_of_each<Contact>(
        std::span<const Contact>(batch.contacts), [](const Contact& c) { return c.id; });
    // Whether this object holds each contact's key and attributes as stored (see as_stored_),
    // and whether they are those: then the statement leaves them alone (their text is not built,
    // sent nor compared).
    std::vector<bool> held(contacts.size(), false), as_stored(contacts.size(), false);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (std::size_t i = 0; i < contacts.size(); ++i) {
        auto it = as_stored_.find(contacts[i].id);
        held[i] = it != as_stored_.end();
        as_stored[i] = held[i] && it->second.same_as(contacts[i]);
        as_stored_.erase(contacts[i].id);
        claimed_.erase(contacts[i].id);
        held_back_.erase(contacts[i].id);
      }
    }
    forget_claimed(batch.released);
    const std::vector<Attempt> attempts = last_of_each<Attempt>(
        std::span<const Attempt>(batch.attempts), [](const Attempt& a) { return a.call_id; });
    std::array<ArrayLiteral, 18> a;  // attempts, by column
    for (const Attempt& x : attempts) {
      a[0].num(static_cast<i64>(x.call_id));
      a[1].num(static_cast<i64>(x.contact_id));
      a[2].str(x.campaign_id);
      a[3].str(x.number);
      a[4].num(x.number_index);
      a[5].num(x.attempt_number);
      a[6].str(x.caller_id);
      a[7].str(x.provider_call_id);
      a[8].num(static_cast<i64>(x.state));
      a[9].num(static_cast<i64>(x.fail_reason));
      a[10].num(static_cast<i64>(x.amd));
      a[11].num(static_cast<i64>(x.disposition));
      a[12].num(static_cast<i64>(x.agent));
      a[13].num(ms(x.created_at));
      a[14].num(ms(x.answered_at));
      a[15].num(ms(x.bridged_at));
      a[16].num(ms(x.ended_at));
      a[17].num(x.provider_code);
    }
    std::array<ArrayLiteral, 15> c;  // contacts
    for (std::size_t i = 0; i < contacts.size(); ++i) {
      const Contact& x = contacts[i];
      c[0].num(static_cast<i64>(x.id));
      c[1].str(x.list_name);
      c[2].str(x.external_id);
      c[3].num(x.priority);
      if (as_stored[i]) {
        c[4].null();
      } else {
        c[4].str(attributes_to_json(x.attributes));
      }
      c[5].str(x.time_zone);
      c[6].num(static_cast<i64>(x.status));
      c[7].num(x.attempts);
      c[8].num(x.not_connected);
      c[9].num(x.next_number);
      c[10].num(static_cast<i64>(x.last_disposition));
      c[11].num(ms(x.last_attempt_at));
      c[12].num(ms(x.next_attempt_at));
      c[13].num(static_cast<i64>(x.callback_agent));
      c[14].str(numbers_to_text(x.numbers));
    }
    std::array<ArrayLiteral, 7> j;  // journal lines, with this object's keys
    const std::span<const JournalEntry> lines = options_.keep_journal
                                                    ? std::span<const JournalEntry>(batch.journal)
                                                    : std::span<const JournalEntry>();
    const std::vector<i64> keys = journal_keys(lines);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const JournalEntry& e = lines[i];
      j[0].str(e.campaign_id);
      j[1].num(ms(e.at));
      j[2].num(static_cast<i64>(e.call_id));
      j[3].num(static_cast<i64>(e.contact_id));
      j[4].str(e.kind);
      j[5].str(e.detail);
      j[6].num(keys[i]);
    }
    auto take = [](auto& columns) {
      std::vector<std::string> out;
      out.reserve(columns.size());
      for (ArrayLiteral& column : columns) out.push_back(column.done());
      return out;
    };
    const std::vector<std::string> at = take(a), ct = take(c), jt = take(j);
    const std::string released = ids_array(batch.released);
    try {
      autocommit("write_batch", [&](pqxx::transaction_base& tx) {
        tx.exec_prepared("write_batch", options_.tenant, at[0], at[1], at[2], at[3], at[4], at[5],
                         at[6], at[7], at[8], at[9], at[10], at[11], at[12], at[13], at[14], at[15],
                         at[16], at[17], ct[0], ct[1], ct[2], ct[3], ct[4], ct[5], ct[6], ct[7],
                         ct[8], ct[9], ct[10], ct[11], ct[12], ct[13], ct[14], jt[0], jt[1], jt[2],
                         jt[3], jt[4], jt[5], jt[6], writer_, released, batch.release_owner,
                         static_cast<i64>(contacts.size()));
      });
    } catch (const Error& e) {
      settle_journal_keys(lines, keys, false);
      const std::string_view what = e.what();
      const auto pos = what.find(kUnknownContact);
      if (pos == std::string_view::npos) throw;
      const std::string id(what.substr(pos + std::string_view(kUnknownContact).size()));
      throw Error(ErrorCode::kNotFound,
                  "update_contact: unknown contact id " + std::to_string(std::atoll(id.c_str())));
    }
    settle_journal_keys(lines, keys, true);
    // Kept while this object holds the lease; a released contact's next holder may write it.
    std::lock_guard<std::mutex> lock(mutex_);
    const std::unordered_set<ContactId> released_ids(batch.released.begin(), batch.released.end());
    for (std::size_t i = 0; i < contacts.size(); ++i) {
      if (held[i] && !released_ids.count(contacts[i].id)) keep_as_stored_locked(contacts[i]);
    }
  }
  bool prefers_batched_writes() const override { return true; }
  std::vector<Attempt> attempts_of(ContactId id) override {
    return autocommit("attempts_of", [&](pqxx::transaction_base& tx) {
      std::vector<Attempt> out;
      for (const auto& row :
           tx.exec_prepared("attempts_of", options_.tenant, static_cast<i64>(id))) {
        out.push_back(read_attempt(row));
      }
      return out;
    });
  }
  void scan_attempts(std::string_view campaign_id,
                     const std::function<bool(const Attempt&)>& visit) override {
    scan_attempts_with("scan_attempts", campaign_id, visit);
  }
  void scan_open_attempts(std::string_view campaign_id,
                          const std::function<bool(const Attempt&)>& visit) override {
    scan_attempts_with("scan_open_attempts", campaign_id, visit);
  }

  // ---- DNC ----
  void add_dnc(std::string_view list, std::string_view e164) override {
    std::string l(list), n(e164);
    autocommit("add_dnc", [&](pqxx::transaction_base& tx) {
      tx.exec_prepared("add_dnc", options_.tenant, l, n);
      forget_dnc_answers_locked();
    });
  }
  bool remove_dnc(std::string_view list, std::string_view e164) override {
    std::string l(list), n(e164);
    return autocommit("remove_dnc", [&](pqxx::transaction_base& tx) {
      forget_dnc_answers_locked();
      return tx.exec_prepared("remove_dnc", options_.tenant, l, n).affected_rows() > 0;
    });
  }
  // Answered from the tenant's DNC lists held whole while they are short enough, else from
  // what this object read since the DNC lists last changed (a refill's scan reads each number's
  // answer), else one query; the omnivox_dnc notification says when to forget them.
  bool is_dnc(std::string_view campaign_id, std::string_view e164) override {
    if (dnc_lists_held()) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (dnc_lists_ == DncLists::kHeldWhole) {
        auto it = dnc_lists_by_number_.find(e164);
        if (it == dnc_lists_by_number_.end()) return false;
        for (const std::string& list : it->second) {
          if (list == "global" || list == campaign_id) return true;
        }
        return false;
      }
    }
    std::string key = dnc_key(campaign_id, e164);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      check_dnc_notifications_locked();
      auto it = dnc_cache_.find(key);
      if (it != dnc_cache_.end()) return it->second;
    }
    std::string c(campaign_id), n(e164);
    return autocommit("is_dnc", [&](pqxx::transaction_base& tx) {
      const bool on = !tx.exec_prepared("is_dnc", options_.tenant, n, c).empty();
      if (dnc_cache_.size() >= kMaxCached) dnc_cache_.clear();
      dnc_cache_[key] = on;
      return on;
    });
  }

  // ---- journal and deduplication ----
  void append_journal(const JournalEntry& e) override {
    if (!options_.keep_journal) return;
    const std::span<const JournalEntry> line(&e, 1);
    const std::vector<i64> keys = journal_keys(line);
    try {
      autocommit("append_journal", [&](pqxx::transaction_base& tx) {
        tx.exec_prepared("append_journal", options_.tenant, e.campaign_id,
                         static_cast<i64>(ms(e.at)), static_cast<i64>(e.call_id),
                         static_cast<i64>(e.contact_id), e.kind, e.detail, writer_, keys[0]);
      });
    } catch (const Error&) {
      settle_journal_keys(line, keys, false);
      throw;
    }
    settle_journal_keys(line, keys, true);
  }
  void append_journal_entries(std::span<const JournalEntry> entries) override {
    if (!options_.keep_journal || entries.empty()) return;
    StorageWriteBatch batch;
    batch.journal.assign(entries.begin(), entries.end());
    write_batch(batch);
  }
  void scan_journal(std::string_view campaign_id,
                    const std::function<bool(const JournalEntry&)>& visit) override {
    std::string id(campaign_id);
    i64 after = 0;
    const i64 page = options_.scan_page_size;
    for (;;) {
      std::vector<JournalEntry> rows;
      autocommit("scan_journal", [&](pqxx::transaction_base& tx) {
        rows.clear();
        for (const auto& row : tx.exec_prepared("scan_journal", options_.tenant, id, after, page)) {
          JournalEntry e;
          e.campaign_id = id;
          e.at = tp(row[1].as<i64>());
          e.call_id = static_cast<CallId>(row[2].as<i64>());
          e.contact_id = static_cast<ContactId>(row[3].as<i64>());
          e.kind = row[4].as<std::string>();
          e.detail = row[5].as<std::string>();
          rows.push_back(std::move(e));
          after = row[0].as<i64>();
        }
      });
      for (const auto& e : rows) {
        if (!visit(e)) return;
      }
      if (static_cast<i64>(rows.size()) < page) return;
    }
  }
  void put_abandon_counts(std::string_view campaign_id, std::string_view owner,
                          std::span<const AbandonBucket> buckets) override {
    if (buckets.empty()) return;
    std::string minutes = "{", live = "{", abandons = "{", machines = "{";
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      const char* sep = i ? "," : "";
      minutes += sep + std::to_string(ms(buckets[i].minute));
      live += sep + std::to_string(buckets[i].counts.live_answers);
      abandons += sep + std::to_string(buckets[i].counts.abandons);
      machines += sep + std::to_string(buckets[i].counts.machines);
    }
    minutes += '}', live += '}', abandons += '}', machines += '}';
    std::string campaign(campaign_id), who(owner);
    autocommit("put_abandon_counts", [&](pqxx::transaction_base& tx) {
      tx.exec_prepared("put_abandon_counts", options_.tenant, campaign, who, minutes, live,
                       abandons, machines);
    });
  }
  AbandonCounts abandon_counts(std::string_view campaign_id, TimePoint from,
                               TimePoint to) override {
    std::string campaign(campaign_id);
    return autocommit("abandon_counts", [&](pqxx::transaction_base& tx) {
      auto row = tx.exec_prepared1("abandon_counts", options_.tenant, campaign,
                                   static_cast<i64>(ms(from)), static_cast<i64>(ms(to)));
      return AbandonCounts{row[0].as<i64>(), row[1].as<i64>(), row[2].as<i64>(), row[3].as<i64>()};
    });
  }
  bool mark_event_processed(std::string_view key) override {
    std::string k(key);
    return run("mark_event_processed", [&](pqxx::transaction_base& tx) {
      return tx.exec_prepared("mark_processed", options_.tenant, k).affected_rows() > 0;
    });
  }

 private:
  // The first page of a scan_contact_views; each next page is twice as large, up to
  // scan_page_size.
  static constexpr i64 kFirstViewPage = 128;
  // Rows a ready scan's first page reads beyond what the campaign's last one wanted.
  static constexpr i64 kReadyPageSlack = 16;
  // DNC answers and claimed contacts kept beyond this many are dropped (all of them).
  static constexpr std::size_t kMaxCached = 1 << 16;
  // The tenant's DNC lists are held whole while they have at most this many entries: refills
  // then read no DNC answers (a lookup per number of each row they read) and is_dnc reads no
  // table.
  static constexpr std::size_t kDncListsHeldWhole = 16384;
  // Deferrals kept in held_back_ beyond this many are dropped (all of them).
  static constexpr std::size_t kMaxHeldBack = 1 << 22;

  // What scan_contact_views reads of a contact (the fields a ContactView has), and its page key.
  struct ViewRow {
    Contact contact;
    i64 key1 = 0, key2 = 0;
    i64 version = 0;     // the row version read (xmin): any write of the contact changes it
    i64 held_until = 0;  // deferred in this object until then (held_back_), or 0
  };
  // A defer_contacts hint for one contact: until `until` (ms), given for the row version
  // `version` (the state the refill judged), or for any (kAnyVersion: told by defer_contacts).
  struct Deferral {
    ContactId id = kNoContact;
    i64 until = 0;
    i64 version = 0;
  };
  static constexpr i64 kAnyVersion = -1;
  // A contact whose lease this object claimed, for the read that places its call; read with
  // the others claimed at the first of those reads. While the lease lives its holder is the
  // contact's only writer; the copy is dropped after half the lease's time to live (on the
  // steady clock), at a write or release through this object, and when it is read.
  struct ClaimedContact {
    Contact contact;
    std::chrono::steady_clock::time_point fresh_until;
    bool loaded = false;
  };
  // A contact's key and attributes as stored, for a contact whose lease this object claimed:
  // read by the claimed contacts' read, or written by this object's write batches since. While
  // the lease lives its holder is the contact's only writer, so a write batch need not send or
  // compare them again when they are unchanged. Dropped at a release or update_contact through
  // this object, at a fresh claim (read again then) and when a write batch fails.
  struct KeyAndAttributes {
    std::string list_name;
    std::string external_id;
    std::int32_t priority = 0;
    std::vector<std::pair<std::string, std::string>> attributes;
    bool same_as(const Contact& c) const {
      return priority == c.priority && list_name == c.list_name && external_id == c.external_id &&
             attributes == c.attributes;
    }
  };

  // Called with mutex_ held (inside run()). `due`: of a scan of the ready contacts, whose
  // deferrals in held_back_ apply, else -1.
  ViewRow read_view_row(const pqxx::row& r, i64 due) {
    ViewRow row;
    Contact& v = row.contact;
    v.id = static_cast<ContactId>(r[0].as<i64>());
    v.status = static_cast<ContactStatus>(r[1].as<int>());
    v.priority = r[2].as<std::int32_t>();
    v.attempts = static_cast<std::uint16_t>(r[3].as<int>());
    v.next_number = static_cast<std::uint16_t>(r[4].as<int>());
    v.last_disposition = static_cast<Disposition>(r[5].as<int>());
    v.last_attempt_at = tp(r[6].as<i64>());
    v.next_attempt_at = tp(r[7].as<i64>());
    v.callback_agent = static_cast<AgentId>(r[8].as<i64>());
    v.time_zone = r[9].as<std::string>();
    try {
      numbers_from_text(std::string_view(r[10].c_str(), r[10].size()), v.numbers);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kStorage, "postgres storage: contact " + std::to_string(v.id) +
                                           ": bad stored numbers: " + e.what());
    }
    row.key1 = r[11].as<i64>();
    row.key2 = r[12].as<i64>();
    row.version = r[13].as<i64>();
    // A deferral holds while its time has not come and the contact is as it was judged: a
    // write (by any engine: a retry scheduled, a number changed) ends it.
    if (due >= 0 && !held_back_.empty()) {
      auto held = held_back_.find(v.id);
      if (held != held_back_.end()) {
        const Deferral& d = held->second;
        if (due < d.until && (d.version == kAnyVersion || d.version == row.version)) {
          row.held_until = d.until;
        } else {
          held_back_.erase(held);
        }
      }
    }
    return row;
  }
  // Which numbers of `rows` are on the campaign's DNC lists, in one query, kept as is_dnc's
  // answers. With mutex_ held (inside run()).
  void read_dnc_answers_locked(pqxx::transaction_base& tx, const std::string& campaign_id,
                               const std::vector<ViewRow>& rows) {
    ArrayLiteral numbers;
    std::size_t count = 0;
    for (const ViewRow& row : rows) {
      for (const PhoneNumber& n : row.contact.numbers) {
        numbers.str(n.e164);
        ++count;
      }
    }
    if (count == 0) return;
    std::unordered_set<std::string> listed;
    for (const auto& r :
         tx.exec_prepared("dnc_among", options_.tenant, numbers.done(), campaign_id)) {
      listed.insert(r[0].as<std::string>());
    }
    if (dnc_cache_.size() + count > kMaxCached) dnc_cache_.clear();
    for (const ViewRow& row : rows) {
      for (const PhoneNumber& n : row.contact.numbers) {
        dnc_cache_[dnc_key(campaign_id, n.e164)] = listed.count(n.e164) > 0;
      }
    }
  }
  static std::string dnc_key(std::string_view campaign_id, std::string_view e164) {
    std::string key;
    key.reserve(campaign_id.size() + 1 + e164.size());
    key.append(campaign_id).push_back('\n');
    key.append(e164);
    return key;
  }
  // The DNC answers kept are valid until a notification on omnivox_dnc (a DNC list changed,
  // through any connection) arrives; a lost connection may have missed one. With mutex_ held.
  void check_dnc_notifications_locked() {
    if (dnc_cache_.empty() && dnc_lists_ == DncLists::kUnread) return;
    if (!conn_) {
      forget_dnc_answers_locked();
      return;
    }
    try {
      conn_->get_notifs();
    } catch (const std::exception&) {
      drop_connection();
    }
    if (dnc_changed_) forget_dnc_answers_locked();
  }
  // With mutex_ held.
  void forget_dnc_answers_locked() {
    dnc_cache_.clear();
    dnc_lists_by_number_.clear();
    dnc_lists_ = DncLists::kUnread;
    dnc_changed_ = false;
  }
  // Whether the tenant's DNC lists are held whole (read now when they were not, and the lists
  // were not found too long since they last changed). Pending notifications are taken before
  // the lists are read: a change committed after the read notifies again.
  bool dnc_lists_held() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      check_dnc_notifications_locked();
      if (dnc_lists_ != DncLists::kUnread) return dnc_lists_ == DncLists::kHeldWhole;
    }
    return autocommit("read DNC lists", [&](pqxx::transaction_base& tx) {
      conn_->get_notifs();
      forget_dnc_answers_locked();
      const pqxx::result r =
          tx.exec_prepared("dnc_lists", options_.tenant, static_cast<i64>(kDncListsHeldWhole + 1));
      if (r.size() > kDncListsHeldWhole) {
        dnc_lists_ = DncLists::kTooLong;
        return false;
      }
      for (const auto& row : r) {
        dnc_lists_by_number_[row[1].as<std::string>()].push_back(row[0].as<std::string>());
      }
      dnc_lists_ = DncLists::kHeldWhole;
      return true;
    });
  }
  // The first page of the campaign's next ready scan: what its last stopped scan wanted, with
  // room for a few more, or kFirstViewPage before any.
  i64 first_ready_page(const std::string& campaign_id, i64 max_page) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto wanted = ready_rows_wanted_.find(campaign_id);
    const i64 page = wanted == ready_rows_wanted_.end()
                         ? kFirstViewPage
                         : static_cast<i64>(wanted->second + wanted->second / 4) + kReadyPageSlack;
    return std::clamp<i64>(page, 1, max_page);
  }
  // The ranges of deferral times after `due` a ready scan visits, as two arrays of bounds
  // (exclusive): all but the times this object deferred contacts to and has not passed (the
  // passed deferrals it reads in dialing order).
  void ready_gaps(const std::string& campaign_id, i64 due, std::string& low, std::string& high) {
    std::vector<i64> mine;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::set<i64>& until = deferred_until_[campaign_id];
      while (!until.empty() && *until.begin() <= due) until.erase(until.begin());
      mine.assign(until.begin(), until.end());
    }
    low = '{' + std::to_string(due), high = "{";
    for (i64 t : mine) {
      low += ',' + std::to_string(t);
      high += std::to_string(t) + ',';
    }
    low += '}';
    high += std::to_string(std::numeric_limits<i64>::max()) + '}';
  }
  void forget_claimed(std::span<const ContactId> ids) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (ContactId id : ids) {
      claimed_.erase(id);
      as_stored_.erase(id);
    }
  }
  // Called with mutex_ held.
  void keep_as_stored_locked(const Contact& c) {
    if (as_stored_.size() >= kMaxCached) as_stored_.clear();
    as_stored_[c.id] = KeyAndAttributes{c.list_name, c.external_id, c.priority, c.attributes};
  }
  // `campaign_id`: of the scan that judged `deferrals` (each of the row version it read), which
  // its campaign's next scan stores; none for defer_contacts' hints (any version).
  void hold_back(const std::vector<Deferral>& deferrals, const std::string& campaign_id = {}) {
    if (deferrals.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (held_back_.size() + deferrals.size() > kMaxHeldBack) {
      held_back_.clear();
      to_store_.clear();
    }
    for (const Deferral& d : deferrals) held_back_[d.id] = d;
    if (campaign_id.empty()) return;
    std::vector<Deferral>& pending = to_store_[campaign_id];
    pending.insert(pending.end(), deferrals.begin(), deferrals.end());
  }
  // The deferrals the campaign's last scans judged that still hold at `due` (their time not
  // come, the contact not written since through this object) and are not stored yet. A
  // deferral whose time comes before the next scan (the campaign's window closed: the engine
  // sleeps until it opens) is never stored.
  std::vector<Deferral> deferrals_to_store(const std::string& campaign_id, i64 due) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto pending = to_store_.find(campaign_id);
    if (pending == to_store_.end()) return {};
    std::vector<Deferral> out;
    for (const Deferral& d : pending->second) {
      auto held = held_back_.find(d.id);
      if (d.until > due && held != held_back_.end() && held->second.until == d.until &&
          held->second.version == d.version) {
        out.push_back(d);
      }
    }
    to_store_.erase(pending);
    return out;
  }
  // The defer_contacts hint, stored on the contacts: this object's scans leave them out until
  // then (it wakes then); another Storage object's scans leave them out only when it deferred
  // contacts to the same time itself. A hint: rows another transaction holds are left alone,
  // and a failure is ignored.
  void store_deferrals(const std::string& campaign_id, const std::vector<Deferral>& deferrals) {
    if (deferrals.empty()) return;
    // One statement per time (a refill defers to a few: the window openings it met), rows in
    // id order, each stored only if still the version the refill judged.
    std::map<i64, std::map<ContactId, i64>> by_time;
    for (const Deferral& d : deferrals) by_time[d.until][d.id] = d.version;
    for (const auto& entry : by_time) {
      // Named, not a structured binding: Clang 14 (the sanitizer builds) cannot capture one.
      const i64 until = entry.first;
      std::string ids = "{", versions = "{";
      for (const auto& [id, version] : entry.second) {
        if (ids.size() > 1) ids += ',', versions += ',';
        ids += std::to_string(id);
        versions += std::to_string(version);
      }
      ids += '}', versions += '}';
      try {
        autocommit("defer_contacts", [&](pqxx::transaction_base& tx) {
          tx.exec_prepared("defer_contacts", options_.tenant, campaign_id, ids, until, versions);
        });
        std::lock_guard<std::mutex> lock(mutex_);
        deferred_until_[campaign_id].insert(until);
      } catch (const Error&) {
        // A hint: the contacts are scanned again, which is only slower.
      }
    }
  }

  // The keys of `lines`. A write that fails (the connection lost until the retries ran out) may
  // still have been committed by the server; its caller sends the same lines again (an engine's
  // BatchingStorage keeps a failed batch and adds to its end), so the lines at the head of
  // `lines` that the last failed write held get the keys they had then; the rest new ones.
  std::vector<i64> journal_keys(std::span<const JournalEntry> lines) {
    auto same = [](const JournalEntry& a, const JournalEntry& b) {
      return a.at == b.at && a.call_id == b.call_id && a.contact_id == b.contact_id &&
             a.campaign_id == b.campaign_id && a.kind == b.kind && a.detail == b.detail;
    };
    std::vector<i64> keys;
    keys.reserve(lines.size());
    std::lock_guard<std::mutex> lock(mutex_);
    while (keys.size() < lines.size() && keys.size() < unsettled_lines_.size() &&
           same(unsettled_lines_[keys.size()].first, lines[keys.size()])) {
      keys.push_back(unsettled_lines_[keys.size()].second);
    }
    while (keys.size() < lines.size()) keys.push_back(next_journal_seq_++);
    return keys;
  }
  // After a write of `lines` with `keys`: kept for journal_keys when it failed, else spent (the
  // lines kept of another thread's failed write stay).
  void settle_journal_keys(std::span<const JournalEntry> lines, const std::vector<i64>& keys,
                           bool written) {
    if (keys.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (written) {
      if (!unsettled_lines_.empty() && unsettled_lines_.front().second == keys.front()) {
        unsettled_lines_.clear();
      }
      return;
    }
    unsettled_lines_.clear();
    for (std::size_t i = 0; i < lines.size(); ++i) unsettled_lines_.emplace_back(lines[i], keys[i]);
  }

  static i64 random_writer() {
    std::random_device device;
    std::uint64_t v = (static_cast<std::uint64_t>(device()) << 32) ^ device();
    return static_cast<i64>(v >> 1);  // positive
  }

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  // Stores `chunk` with add_contacts_sql and sets each contact's id (an already stored contact's
  // id for those whose key was stored). Returns how many were new.
  std::size_t store_contacts(pqxx::transaction_base& tx, std::span<Contact> chunk) {
    ArrayLiteral campaign, list, external, priority, attributes, zone, status, attempts,
        not_connected, next_number, last_disposition, last_attempt_at, next_attempt_at,
        callback_agent, numbers;
    for (const Contact& c : chunk) {
      campaign.str(c.campaign_id);
      list.str(c.list_name);
      external.str(c.external_id);
      priority.num(c.priority);
      attributes.str(attributes_to_json(c.attributes));
      zone.str(c.time_zone);
      status.num(static_cast<int>(c.status));
      attempts.num(c.attempts);
      not_connected.num(c.not_connected);
      next_number.num(c.next_number);
      last_disposition.num(static_cast<int>(c.last_disposition));
      last_attempt_at.num(ms(c.last_attempt_at));
      next_attempt_at.num(ms(c.next_attempt_at));
      callback_agent.num(static_cast<i64>(c.callback_agent));
      numbers.str(numbers_to_text(c.numbers));
    }
    std::vector<bool> inserted(chunk.size(), false);
    for (const auto& row :
         tx.exec_prepared("add_contacts", options_.tenant, campaign.done(), list.done(),
                          external.done(), priority.done(), attributes.done(), zone.done(),
                          status.done(), attempts.done(), not_connected.done(), next_number.done(),
                          last_disposition.done(), last_attempt_at.done(), next_attempt_at.done(),
                          callback_agent.done(), numbers.done())) {
      const auto at = static_cast<std::size_t>(row[0].as<i64>() - 1);
      chunk[at].id = static_cast<ContactId>(row[1].as<i64>());
      inserted[at] = true;
    }
    std::size_t added = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if (inserted[i]) {
        ++added;
        continue;
      }
      const Contact& c = chunk[i];
      auto found = tx.exec_prepared1("find_contact", options_.tenant, c.campaign_id, c.list_name,
                                     c.external_id);
      chunk[i].id = static_cast<ContactId>(found[0].as<i64>());
    }
    return added;
  }

  // Runs `fn` in one transaction on a live connection and commits. On a lost connection (or a
  // deadlock/serialisation failure) the transaction is gone, so the whole of `fn` runs again on
  // a new connection after a backoff, until retry_total_ms has passed.
  //
  // Tx = pqxx::work: BEGIN .. COMMIT (operations of several statements, and those whose retry
  // after a lost answer would change their result: mark_event_processed, add_contact). Tx =
  // pqxx::nontransaction: one autocommitted statement, one round trip, for the idempotent
  // single-statement operations (see autocommit()).
  template <class Tx = pqxx::work, class Fn>
  auto run(const char* op, Fn&& fn) -> std::invoke_result_t<Fn&, pqxx::transaction_base&> {
    using Result = std::invoke_result_t<Fn&, pqxx::transaction_base&>;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto start = std::chrono::steady_clock::now();
    int retries = 0;
    int backoff_ms = std::max(1, options_.retry_initial_backoff_ms);
    for (;;) {
      std::string lost;
      try {
        if (!conn_) {
          conn_ = std::make_unique<pqxx::connection>(conninfo_);
          prepare_all();
        }
        Tx tx(*conn_);
        if constexpr (std::is_void_v<Result>) {
          fn(tx);
          tx.commit();
          if (retries > 0) log_recovered(op, retries, start);
          return;
        } else {
          Result r = fn(tx);
          tx.commit();
          if (retries > 0) log_recovered(op, retries, start);
          return r;
        }
      } catch (const Error&) {
        throw;
      } catch (const pqxx::in_doubt_error& e) {
        drop_connection();
        throw Error(
            ErrorCode::kStorage,
            std::string("postgres storage: ") + op +
                ": connection lost during commit, commit outcome unknown: " + trim(e.what()));
      } catch (const pqxx::broken_connection& e) {
        lost = trim(e.what());
      } catch (const pqxx::transaction_rollback& e) {
        lost = trim(e.what());  // deadlock / serialisation failure: retry the transaction
      } catch (const pqxx::sql_error& e) {
        if (!is_connection_state(e.sqlstate()) && conn_ && conn_->is_open()) {
          throw Error(ErrorCode::kStorage,
                      std::string("postgres storage: ") + op + ": " + trim(e.what()));
        }
        lost = trim(e.what());
      } catch (const std::exception& e) {
        if (conn_ && conn_->is_open()) {
          throw Error(ErrorCode::kStorage,
                      std::string("postgres storage: ") + op + ": " + trim(e.what()));
        }
        lost = trim(e.what());
      }
      // The connection (or the transaction) is gone: drop it and retry on a new one.
      drop_connection();
      auto elapsed = std::chrono::steady_clock::now() - start;
      auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
      if (elapsed_ms + backoff_ms > options_.retry_total_ms) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(elapsed_ms) / 1000.0);
        throw Error(ErrorCode::kStorage,
                    std::string("postgres storage: ") + op + ": connection lost, retried " +
                        std::to_string(retries) + " times over " + seconds + " s: " + lost);
      }
      if (logger_) {
        logger_->log_limited(LogLevel::kWarn, "connection lost",
                             std::string("postgres storage: ") + op + ": connection lost (" + lost +
                                 "); reconnecting in " + std::to_string(backoff_ms) +
                                 " ms (retry " + std::to_string(retries + 1) + ")");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, std::max(1, options_.retry_max_backoff_ms));
      ++retries;
    }
  }

  void log_recovered(const char* op, int retries, std::chrono::steady_clock::time_point start) {
    if (!logger_) return;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(ms) / 1000.0);
    logger_->log(LogLevel::kInfo, std::string("postgres storage: ") + op + ": reconnected after " +
                                      std::to_string(retries) + " retries over " + seconds + " s");
  }

  // One statement, autocommitted: atomic on its own, and safe to run again after a lost answer
  // (upserts, deletes, reads; claim_leases re-run by the same owner just renews its claims).
  template <class Fn>
  auto autocommit(const char* op, Fn&& fn) -> std::invoke_result_t<Fn&, pqxx::transaction_base&> {
    return run<pqxx::nontransaction>(op, std::forward<Fn>(fn));
  }

  void migrate(const std::string& where) {
    pqxx::work tx(*conn_);
    if (tx.exec("SELECT current_setting('transaction_read_only')")[0][0].as<std::string>() ==
        "on") {
      throw Error(ErrorCode::kStorage,
                  where +
                      ": the database is read-only (transaction_read_only is on: a hot "
                      "standby, or default_transaction_read_only set for the role or "
                      "database); Omnivox needs to write. Nothing was written.");
    }
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPostgresMigrationLock);
    bool has_table =
        tx.exec("SELECT to_regclass('omnivox_schema_migrations') IS NOT NULL")[0][0].as<bool>();
    int version = 0;
    if (has_table) {
      version = tx.exec("SELECT COALESCE(MAX(version), 0) FROM omnivox_schema_migrations")[0][0]
                    .as<int>();
    }
    if (version > kPostgresSchemaVersion) {
      throw Error(ErrorCode::kStorage, where + ": the database has schema version " +
                                           std::to_string(version) +
                                           ", newer than this build of Omnivox supports (" +
                                           std::to_string(kPostgresSchemaVersion) +
                                           "); upgrade Omnivox. Nothing was written.");
    }
    if (version < kPostgresSchemaVersion && !options_.migrate) {
      throw Error(ErrorCode::kStorage, where + ": the database has schema version " +
                                           std::to_string(version) + ", older than " +
                                           std::to_string(kPostgresSchemaVersion) +
                                           ", and migrations are disabled (migrate = false)");
    }
    if (!has_table) {
      tx.exec(
          "CREATE TABLE omnivox_schema_migrations (version integer PRIMARY KEY, description text "
          "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= version) continue;
      try {
        tx.exec(m.sql);
      } catch (const std::exception& e) {
        throw Error(ErrorCode::kStorage, where + ": migration to schema version " +
                                             std::to_string(m.version) +
                                             " failed: " + trim(e.what()));
      }
      tx.exec_params("INSERT INTO omnivox_schema_migrations (version, description) VALUES ($1, $2)",
                     m.version, std::string(m.description));
    }
    tx.exec_params("INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING", options_.tenant);
    tx.commit();
  }

  // Called on every notification on omnivox_dnc that reaches this connection.
  class DncListener final : public pqxx::notification_receiver {
   public:
    DncListener(pqxx::connection_base& c, bool& changed)
        : pqxx::notification_receiver(c, "omnivox_dnc"), changed_(changed) {}
    void operator()(const std::string&, int) override { changed_ = true; }

   private:
    bool& changed_;
  };

  // With mutex_ held (or before the object is shared). What this object kept of what the
  // server said is dropped with the connection: a notification may be lost with it.
  void drop_connection() {
    dnc_listener_.reset();
    conn_.reset();
    forget_dnc_answers_locked();
  }

  void prepare_all() {
    pqxx::connection& c = *conn_;
    forget_dnc_answers_locked();
    dnc_listener_ = std::make_unique<DncListener>(c, dnc_changed_);
    // Every statement here is short; a plan whose estimate passes jit_above_cost (the lease
    // question's, while the leases table holds many dead rows) would spend ~20 ms compiling.
    pqxx::nontransaction(c).exec("SET jit = off");
    const std::string cols = kContactColumns;
    const std::string acols = kAttemptColumns;
    c.prepare("put_campaign",
              "INSERT INTO campaigns (tenant_id, id, config) VALUES ($1, $2, $3) "
              "ON CONFLICT (tenant_id, id) DO UPDATE SET config = excluded.config");
    c.prepare("get_campaign", "SELECT config FROM campaigns WHERE tenant_id = $1 AND id = $2");
    c.prepare("campaign_ids", "SELECT id FROM campaigns WHERE tenant_id = $1 ORDER BY id");
    c.prepare("put_list",
              "INSERT INTO contact_lists (tenant_id, campaign_id, name, active, import_complete) "
              "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, campaign_id, name) DO UPDATE "
              "SET active = excluded.active, import_complete = excluded.import_complete");
    c.prepare("lists",
              "SELECT name, active, import_complete FROM contact_lists WHERE tenant_id = $1 AND "
              "campaign_id = $2 ORDER BY seq");
    c.prepare("find_contact",
              "SELECT contact_id FROM contact_keys WHERE tenant_id = $1 AND campaign_id = $2 AND "
              "list_name = $3 AND external_id = $4 AND external_id <> ''");  // the unique index
    c.prepare("add_contacts", add_contacts_sql());
    // campaign_id and list_order are fixed at load time (as in the other backends).
    c.prepare("update_contact",
              "UPDATE contacts SET list_name = $3, external_id = $4, priority = $5, "
              "time_zone = $6, status = $7, attempts = $8, not_connected = $9, "
              "next_number = $10, last_disposition = $11, last_attempt_at = $12, "
              "next_attempt_at = $13, callback_agent = $14, numbers = $15, defer_until = 0 "
              "WHERE id = $1 AND tenant_id = $2");
    c.prepare("put_attributes", put_attributes_sql("unnest($1::bigint[], $3::text[])", "$2"));
    c.prepare("put_contact_key",
              put_keys_sql("(VALUES ($1::bigint, $3::text, $4::text, $5::integer))", "$2"));
    c.prepare("get_contact",
              "SELECT " + cols + " FROM contacts c WHERE c.id = $1 AND c.tenant_id = $2");
    // Keyset pages: ($3, $4) / ($4, $5) is the key of the last row of the previous page.
    // In the dialing order of contact_keys_order (contact_keys holds each contact's priority and
    // load order as contacts does).
    c.prepare("scan_all",
              "SELECT " + cols +
                  " FROM contact_keys k JOIN contacts c ON c.id = k.contact_id "
                  "WHERE k.tenant_id = $1 AND k.campaign_id = $2 "
                  "AND (-(k.priority::bigint), k.list_order) > ($3::bigint, $4::bigint) "
                  "ORDER BY -(k.priority::bigint), k.list_order LIMIT $5");
    c.prepare(
        "scan_callbacks",
        "SELECT " + cols +
            " FROM contacts c WHERE c.tenant_id = $1 AND c.campaign_id = $2 AND c.status = 2 "
            "AND c.next_attempt_at <= $3 AND (c.next_attempt_at, c.id) > ($4::bigint, $5::bigint) "
            "ORDER BY c.next_attempt_at, c.id LIMIT $6");
    // The dialable contacts without a deferral in dialing order (contacts_ready_now) merged
    // with the deferred ones (contacts_deferred, sorted: a deferral is a hint, this scan
    // ignores it).
    const std::string dialable_page =
        "c.tenant_id = $1 AND c.campaign_id = $2 AND c.status IN (0, 1) "
        "AND c.next_attempt_at <= $3 "
        "AND (-(c.priority::bigint), c.list_order) > ($4::bigint, $5::bigint) "
        "ORDER BY -(c.priority::bigint), c.list_order LIMIT $6";
    const std::string dialable_keys =
        "SELECT c.id, -(c.priority::bigint) AS k1, "
        "c.list_order AS k2 FROM contacts c WHERE ";
    c.prepare("scan_ready", "SELECT " + cols + " FROM ((" + dialable_keys +
                                "c.defer_until = 0 AND " + dialable_page + ") UNION ALL (" +
                                dialable_keys + "c.defer_until > 0 AND " + dialable_page +
                                ")) k JOIN contacts c ON c.id = k.id ORDER BY k.k1, k.k2 LIMIT $6");
    // status_counts: kept by the triggers on contacts (schema version 4).
    c.prepare("contact_count",
              "SELECT COALESCE(sum(n), 0)::bigint FROM status_counts WHERE tenant_id = $1 "
              "AND campaign_id = $2");
    c.prepare("count_by_status",
              "SELECT status, sum(n)::bigint FROM status_counts WHERE tenant_id = $1 "
              "AND campaign_id = $2 GROUP BY status");
    // By primary key alone, as the claims are (the tenant checked per row).
    c.prepare("get_contacts", "SELECT " + cols +
                                  " FROM contacts c WHERE c.id = ANY ($1::bigint[]) "
                                  "AND c.tenant_id IS NOT DISTINCT FROM $2");
    // A scan_contact_views page: $3 due by, $4 leases live at, ($5, $6) the previous page's
    // key, $7 rows; the ready contacts' $8 and $9: see below. Columns 11, 12: the page key; 13:
    // the row version (xmin).
    const std::string view_cols =
        "c.id, c.status, c.priority, c.attempts, c.next_number, c.last_disposition, "
        "c.last_attempt_at, c.next_attempt_at, c.callback_agent, c.time_zone, c.numbers, ";
    const std::string not_leased =
        " AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.contact_id = c.id AND l.expiry > $4)";
    c.prepare("views_scheduled",
              "SELECT " + view_cols +
                  "c.next_attempt_at, c.id, c.xmin::text::bigint FROM contacts c "
                  "WHERE c.tenant_id = $1 AND c.campaign_id = $2 AND c.status IN (1, 2) "
                  "AND c.next_attempt_at > $3 AND (c.next_attempt_at, c.id) > ($4::bigint, "
                  "$5::bigint) ORDER BY c.next_attempt_at, c.id LIMIT $6");
    const std::string callbacks_from =
        "c.next_attempt_at, c.id, c.xmin::text::bigint FROM contacts c "
        "WHERE c.tenant_id = $1 AND c.campaign_id = $2 AND c.status = 2 AND c.next_attempt_at "
        "<= $3" +
        not_leased +
        " AND (c.next_attempt_at, c.id) > ($5::bigint, $6::bigint) "
        "ORDER BY c.next_attempt_at, c.id LIMIT $7";
    c.prepare("views_callbacks", "SELECT " + view_cols + callbacks_from);
    // The ready contacts: those without a deferral (their own index, contacts_ready_now), those
    // whose deferral has passed (contacts_deferred_order, in dialing order, the time checked in
    // the index), and those deferred until a time in one of the ranges ($8[i], $9[i]) after $3 —
    // every later time but the ones this object deferred contacts to and so wakes at — merged in
    // dialing order. The last are looked up by range in contacts_deferred (OFFSET 0 keeps the
    // planner from walking the dialing order through all of them instead) and sorted: with one
    // engine, none. A row of the first two kinds is read whole where the index finds it: joined
    // back to contacts by id after the page was chosen, each row cost three more buffers (the
    // primary key's walk and the heap again).
    const std::string ready_from =
        " c.tenant_id = $1 AND c.campaign_id = $2 AND c.status IN (0, 1) "
        "AND c.next_attempt_at <= $3 ";
    const std::string ready_rest = "c.xmin::text::bigint FROM ";
    const std::string ready_page =
        " AND (-(c.priority::bigint), c.list_order) > ($5::bigint, $6::bigint) "
        "ORDER BY -(c.priority::bigint), c.list_order LIMIT $7) UNION ALL (SELECT ";
    c.prepare(
        "views_ready",
        "WITH d AS MATERIALIZED (SELECT x.* FROM unnest($8::bigint[], $9::bigint[]) AS g(lo, hi) "
        "CROSS JOIN LATERAL (SELECT c.id, -(c.priority::bigint) AS k1, c.list_order AS k2 "
        "FROM contacts c WHERE c.defer_until > 0 AND c.defer_until > g.lo AND c.defer_until < "
        "g.hi AND" +
            ready_from + "OFFSET 0) x) SELECT * FROM ((SELECT " + view_cols +
            "-(c.priority::bigint) AS k1, c.list_order AS k2, " + ready_rest +
            "contacts c WHERE c.defer_until = 0 AND" + ready_from + not_leased + ready_page +
            view_cols + "-(c.priority::bigint) AS k1, c.list_order AS k2, " + ready_rest +
            "contacts c WHERE c.defer_until > 0 AND c.defer_until <= $3 AND" + ready_from +
            not_leased + ready_page + view_cols + "e.k1, e.k2, " + ready_rest +
            "(SELECT d.id, d.k1, d.k2 FROM d WHERE NOT EXISTS (SELECT 1 FROM leases l WHERE "
            "l.contact_id = d.id AND l.expiry > $4) AND (d.k1, d.k2) > ($5::bigint, $6::bigint) "
            "ORDER BY 2, 3 LIMIT $7) e JOIN contacts c ON c.id = e.id)) v "
            "ORDER BY 12, 13 LIMIT $7");
    // Rows locked one by one in the order of $3 (sorted), looked up by id, those another
    // transaction holds skipped (a hint), and those written since the refill read them
    // (another row version than $5's) left alone: the deferral was judged on what the write
    // replaced. The other conditions are checked per row in a form no index serves: as plain
    // equalities, when the statistics said few contacts were ready (late in a campaign), the
    // planner looked each id up by walking contacts_ready (0.1 s to 0.3 s a statement).
    c.prepare("defer_contacts",
              "UPDATE contacts c SET defer_until = $4 FROM (SELECT x.id FROM "
              "unnest($3::bigint[], $5::bigint[]) AS d(id, v) CROSS JOIN LATERAL (SELECT k.id "
              "FROM contacts k WHERE k.id = d.id AND (k.tenant_id, k.campaign_id, k.status IN "
              "(0, 1), k.xmin::text::bigint) IS NOT DISTINCT FROM ($1, $2, true, d.v) "
              "FOR NO KEY UPDATE SKIP LOCKED) x) k WHERE c.id = k.id");
    // The whole batch in one statement. Contacts of other tenants and unknown ids are not in
    // the SELECT; rows are locked in id order so concurrent batches cannot deadlock. A contact
    // another engine is claiming or updating at this moment is skipped (SKIP LOCKED), not
    // waited for: its claim would fail or it would be taken twice over, and engines walking
    // the same dialing order then share it instead of queueing behind each other. A live lease
    // of another owner fails the WHERE, so its id is not RETURNed.
    // An expired lease of another owner whose contact has an open attempt (a dead engine's
    // call) is taken over only by claim_leases_to_reconcile, which closes that attempt.
    // The contacts are found through the primary key alone, the tenant checked on each row in
    // a form no index serves: on a campaign loaded since the last ANALYZE the planner took the
    // tenant for rare and ANDed the key with an index led by the tenant, reading an entry for
    // every contact of the tenant (3.7 ms instead of 0.9 ms to claim and release 100 of 45,211).
    const std::string claim_sql =
        "WITH c AS (SELECT id, tenant_id FROM contacts WHERE id = ANY ($4::bigint[]) "
        "AND tenant_id IS NOT DISTINCT FROM $1 ORDER BY id FOR NO KEY UPDATE SKIP LOCKED) "
        "INSERT INTO leases AS l (contact_id, tenant_id, owner, expiry) "
        "SELECT c.id, c.tenant_id, $2, $3 FROM c ORDER BY c.id "
        "ON CONFLICT (contact_id) DO UPDATE SET owner = excluded.owner, "
        "expiry = excluded.expiry WHERE l.owner = excluded.owner OR (l.expiry <= $5";
    c.prepare("claim_leases", claim_sql +
                                  " AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.tenant_id = "
                                  "l.tenant_id AND a.contact_id = l.contact_id AND a.disposition "
                                  "= 0)) RETURNING l.contact_id, l.xmax = 0");
    c.prepare("claim_leases_to_reconcile", claim_sql + ") RETURNING l.contact_id, l.xmax = 0");
    c.prepare("renew_lease",
              "UPDATE leases SET expiry = $1 WHERE contact_id = $2 AND owner = $3 "
              "AND tenant_id = $4");
    c.prepare("release_lease",
              "DELETE FROM leases WHERE contact_id = $1 AND owner = $2 AND tenant_id = $3");
    c.prepare("get_lease",
              "SELECT owner, expiry FROM leases WHERE contact_id = $1 AND tenant_id = $2");
    // The owners holding leases, one index step each (never reading the asker's leases), then
    // for each other owner its leases from the earliest live one until one on the campaign.
    // The campaign is a subquery per lease by the contact's id alone (a lease of this tenant is
    // on a contact of this tenant), so no plan walks the campaign's or tenant's contacts.
    c.prepare("earliest_lease_expiry",
              "WITH RECURSIVE o(owner) AS (SELECT min(owner) FROM leases WHERE tenant_id = $4 "
              "UNION ALL SELECT (SELECT min(n.owner) FROM leases n WHERE n.tenant_id = $4 "
              "AND n.owner > o.owner) FROM o WHERE o.owner IS NOT NULL) "
              "SELECT min(x.expiry) FROM o CROSS JOIN LATERAL (SELECT l.expiry FROM leases l "
              "WHERE l.tenant_id = $4 AND l.owner = o.owner AND l.expiry > $3 AND (SELECT "
              "c.campaign_id FROM contacts c WHERE c.id = l.contact_id) = $1 ORDER BY l.expiry "
              "LIMIT 1) x WHERE o.owner <> $2");
    c.prepare("release_leases", release_leases_sql("$1", "$2", "$3"));
    c.prepare("allocate_call_ids",
              "SELECT nextval('omnivox_call_id_seq') FROM generate_series(1, $1)");
    // A write batch in one statement: $1 tenant; the batch's rows as arrays, one per column:
    // attempts $2..$19, contacts $20..$34 ($34: their numbers as numbers_to_text writes them;
    // $24, their attributes, NULL where the writer holds them and the key as stored: both are
    // then left alone), journal lines $35..$41 ($41: the writer's sequence, $42 the writer); $43
    // contact ids whose leases $44 releases; $45 how many contacts. The CTEs touch disjoint rows
    // (a contact's attributes and its key are left alone when unchanged); the final SELECT fails
    // the statement, and so the whole batch, when a contact is unknown. Journal lines get their
    // sequence numbers in the batch's order, and a line whose key is stored already (the same batch
    // run again) is not added.
    c.prepare(
        "write_batch",
        "WITH a AS (INSERT INTO attempts AS a (call_id, tenant_id, contact_id, campaign_id, "
        "number, number_index, attempt_number, caller_id, provider_call_id, state, fail_reason, "
        "amd, disposition, agent, created_at, answered_at, bridged_at, ended_at, provider_code) "
        "SELECT r.call_id, $1, r.contact_id, r.campaign_id, r.number, r.number_index, "
        "r.attempt_number, r.caller_id, r.provider_call_id, r.state, r.fail_reason, r.amd, "
        "r.disposition, r.agent, r.created_at, r.answered_at, r.bridged_at, r.ended_at, "
        "r.provider_code FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], "
        "$6::integer[], $7::integer[], $8::text[], $9::text[], $10::smallint[], $11::smallint[], "
        "$12::smallint[], $13::smallint[], $14::bigint[], $15::bigint[], $16::bigint[], "
        "$17::bigint[], $18::bigint[], $19::integer[]) AS r(call_id, contact_id, campaign_id, "
        "number, number_index, attempt_number, caller_id, provider_call_id, state, fail_reason, "
        "amd, disposition, agent, created_at, answered_at, bridged_at, ended_at, provider_code) "
        "" OMNIVOX_SQL_ATTEMPT_UPSERT
        "WHERE a.tenant_id = excluded.tenant_id), "
        "r AS (SELECT * FROM unnest($20::bigint[], $21::text[], $22::text[], $23::integer[], "
        "$24::text[], $25::text[], $26::smallint[], $27::integer[], $28::integer[], "
        "$29::integer[], $30::smallint[], $31::bigint[], $32::bigint[], $33::bigint[], "
        "$34::text[]) AS r(id, list_name, external_id, priority, attributes, time_zone, "
        "status, attempts, not_connected, next_number, last_disposition, last_attempt_at, "
        "next_attempt_at, callback_agent, numbers)), "
        "u AS (UPDATE contacts c SET list_name = r.list_name, external_id = r.external_id, "
        "priority = r.priority, time_zone = r.time_zone, "
        "status = r.status, attempts = r.attempts, not_connected = r.not_connected, "
        "next_number = r.next_number, last_disposition = r.last_disposition, "
        "last_attempt_at = r.last_attempt_at, next_attempt_at = r.next_attempt_at, "
        "callback_agent = r.callback_agent, numbers = r.numbers, defer_until = 0 FROM r "
        "WHERE c.id = r.id "
        "AND c.tenant_id = $1 "
        "RETURNING c.id), "
        "j AS (INSERT INTO journal (tenant_id, campaign_id, at, call_id, contact_id, kind, "
        "detail, writer, writer_seq) SELECT $1, e.campaign_id, e.at, e.call_id, e.contact_id, "
        "e.kind, e.detail, $42, e.seq FROM unnest($35::text[], $36::bigint[], $37::bigint[], "
        "$38::bigint[], $39::text[], $40::text[], $41::bigint[]) WITH ORDINALITY AS "
        "e(campaign_id, at, call_id, contact_id, kind, detail, seq, ord) ORDER BY e.ord "
        "ON CONFLICT (writer, writer_seq) DO NOTHING), "
        "t AS (" +
            put_attributes_sql(
                "(SELECT r.id, r.attributes FROM r WHERE r.attributes IS NOT NULL AND r.id IN "
                "(SELECT id FROM u))",
                "$1") +
            "), ck AS (" +
            put_keys_sql("(SELECT r.id, r.list_name, r.external_id, r.priority FROM r WHERE "
                         "r.attributes IS NOT NULL AND r.id IN (SELECT id FROM u))",
                         "$1") +
            "), d AS (" + release_leases_sql("$43", "$44", "$1") +
            ") "
            "SELECT CASE WHEN (SELECT count(*) FROM u) = $45 THEN 0 ELSE "
            "('" +
            std::string(kUnknownContact) +
            "' || (SELECT min(r.id) FROM r WHERE r.id NOT IN (SELECT id FROM u)))::bigint END");
    // An attempt row of another tenant with the same call id is never overwritten (call ids
    // come from one sequence, so that only happens with forged ids).
    c.prepare("put_attempt",
              "INSERT INTO attempts AS a (call_id, tenant_id, contact_id, campaign_id, number, "
              "number_index, attempt_number, caller_id, provider_call_id, state, fail_reason, "
              "amd, disposition, agent, created_at, answered_at, bridged_at, ended_at, "
              "provider_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
              "$14, $15, $16, $17, $18, $19) " OMNIVOX_SQL_ATTEMPT_UPSERT
              "WHERE a.tenant_id = excluded.tenant_id");
    c.prepare("attempts_of", "SELECT " + acols +
                                 " FROM attempts WHERE tenant_id = $1 AND contact_id = $2 "
                                 "ORDER BY call_id");
    c.prepare("scan_attempts", "SELECT " + acols +
                                   " FROM attempts WHERE tenant_id = $1 AND campaign_id = $2 "
                                   "AND call_id > $3 ORDER BY call_id LIMIT $4");
    // Served by the partial index attempts_open.
    c.prepare("scan_open_attempts", "SELECT " + acols +
                                        " FROM attempts WHERE tenant_id = $1 AND campaign_id = $2 "
                                        "AND disposition = 0 AND call_id > $3 "
                                        "ORDER BY call_id LIMIT $4");
    c.prepare("add_dnc",
              "INSERT INTO dnc (tenant_id, list, e164) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
    c.prepare("remove_dnc", "DELETE FROM dnc WHERE tenant_id = $1 AND list = $2 AND e164 = $3");
    c.prepare("dnc_lists", "SELECT list, e164 FROM dnc WHERE tenant_id = $1 LIMIT $2");
    c.prepare("is_dnc",
              "SELECT 1 FROM dnc WHERE tenant_id = $1 AND e164 = $2 AND list IN ('global', $3) "
              "LIMIT 1");
    c.prepare("dnc_among",
              "SELECT DISTINCT e164 FROM dnc WHERE tenant_id = $1 AND e164 = ANY ($2::text[]) "
              "AND list IN ('global', $3)");
    c.prepare("append_journal",
              "INSERT INTO journal (tenant_id, campaign_id, at, call_id, contact_id, kind, detail, "
              "writer, writer_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
              "ON CONFLICT (writer, writer_seq) DO NOTHING");
    c.prepare("scan_journal",
              "SELECT seq, at, call_id, contact_id, kind, detail FROM journal "
              "WHERE tenant_id = $1 AND campaign_id = $2 AND seq > $3 ORDER BY seq LIMIT $4");
    c.prepare("put_abandon_counts",
              "INSERT INTO abandon_counts (tenant_id, campaign_id, minute, owner, live_answers, "
              "abandons, machines) SELECT $1, $2, m, $3, l, a, x FROM unnest($4::bigint[], "
              "$5::bigint[], $6::bigint[], $7::bigint[]) AS b(m, l, a, x) "
              "ON CONFLICT (tenant_id, campaign_id, minute, owner) DO UPDATE SET "
              "live_answers = excluded.live_answers, abandons = excluded.abandons, "
              "machines = excluded.machines");
    c.prepare("abandon_counts",
              "SELECT COALESCE(SUM(live_answers), 0)::bigint, COALESCE(SUM(abandons), 0)::bigint, "
              "COALESCE(SUM(machines), 0)::bigint, count(DISTINCT owner) FROM abandon_counts "
              "WHERE tenant_id = $1 AND "
              "campaign_id = $2 AND minute >= $3 AND minute < $4");
    c.prepare("mark_processed",
              "INSERT INTO processed_events (tenant_id, key) VALUES ($1, $2) "
              "ON CONFLICT DO NOTHING");
  }

  void scan_attempts_with(const char* stmt, std::string_view campaign_id,
                          const std::function<bool(const Attempt&)>& visit) {
    std::string id(campaign_id);
    i64 after = 0;
    const i64 page = options_.scan_page_size;
    for (;;) {
      std::vector<Attempt> rows = autocommit(stmt, [&](pqxx::transaction_base& tx) {
        std::vector<Attempt> out;
        for (const auto& row : tx.exec_prepared(stmt, options_.tenant, id, after, page)) {
          out.push_back(read_attempt(row));
        }
        return out;
      });
      for (const Attempt& a : rows) {
        if (!visit(a)) return;
      }
      if (static_cast<i64>(rows.size()) < page) return;
      after = static_cast<i64>(rows.back().call_id);
    }
  }

  static Contact read_contact(const pqxx::row& r) {
    Contact c;
    c.id = static_cast<ContactId>(r[0].as<i64>());
    c.campaign_id = r[1].as<std::string>();
    c.list_name = r[2].as<std::string>();
    c.external_id = r[3].as<std::string>();
    c.priority = r[4].as<std::int32_t>();
    c.list_order = static_cast<std::uint64_t>(r[5].as<i64>());
    try {
      numbers_from_text(std::string_view(r[6].c_str(), r[6].size()), c.numbers);
      c.attributes = attributes_from_json(r[7].c_str());
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kStorage, "postgres storage: contact " + std::to_string(c.id) +
                                           ": bad stored numbers/attributes: " + e.what());
    }
    c.time_zone = r[8].as<std::string>();
    c.status = static_cast<ContactStatus>(r[9].as<int>());
    c.attempts = static_cast<std::uint16_t>(r[10].as<int>());
    c.not_connected = static_cast<std::uint16_t>(r[11].as<int>());
    c.next_number = static_cast<std::uint16_t>(r[12].as<int>());
    c.last_disposition = static_cast<Disposition>(r[13].as<int>());
    c.last_attempt_at = tp(r[14].as<i64>());
    c.next_attempt_at = tp(r[15].as<i64>());
    c.callback_agent = static_cast<AgentId>(r[16].as<i64>());
    return c;
  }
  static Attempt read_attempt(const pqxx::row& r) {
    Attempt a;
    a.call_id = static_cast<CallId>(r[0].as<i64>());
    a.contact_id = static_cast<ContactId>(r[1].as<i64>());
    a.campaign_id = r[2].as<std::string>();
    a.number = r[3].as<std::string>();
    a.number_index = static_cast<std::uint16_t>(r[4].as<int>());
    a.attempt_number = static_cast<std::uint16_t>(r[5].as<int>());
    a.caller_id = r[6].as<std::string>();
    a.provider_call_id = r[7].as<std::string>();
    a.state = static_cast<CallState>(r[8].as<int>());
    a.fail_reason = static_cast<FailReason>(r[9].as<int>());
    a.amd = static_cast<AmdResult>(r[10].as<int>());
    a.disposition = static_cast<Disposition>(r[11].as<int>());
    a.agent = static_cast<AgentId>(r[12].as<i64>());
    a.created_at = tp(r[13].as<i64>());
    a.answered_at = tp(r[14].as<i64>());
    a.bridged_at = tp(r[15].as<i64>());
    a.ended_at = tp(r[16].as<i64>());
    a.provider_code = r[17].as<int>();
    a.direction = direction_of(a.call_id);
    return a;
  }

  const std::string conninfo_;
  const std::string masked_;
  PostgresStorageOptions options_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> conn_;
  // After conn_: destroyed before it.
  std::unique_ptr<DncListener> dnc_listener_;
  std::unique_ptr<Logger> logger_;
  // Per campaign: the times this object deferred contacts to, not yet passed (it wakes at
  // them, so its scans may leave out every contact deferred to one of them, whoever deferred
  // it).
  std::unordered_map<std::string, std::set<i64>> deferred_until_;
  // The defer_contacts hints, contact -> until (ms), kept here first: the campaign's next scan
  // before their time stores those its last scan judged (and a scan that meets one leaves it
  // out and stores it) in the database (a row update: worth it only for the contacts scans
  // keep meeting, such as those of another time zone while the campaign's is open; when the
  // whole campaign's window closes, the engine sleeps until it opens and stores nothing).
  std::unordered_map<ContactId, Deferral> held_back_;
  // Per campaign: the deferrals its last scan judged, stored by its next scan (see
  // deferrals_to_store).
  std::unordered_map<std::string, std::vector<Deferral>> to_store_;
  // Per campaign: the rows its last ready scan that the visitor stopped read up to the stop,
  // less those it deferred (first_ready_page).
  std::unordered_map<std::string, std::size_t> ready_rows_wanted_;
  // The key of this object's journal lines: (writer_, a sequence number from
  // next_journal_seq_), random per object so that two objects never share one.
  const i64 writer_ = random_writer();
  i64 next_journal_seq_ = 1;
  // The lines of the last write that failed, with their keys (see journal_keys).
  std::vector<std::pair<JournalEntry, i64>> unsettled_lines_;
  // is_dnc's answers by campaign and number (dnc_key), kept until a DNC list changes.
  std::unordered_map<std::string, bool> dnc_cache_;
  // The tenant's DNC lists, number -> the lists it is on, while dnc_lists_ is kHeldWhole (until
  // a DNC list changes).
  enum class DncLists { kUnread, kHeldWhole, kTooLong };
  DncLists dnc_lists_ = DncLists::kUnread;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<std::string, std::vector<std::string>, StringHash, std::equal_to<>>
      dnc_lists_by_number_;
  bool dnc_changed_ = false;
  std::unordered_map<ContactId, ClaimedContact> claimed_;
  std::unordered_map<ContactId, KeyAndAttributes> as_stored_;
  // Call ids drawn from the sequence and not handed out yet, in order.
  std::deque<CallId> call_ids_;
  static constexpr std::size_t kCallIdsDrawn = 1024;
};

}  // namespace

std::unique_ptr<Storage> make_postgres_storage(const std::string& conninfo,
                                               const PostgresStorageOptions& options) {
  return std::make_unique<PostgresStorage>(conninfo, options);
}

}  // namespace omnivox
