// The engine's types in plain forms: see plain_forms.h.
#include "bindings_support/plain_forms.h"

#include <string>

namespace omnivox::bindings_support {

void throw_out_of_range(std::string_view what, long long value, ErrorCode code) {
  throw Error(code, std::string(what) + " (" + std::to_string(value) + ") is out of range");
}

}  // namespace omnivox::bindings_support
