// Small containers of the engine's state (engine_impl.h). Internal to libomnivox.
#ifndef OMNIVOX_ENGINE_ENGINE_CONTAINERS_H_
#define OMNIVOX_ENGINE_ENGINE_CONTAINERS_H_

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <unordered_set>
#include <vector>

#include "omnivox/types.h"

namespace omnivox {

// A set of contact ids: a bitmap for the small, dense ids storages hand out, a hash set beyond.
class ContactIdSet {
 public:
  bool count(ContactId id) const {
    if (id < kDense) return id < bits_.size() && bits_[id];
    return sparse_.count(id) > 0;
  }
  void insert(ContactId id) {
    if (id < kDense) {
      if (id >= bits_.size()) bits_.resize(std::max<std::size_t>(id + 1, 2 * bits_.size()));
      bits_[id] = true;
    } else {
      sparse_.insert(id);
    }
  }
  void erase(ContactId id) {
    if (id < kDense) {
      if (id < bits_.size()) bits_[id] = false;
    } else {
      sparse_.erase(id);
    }
  }

 private:
  static constexpr ContactId kDense = ContactId{1} << 24;
  std::vector<bool> bits_;
  std::unordered_set<ContactId> sparse_;
};

// The last N samples, oldest first, contiguous (for std::span).
class SampleRing {
 public:
  void add(double x) {
    if (buffer_.size() >= 2 * kKeep) buffer_.erase(buffer_.begin(), buffer_.end() - kKeep);
    buffer_.push_back(x);
  }
  std::span<const double> view() const {
    std::size_t n = std::min(buffer_.size(), kKeep);
    return {buffer_.data() + buffer_.size() - n, n};
  }

 private:
  static constexpr std::size_t kKeep = 1000;
  std::vector<double> buffer_;
};

// A buffer reused across calls (its strings and vectors keep their capacity), lent out for a
// scope. A nested use (a handler running inside another, e.g. through a telephony that reports
// inline) finds it lent and gets a fresh one instead of overwriting the outer one's.
template <typename T>
struct ReusableBuffer {
  T value;
  bool lent = false;
};
template <typename T>
class Borrowed {
 public:
  explicit Borrowed(ReusableBuffer<T>& buffer) : buffer_(buffer.lent ? nullptr : &buffer) {
    if (buffer_ != nullptr) {
      buffer_->lent = true;
    } else {
      fallback_.emplace();
    }
  }
  ~Borrowed() {
    if (buffer_ != nullptr) buffer_->lent = false;
  }
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  T& operator*() { return buffer_ != nullptr ? buffer_->value : *fallback_; }
  T* operator->() { return &**this; }

 private:
  ReusableBuffer<T>* buffer_;
  std::optional<T> fallback_;
};

}  // namespace omnivox

#endif  // OMNIVOX_ENGINE_ENGINE_CONTAINERS_H_
