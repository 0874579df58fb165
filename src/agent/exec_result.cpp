#include "exec_result.h"

#include <chrono>

namespace oasis::agent {

namespace {

wire::NodeState state_of(const ExecResult& r) {
    switch (r.kind) {
        case ExitKind::exited:
            return r.exit_code == 0 ? wire::NodeState::succeeded : wire::NodeState::failed;
        case ExitKind::signaled:
        case ExitKind::failed_to_start:
            return wire::NodeState::failed;
        case ExitKind::timed_out:
            return wire::NodeState::timed_out;
        case ExitKind::cancelled:
            return wire::NodeState::cancelled;
    }
    return wire::NodeState::failed;
}

std::string reason_of(const ExecResult& r, int timeout_sec) {
    switch (r.kind) {
        case ExitKind::exited:
            return r.exit_code == 0 ? "" : "exited with code " + std::to_string(r.exit_code);
        case ExitKind::signaled:
            return "killed by signal " + std::to_string(r.signal);
        case ExitKind::failed_to_start:
            return r.error;
        case ExitKind::timed_out:
            return "timed out after " + std::to_string(timeout_sec) + " s; process group killed";
        case ExitKind::cancelled:
            return "cancelled by operator";
    }
    return r.error;
}

wire::Output to_wire(CapturedOutput&& out) {
    return wire::Output{std::move(out.data), out.total_bytes, out.truncated};
}

}  // namespace

wire::TaskResult exec_task_result(const wire::Task& task, ExecResult&& r) {
    wire::TaskResult result;
    result.batch_id = task.batch_id;
    result.agent_id = task.agent_id;
    result.state = state_of(r);
    result.exit_code = r.kind == ExitKind::exited ? r.exit_code : -1;
    result.signal = r.signal;
    result.error = reason_of(r, task.timeout_sec);
    result.out = to_wire(std::move(r.out));
    result.err = to_wire(std::move(r.err));
    result.started_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(r.started.time_since_epoch()).count();
    result.duration_ms = r.duration.count();
    result.reported_by = "agent";
    return result;
}

}  // namespace oasis::agent
