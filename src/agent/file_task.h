// A file task on the node: fetch the content the task names from the file
// store and write it with write_file (file_writer.h), as one result.
#pragma once

#include "oasis/bus.h"
#include "oasis/wire.h"

#include <functional>

namespace oasis::agent {

// Carries out `task` (kind file) and returns its result: written,
// unchanged, or failed with the reason (an unknown owner, a destination
// Oasis refuses, content missing from the store, ...), or cancelled when
// `cancelled` turns true during the transfer (nothing is then written).
// Reads chunks through the consumer wire::file_fetch_consumer(agent id),
// so calls for one agent must not overlap.
wire::TaskResult run_file_task(Bus& bus, const wire::Task& task,
                               const std::function<bool()>& cancelled);

}  // namespace oasis::agent
