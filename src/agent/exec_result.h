// What a finished command reports: its ExecResult as the node's result.
#pragma once

#include "executor.h"

#include "oasis/wire.h"

namespace oasis::agent {

// The result of `task` (an exec task) from how its command ended: the
// state, the reason in words for every state but succeeded, and the
// captured output, which is moved out of `r`.
wire::TaskResult exec_task_result(const wire::Task& task, ExecResult&& r);

}  // namespace oasis::agent
