// The studio page's own files (service/studio/: index.html, studio.js,
// studio.css), embedded in the binary at build time by
// cmake/EmbedFiles.cmake, so that `switchboard studio` works from anywhere
// without files beside it.
#ifndef SWITCHBOARD_SERVICE_STUDIO_ASSETS_H_
#define SWITCHBOARD_SERVICE_STUDIO_ASSETS_H_

#include <string_view>

#include "absl/types/span.h"

namespace switchboard::service {

struct StudioAsset {
  std::string_view name;          // the file name, e.g. "studio.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view body;
};

// Every embedded file (the generated studio_assets.cc).
absl::Span<const StudioAsset> StudioAssets();

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_STUDIO_ASSETS_H_
