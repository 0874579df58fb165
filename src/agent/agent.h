// The node daemon: `oasis agent run` (or a binary named oasis-agent).
#pragma once

#include "oasis/config.h"

namespace oasis::agent {

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run(const Config& config);

}  // namespace oasis::agent
