// The control-plane daemon: `oasis server`.
#pragma once

#include "oasis/config.h"

namespace oasis::server {

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run(const Config& config);

}  // namespace oasis::server
