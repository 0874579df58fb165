// The version of this Oasis build.
#pragma once

namespace oasis {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace oasis
