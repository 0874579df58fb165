// Executor: runs one command on the node, with a deadline and bounded output.
//
// The child runs without a shell in a new process group, with stdin on
// /dev/null and stdout and stderr on separate pipes. Stopping it (timeout,
// cancel, destruction) signals the whole group, so helpers it forked go too.
//
// When the main process exits, the result is complete: we read what is left
// in the pipes for at most ~100 ms and return. A background child that still
// holds stdout open (`sh -c 'sleep 300 & echo started'`) does not keep us
// waiting and is left running, as it would be after the same command in a
// terminal. Only a timeout or cancel kills the rest of the group.
//
// The process must not reap children it did not start (waitpid(-1, ...)) or
// set SIGCHLD to SIG_IGN: the Execution reaps its own child and needs the
// child's exit status. No SIGCHLD handler is installed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oasis/status.h"

namespace oasis::agent {

struct ExecRequest {
    std::vector<std::string> argv;              // argv[0] looked up in PATH; no shell
    std::chrono::milliseconds timeout{0};       // 1 ms to 30 days
    std::size_t max_output_bytes = 256 * 1024;  // kept per stream
    std::string working_dir = "/";
};

// One output stream: the first max_output_bytes bytes, exactly as written
// (binary safe), and how many bytes the command wrote in all.
struct CapturedOutput {
    std::string data;
    std::uint64_t total_bytes = 0;
    bool truncated = false;  // total_bytes > data.size()
};

enum class ExitKind { exited, signaled, timed_out, cancelled, failed_to_start };

// The stable lower-case name of a kind, e.g. "timed_out".
const char* exit_kind_name(ExitKind kind);

struct ExecResult {
    ExitKind kind = ExitKind::failed_to_start;
    // The main process's status as observed, also for timed_out and
    // cancelled: exit_code for a normal exit (else -1), signal for a death by
    // signal (else 0).
    int exit_code = -1;
    int signal = 0;
    CapturedOutput out, err;
    std::chrono::system_clock::time_point started;
    std::chrono::milliseconds duration{0};  // until the main process exited
    // Why it failed to start, e.g. "nosuchcmd: command not found"; or, with
    // another kind, why the exit status is missing. Empty otherwise.
    std::string error;
};

// A started command. Not copyable or movable; owned through unique_ptr.
class Execution {
public:
    // Errors: invalid_argument for an empty argv, an argument with a NUL
    // byte, an empty working_dir or a timeout out of range. Everything that
    // goes wrong on the node (command not found, not executable, bad working
    // directory, out of file descriptors) still returns an Execution whose
    // wait() reports ExitKind::failed_to_start with the reason in `error`.
    // Safe to call from several threads at once.
    static Result<std::unique_ptr<Execution>> start(const ExecRequest& req);

    // Blocks until the main process has exited (or, after a timeout or
    // cancel, has been killed), then reaps it. Call once, from one thread; a
    // second call returns failed_to_start with an explanatory error.
    // Timeout and cancel send SIGTERM to the process group, then SIGKILL to
    // the group once the main process has exited or after a 2 s grace.
    ExecResult wait();

    // Asks wait() to stop the command and report cancelled. Thread-safe and
    // non-blocking; may be called any time before destruction, also before
    // wait() or after it returned (then it has no effect).
    void cancel();

    // Kills the process group with SIGKILL if the main process was never
    // reaped by wait(), and reaps it (this blocks until it has died).
    ~Execution();

    Execution(const Execution&) = delete;
    Execution& operator=(const Execution&) = delete;

    // The main process's pid, which is also its process group id; -1 if it
    // failed to start. After wait() returned, the pid may be reused.
    int process_group() const { return pid_; }

private:
    Execution() = default;

    enum class Stop { none, timeout, cancel };

    void spawn(const ExecRequest& req);
    bool main_exited(ExecResult& result);
    void run_until_exit(ExecResult& result, Stop& stop);
    bool pump(int& fd, CapturedOutput& out);
    void drain_pipes(ExecResult& result);
    void reap(ExecResult& result);

    // Owned file descriptors, -1 when closed. The pipes are non-blocking.
    int out_fd_ = -1;
    int err_fd_ = -1;
    int pid_fd_ = -1;   // pidfd of the child; -1 if unavailable (then poll)
    int wake_fd_ = -1;  // eventfd written by cancel(); open until destruction

    int pid_ = -1;
    bool reaped_ = false;
    bool waited_ = false;
    std::atomic<bool> cancel_requested_{false};

    std::chrono::milliseconds timeout_{0};
    std::size_t max_output_bytes_ = 0;
    std::chrono::system_clock::time_point started_;
    std::chrono::steady_clock::time_point started_steady_;
    std::chrono::steady_clock::time_point exited_steady_;
    std::string start_error_;  // non-empty when the child never ran
};

}  // namespace oasis::agent
