// Compact strings of the memory backend: short strings stored inline, and strings shared by many
// records interned to a dense id. Internal to libomnivox.
#ifndef OMNIVOX_STORAGE_MEMORY_COMPACT_STRINGS_H_
#define OMNIVOX_STORAGE_MEMORY_COMPACT_STRINGS_H_

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace omnivox::memory {

// A string of up to 15 bytes stored inline (E.164 numbers are at most 16 characters with the
// '+', external ids are usually short), longer ones on the heap. 16 bytes.
class SmallString {
 public:
  SmallString() { clear_inline(); }
  explicit SmallString(std::string_view s) { set(s); }
  SmallString(const SmallString& o) { set(o.view()); }
  SmallString& operator=(const SmallString& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  SmallString(SmallString&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    o.clear_inline();
  }
  SmallString& operator=(SmallString&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(bytes_, o.bytes_, sizeof bytes_);
      o.clear_inline();
    }
    return *this;
  }
  ~SmallString() { release(); }

  void assign(std::string_view s) {
    if (s == view()) return;
    release();
    set(s);
  }
  std::string_view view() const {
    if (is_heap()) {
      char* p;
      std::uint32_t n;
      std::memcpy(&p, bytes_, sizeof p);
      std::memcpy(&n, bytes_ + 8, sizeof n);
      return {p, n};
    }
    return {bytes_, static_cast<std::size_t>(static_cast<unsigned char>(bytes_[15]))};
  }

 private:
  static constexpr unsigned char kHeap = 0xFF;
  bool is_heap() const { return static_cast<unsigned char>(bytes_[15]) == kHeap; }
  void clear_inline() { std::memset(bytes_, 0, sizeof bytes_); }
  void set(std::string_view s) {
    if (s.size() <= 15) {
      std::memset(bytes_, 0, sizeof bytes_);
      std::memcpy(bytes_, s.data(), s.size());
      bytes_[15] = static_cast<char>(s.size());
      return;
    }
    char* p = new char[s.size()];
    std::memcpy(p, s.data(), s.size());
    std::uint32_t n = static_cast<std::uint32_t>(s.size());
    std::memcpy(bytes_, &p, sizeof p);
    std::memcpy(bytes_ + 8, &n, sizeof n);
    bytes_[15] = static_cast<char>(kHeap);
  }
  void release() {
    if (!is_heap()) return;
    char* p;
    std::memcpy(&p, bytes_, sizeof p);
    delete[] p;
    clear_inline();
  }
  alignas(8) char bytes_[16];
};

// Strings shared by many records, by a dense id; id 0 is the empty string.
class Interner {
 public:
  Interner() { names_.emplace_back(); }
  std::uint32_t intern(std::string_view s) {
    if (s.empty()) return 0;
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    names_.emplace_back(s);
    auto id = static_cast<std::uint32_t>(names_.size() - 1);
    ids_.emplace(names_.back(), id);
    return id;
  }
  // The same, trying `hint` (an id, 0: none) first and leaving the answer there: callers that
  // intern one string over and over (an engine's owner token, a campaign's id) skip the hash.
  std::uint32_t intern(std::string_view s, std::uint32_t& hint) {
    if (hint == 0 || names_[hint] != s) hint = intern(s);
    return hint;
  }
  // The id of `s` if interned, else nullopt.
  std::optional<std::uint32_t> find(std::string_view s) const {
    if (s.empty()) return 0;
    auto it = ids_.find(s);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& name(std::uint32_t id) const { return names_[id]; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::deque<std::string> names_;  // stable addresses: ids_ keys view them
  std::unordered_map<std::string_view, std::uint32_t, Hash, std::equal_to<>> ids_;
};

}  // namespace omnivox::memory

#endif  // OMNIVOX_STORAGE_MEMORY_COMPACT_STRINGS_H_
