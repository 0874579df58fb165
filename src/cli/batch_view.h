// Showing batches as they finish: shared by `exec run|get` and the `file`
// commands, whose batches are followed the same way.
#pragma once

#include "context.h"

#include "oasis/wire.h"

#include <array>
#include <optional>
#include <string>

namespace oasis::cli {

// One node's result: "[agent] state (exit, duration): error", then its
// output (control characters shown safely when `terminal`).
void print_result(const wire::TaskResult& r, bool terminal);

// What a batch does, on one line: its command, or for a file batch
// "file <source path> r<revision> -> <dest>".
std::string describe_batch(const wire::Batch& batch);

// "3 succeeded, 1 failed, 2 pending", or "no nodes".
std::string summary_of(const std::array<std::size_t, wire::kNodeStateCount>& counts,
                       std::size_t pending);

// Whether every count is of a state that is a success (wire::is_success).
bool all_succeeded(const std::array<std::size_t, wire::kNodeStateCount>& counts);

// A --timeout value: whole seconds from 1 to wire::kMaxTimeoutSec;
// invalid_argument naming the flag, the range and the value otherwise.
Result<int> parse_timeout(const std::string& text);

// Waits until `wanted` nodes of report.batch have a result, printing each
// as it arrives (text output) and a live count on a terminal; fills
// `report` and returns nullopt. Otherwise returns the exit code the
// command ends with, having said why on stderr: kInterrupted on Ctrl-C
// (the batch goes on), kUnavailable when NATS stayed unreachable for
// [cli] nats_outage_limit_sec in a row (a line says when it is lost and
// when it is back), or the code of an error that following met.
std::optional<int> follow_batch(Context& ctx, wire::BatchReport& report, std::size_t wanted);

}  // namespace oasis::cli
