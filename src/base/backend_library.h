// Finding a backend that lives in a library of its own (docs/architecture.md, "Libraries"): the
// PostgreSQL storage (libomnivox_postgres) and the SIP telephony (libomnivox_sip) are loaded at
// run time by the core the first time they are needed, so that libomnivox and libomnivox_c do not
// need libpqxx, libre or OpenSSL.
//
// A backend library exports one C entry point (a C symbol so that dlsym() finds it by name) that
// returns a struct of function pointers starting with its interface number and the Omnivox
// version it was built from; what those functions exchange is C++, so the caller accepts only a
// library of its own version (backend_version_mismatch).
#ifndef OMNIVOX_BASE_BACKEND_LIBRARY_H_
#define OMNIVOX_BASE_BACKEND_LIBRARY_H_

#include <atomic>
#include <mutex>
#include <string>

namespace omnivox::backend_library {

/// Where a backend's entry point was found, or why not.
struct Found {
  void* symbol = nullptr;  ///< the entry point; null when not found
  std::string where;       ///< the library it came from (its path, or its file name)
  std::string error;       ///< when not found: every place tried and why each failed
};

/// Looks up `entry_point` of the library `file_name` (its SONAME), in this order: already in the
/// process (linked by the host, or loaded before, even privately by a module), then the file
/// beside the library that holds `beside` (an address in the caller's library: an install puts
/// the backends in the same directory), then `file_name` on the dynamic loader's path. A library
/// is loaded once and never closed (the objects it makes run its code until the process ends).
/// When none is found, `error` is "the backend library <file_name> was not found (<hint>): " and
/// dlerror()'s message for each path tried. Thread-safe (the loader's own lock).
Found find_entry_point(const char* file_name, const char* entry_point, const void* beside,
                       const char* hint);

/// The message for a backend of another build: empty when `abi` and `version` are this build's,
/// else "<where> is Omnivox <version> (backend interface <abi>), this library is ...: install the
/// matching version".
std::string version_mismatch(const std::string& where, int abi, const char* version,
                             int expected_abi);

/// The backend a library's entry point returns (`Backend` starts with `int abi; const char*
/// version;`), found by find_entry_point at the first call and kept; nullptr with `why` set when
/// there is none or it is of another build (version_mismatch). A failed look-up is tried again
/// at the next call (the library may have been installed meanwhile). Thread-safe; once loaded,
/// a call is one atomic load (the importer asks for every number).
template <typename Backend>
const Backend* load(const char* file_name, const char* entry_point, const void* beside,
                    const char* hint, int expected_abi, std::string& why) {
  static std::atomic<const Backend*> loaded{nullptr};
  if (const Backend* backend = loaded.load(std::memory_order_acquire)) return backend;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (const Backend* backend = loaded.load(std::memory_order_relaxed)) return backend;
  Found found = find_entry_point(file_name, entry_point, beside, hint);
  why = found.error;
  if (found.symbol == nullptr) return nullptr;
  const Backend* backend = reinterpret_cast<const Backend* (*)()>(found.symbol)();
  why = version_mismatch(found.where, backend->abi, backend->version, expected_abi);
  if (!why.empty()) return nullptr;
  loaded.store(backend, std::memory_order_release);
  return backend;
}

}  // namespace omnivox::backend_library

#endif  // OMNIVOX_BASE_BACKEND_LIBRARY_H_
