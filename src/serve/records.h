// Call records as JSON: one object per attempt, the same in `omnivox run`'s calls.jsonl and in
// the API's call pages. Times are ISO 8601 UTC, null when the moment did not happen.
#ifndef OMNIVOX_SERVE_RECORDS_H_
#define OMNIVOX_SERVE_RECORDS_H_

#include <boost/json.hpp>
#include <string>

#include "omnivox/model.h"

namespace omnivox::serve {

/// The attempt's fields; with `external_id`, the host's id of its contact too. The object and its
/// strings are allocated from `storage` (a monotonic resource makes a record cost no heap call).
boost::json::object attempt_json(const Attempt& a, const std::string* external_id = nullptr,
                                 boost::json::storage_ptr storage = {});

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_RECORDS_H_
