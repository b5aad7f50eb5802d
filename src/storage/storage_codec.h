// Encodings of the value types the persistent backends store as text (campaign configuration,
// phone numbers, contact attributes). Internal to libomnivox; shared by the SQLite
// and PostgreSQL backends so both store the same documents.
#ifndef OMNIVOX_STORAGE_STORAGE_CODEC_H_
#define OMNIVOX_STORAGE_STORAGE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "omnivox/model.h"
#include "omnivox/storage.h"
#include "omnivox/types.h"

// The SQL (the same in SQLite and PostgreSQL) that makes a contact unique by (tenant, campaign,
// list, non-empty external id), part of both backends' migrations: duplicates an earlier schema
// let in are dropped where they were never dialled (the first copy stays); dialled duplicates
// make the unique index fail, and with it the migration, so nothing is written. A macro, so that
// each backend's migration is one string literal.
#define OMNIVOX_SQL_UNIQUE_CONTACT_KEY                                                      \
  "CREATE TEMP TABLE duplicate_contacts AS SELECT c.id FROM contacts c\n"                   \
  "WHERE c.id NOT IN (SELECT MIN(id) FROM contacts WHERE external_id <> ''\n"               \
  "                   GROUP BY tenant_id, campaign_id, list_name, external_id)\n"           \
  "  AND c.external_id <> ''\n"                                                             \
  "  AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.contact_id = c.id);\n"                \
  "DELETE FROM leases WHERE contact_id IN (SELECT id FROM duplicate_contacts);\n"           \
  "DELETE FROM contacts WHERE id IN (SELECT id FROM duplicate_contacts);\n"                 \
  "DROP TABLE duplicate_contacts;\n"                                                        \
  "CREATE UNIQUE INDEX contacts_external ON contacts (tenant_id, campaign_id, list_name,\n" \
  "  external_id) WHERE external_id <> '';\n"

// The SET list of an attempt upsert (the same in SQLite and PostgreSQL): every column but the
// call id and the tenant takes the new row's value. A macro, so that each statement stays one
// string literal.
#define OMNIVOX_SQL_ATTEMPT_UPSERT                                             \
  "ON CONFLICT (call_id) DO UPDATE SET "                                       \
  "contact_id = excluded.contact_id, campaign_id = excluded.campaign_id, "     \
  "number = excluded.number, number_index = excluded.number_index, "           \
  "attempt_number = excluded.attempt_number, caller_id = excluded.caller_id, " \
  "provider_call_id = excluded.provider_call_id, state = excluded.state, "     \
  "fail_reason = excluded.fail_reason, amd = excluded.amd, "                   \
  "disposition = excluded.disposition, agent = excluded.agent, "               \
  "created_at = excluded.created_at, answered_at = excluded.answered_at, "     \
  "bridged_at = excluded.bridged_at, ended_at = excluded.ended_at, "           \
  "provider_code = excluded.provider_code "

namespace omnivox::storage_codec {

inline std::int64_t ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint tp(std::int64_t v) { return TimePoint(Duration(v)); }

/// The whole campaign configuration as one JSON object in the campaign file's schema
/// (storage/campaign_json.h). campaign_from_json also reads the form stored before (integer
/// enums, durations in ms). Throws Error(kConfig) naming the field, or std::exception on JSON
/// that is not an object.
std::string campaign_to_json(const CampaignConfig& c);
CampaignConfig campaign_from_json(std::string_view text);
/// Phone numbers as a JSON array of objects {e164, zone_set, attempts, last_disposition,
/// invalid, last_abandon_at, last_machine_at} (times in ms since the Unix epoch).
std::string numbers_to_json(const std::vector<PhoneNumber>& numbers);
std::vector<PhoneNumber> numbers_from_json(std::string_view text);
/// Phone numbers as one compact text (SQLite from schema version 8): per number, in order,
/// "zone_set,attempts,last_disposition,invalid,last_abandon_at,last_machine_at,N:" then the N
/// bytes of its e164 (so any e164 reads back as written); no numbers is the empty text. Times
/// in ms since the Unix epoch, invalid 0 or 1. numbers_to_text replaces `out`;
/// numbers_from_text replaces `out` (reusing its numbers' strings) and throws
/// std::invalid_argument, naming the byte, on text it would not write.
void numbers_to_text(const std::vector<PhoneNumber>& numbers, std::string& out);
std::string numbers_to_text(const std::vector<PhoneNumber>& numbers);
void numbers_from_text(std::string_view text, std::vector<PhoneNumber>& out);
/// Attributes as a JSON array of [key, value] pairs (order and duplicates kept).
std::string attributes_to_json(const std::vector<std::pair<std::string, std::string>>& attrs);
std::vector<std::pair<std::string, std::string>> attributes_from_json(std::string_view text);
/// Attributes as one compact text (SQLite from schema version 9): per pair, in order (duplicates
/// kept), "K:" then the K bytes of its key, then "V:" and the V bytes of its value (so any bytes
/// read back as written); no attributes is the empty text. attributes_to_text replaces `out`;
/// attributes_from_text replaces `out` (reusing its strings) and throws std::invalid_argument,
/// naming the byte, on text it would not write.
void attributes_to_text(const std::vector<std::pair<std::string, std::string>>& attrs,
                        std::string& out);
std::string attributes_to_text(const std::vector<std::pair<std::string, std::string>>& attrs);
void attributes_from_text(std::string_view text,
                          std::vector<std::pair<std::string, std::string>>& out);

}  // namespace omnivox::storage_codec

#endif  // OMNIVOX_STORAGE_STORAGE_CODEC_H_
