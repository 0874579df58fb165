// The JetStream streams and buckets Oasis keeps, and their limits.
#pragma once

#include "oasis/bus.h"

#include <vector>

namespace oasis {

// The specification of every Oasis stream (see docs/architecture.md).
std::vector<StreamSpec> oasis_streams();

// Creates or updates every Oasis stream and bucket. Servers call it at start.
Status ensure_oasis_streams(Bus& bus);

}  // namespace oasis
