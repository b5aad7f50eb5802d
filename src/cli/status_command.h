// `omnivox status`: each campaign's progress in a Storage — contacts total, final, retryable,
// new, in flight, attempts, dispositions — and why contacts are not dialable now (the queue
// generator's census). Text for people, or one JSON object (--json) for scripts.
#ifndef OMNIVOX_CLI_STATUS_COMMAND_H_
#define OMNIVOX_CLI_STATUS_COMMAND_H_

#include <string>
#include <vector>

namespace omnivox::cli {

struct StatusArgs {
  std::string storage_url;
  std::string tenant = "default";
  std::vector<std::string> campaigns;  ///< empty: every campaign the storage lists
  bool json = false;
};

/// Prints the status; returns the process exit code. Throws omnivox::Error for a bad storage URL
/// or a SQLite file that does not exist (kConfig; nothing is created), an unreachable storage
/// (kStorage) or an unknown campaign (kNotFound).
int status_command(const StatusArgs& args);

}  // namespace omnivox::cli

#endif  // OMNIVOX_CLI_STATUS_COMMAND_H_
