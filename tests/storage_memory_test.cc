// The Storage conformance suite on the memory backend.
#include <memory>

#include "omnivox/storage.h"
#include "omnivox/testing/storage_conformance.h"

namespace omnivox::testing {
namespace {

struct MemoryStorageFactory {
  std::unique_ptr<Storage> create() { return make_memory_storage(); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StorageConformanceTest,
                               ::testing::Types<MemoryStorageFactory>);

}  // namespace omnivox::testing
