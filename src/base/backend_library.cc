#include "base/backend_library.h"

#include <dlfcn.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "omnivox/version.h"

namespace omnivox::backend_library {
namespace {

// dlerror()'s message, or `fallback` when it has none.
std::string last_dl_error(const std::string& fallback) {
  const char* e = dlerror();
  return e != nullptr ? std::string(e) : fallback;
}

}  // namespace

Found find_entry_point(const char* file_name, const char* entry_point, const void* beside,
                       const char* hint) {
  Found found;
  // Linked by the host, or loaded into the global scope.
  if (void* symbol = dlsym(RTLD_DEFAULT, entry_point); symbol != nullptr) {
    found.symbol = symbol;
    found.where = file_name;
    return found;
  }
  // Loaded privately (a Python module and its libraries are RTLD_LOCAL): found by its SONAME.
  if (void* handle = dlopen(file_name, RTLD_NOW | RTLD_NOLOAD); handle != nullptr) {
    found.symbol = dlsym(handle, entry_point);
    found.where = file_name;
    if (found.symbol == nullptr) found.error = found.where + ": " + last_dl_error("no entry point");
    return found;
  }
  std::vector<std::string> candidates;
  Dl_info info{};
  if (beside != nullptr && dladdr(beside, &info) != 0 && info.dli_fname != nullptr) {
    candidates.push_back(
        (std::filesystem::path(info.dli_fname).parent_path() / file_name).string());
  }
  candidates.push_back(file_name);  // the dynamic loader's search path
  std::string tried;
  for (const std::string& candidate : candidates) {
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      tried += (tried.empty() ? "" : "; ") + last_dl_error(candidate);
      continue;
    }
    found.where = candidate;
    found.symbol = dlsym(handle, entry_point);
    if (found.symbol == nullptr) found.error = candidate + ": " + last_dl_error("no entry point");
    return found;
  }
  found.error =
      std::string("the backend library ") + file_name + " was not found (" + hint + "): " + tried;
  return found;
}

std::string version_mismatch(const std::string& where, int abi, const char* version,
                             int expected_abi) {
  if (abi == expected_abi && std::strcmp(version, OMNIVOX_VERSION_STRING) == 0) return {};
  return where + " is Omnivox " + version + " (backend interface " + std::to_string(abi) +
         "), this library is " OMNIVOX_VERSION_STRING " (interface " +
         std::to_string(expected_abi) + "): install the matching version";
}

}  // namespace omnivox::backend_library
