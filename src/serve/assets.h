// The live campaign page's files (src/serve/page/), compiled into the binary at build time
// (embed_assets.cmake writes the generated page_assets.cc), so the page works offline.
#ifndef OMNIVOX_SERVE_ASSETS_H_
#define OMNIVOX_SERVE_ASSETS_H_

#include <cstddef>

namespace omnivox::serve {

struct Asset {
  const char* path;  ///< relative to src/serve/page/, e.g. "index.html", "js/app.js"
  const char* content_type;
  const unsigned char* data;
  std::size_t size;
};

extern const Asset kPageAssets[];
extern const std::size_t kPageAssetCount;

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_ASSETS_H_
