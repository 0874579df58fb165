// A file task on the node: fetch the content the task names from the file
// store and write it with write_file (file_writer.h), as one result.
#pragma once

#include "oasis/bus.h"
#include "oasis/wire.h"

#include <functional>

namespace oasis::agent {

// Why a transfer should stop ("cancelled by operator", "the agent is
// stopping"), asked before each chunk; empty to go on.
using StopReason = std::function<std::string()>;

// Carries out `task` (kind file) and returns its result: written,
// unchanged, or failed with the reason (an unknown owner, a destination
// Oasis refuses, content missing from the store, ...), or cancelled when
// `stop` gives a reason during the transfer (nothing is then written).
// Reads chunks through the consumer wire::file_fetch_consumer(agent id),
// so calls for one agent must not overlap.
wire::TaskResult run_file_task(Bus& bus, const wire::Task& task, const StopReason& stop);

}  // namespace oasis::agent
