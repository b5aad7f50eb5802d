// Fuzz target: campaign files (omnivox/config.h, parsed with Boost.JSON).
//
// Input: the campaign JSON text. config.h promises Error(kConfig) naming the field for anything
// bad; any other exception (std::out_of_range, boost::system::system_error, ...) is a bug.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "fuzz_check.h"
#include "omnivox/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)omnivox::parse_campaign_json(text, "/nonexistent-fuzz-dir", "fuzz.json");
  } catch (const omnivox::Error& e) {
    FUZZ_CHECK(e.code() == omnivox::ErrorCode::kConfig);
  } catch (const std::exception& e) {
    FUZZ_UNEXPECTED_EXCEPTION(e.what());
  }
  return 0;
}
