#include "agent/executor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>

namespace oasis::agent {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long a stopped command may take to exit after SIGTERM before SIGKILL.
constexpr auto kTermGrace = std::chrono::seconds(2);
// How long we keep reading the pipes after the main process exited.
constexpr auto kDrainLimit = milliseconds(100);
// Poll interval when there is no pidfd to tell us the child exited.
constexpr auto kExitPollInterval = milliseconds(10);
// Longest single poll(); a far deadline is reached in several steps.
constexpr auto kMaxPollWait = milliseconds(60'000);
// Longest timeout accepted; also keeps deadline arithmetic from overflowing.
constexpr auto kMaxTimeout = std::chrono::hours(24 * 30);

// pidfd_open(2) through syscall(): glibc 2.36's <sys/pidfd.h> lacks C++
// linkage. The pidfd is always close-on-exec. ENOSYS before Linux 5.3.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

std::string errno_text(int err) { return std::system_category().message(err); }

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

Status validate(const ExecRequest& req) {
    if (req.argv.empty() || req.argv[0].empty())
        return error(Code::invalid_argument, "exec: no command given");
    for (const auto& arg : req.argv)
        if (arg.find('\0') != std::string::npos)
            return error(Code::invalid_argument, "exec: an argument contains a NUL byte");
    if (req.timeout <= milliseconds(0) || req.timeout > kMaxTimeout)
        return error(Code::invalid_argument, "exec: the timeout must be between 1 ms and 30 days");
    if (req.working_dir.empty() || req.working_dir.find('\0') != std::string::npos)
        return error(Code::invalid_argument, "exec: the working directory is empty or invalid");
    return {};
}

// Says why posix_spawnp failed with `err`. The same errno can come from the
// chdir into the working directory or from the exec, so look at the
// directory first to blame the right one.
std::string describe_spawn_error(int err, const ExecRequest& req) {
    const std::string& dir = req.working_dir;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        return "working directory " + dir + ": " + errno_text(errno);
    if (!S_ISDIR(st.st_mode)) return "working directory " + dir + ": " + errno_text(ENOTDIR);
    if (::access(dir.c_str(), X_OK) != 0)
        return "working directory " + dir + ": " + errno_text(errno);

    const std::string& cmd = req.argv[0];
    bool searched = cmd.find('/') == std::string::npos;
    switch (err) {
    case ENOENT:
        return cmd + (searched ? ": command not found" : ": no such file");
    case EACCES:
        return cmd + ": permission denied (not executable?)";
    case ENOEXEC:
        return cmd + ": not in an executable format";
    default:
        return cmd + ": cannot start: " + errno_text(err);
    }
}

// Starts argv in a new process group with stdin on /dev/null, stdout and
// stderr on the given pipe ends, default signal dispositions and an empty
// signal mask. Returns 0 and sets *pid, or an errno value.
int spawn_child(const ExecRequest& req, int out_w, int err_w, pid_t* pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    if (int rc = posix_spawn_file_actions_init(&actions)) return rc;
    if (int rc = posix_spawnattr_init(&attr)) {
        posix_spawn_file_actions_destroy(&actions);
        return rc;
    }

    sigset_t no_signals, all_signals;
    sigemptyset(&no_signals);
    sigfillset(&all_signals);
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;

    int rc = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, out_w, STDOUT_FILENO);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, err_w, STDERR_FILENO);
    if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&actions, req.working_dir.c_str());
    // Nothing but stdio reaches the command: libraries open sockets without
    // close-on-exec (the agent's NATS connection among them), and a command
    // writing into that socket would break the agent's session.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attr, 0);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &no_signals);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all_signals);
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, flags);

    if (rc == 0) {
        std::vector<char*> argv;
        for (const auto& arg : req.argv) argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        rc = posix_spawnp(pid, argv[0], &actions, &attr, argv.data(), environ);
    }

    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

// Makes a pipe whose ends are close-on-exec (so no other child inherits
// them) and whose read end is non-blocking. The write end stays blocking:
// it becomes the child's stdout or stderr.
bool make_pipe(int& read_end, int& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    if (::fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        int saved = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        errno = saved;
        return false;
    }
    read_end = fds[0];
    write_end = fds[1];
    return true;
}

void append_capped(CapturedOutput& out, std::string_view bytes, std::size_t cap) {
    out.total_bytes += bytes.size();
    std::size_t room = cap > out.data.size() ? cap - out.data.size() : 0;
    if (bytes.size() > room) out.truncated = true;
    out.data.append(bytes.substr(0, room));
}

int poll_timeout_ms(Clock::time_point wake, bool have_pidfd) {
    auto wait = kMaxPollWait;
    if (wake != Clock::time_point::max())
        wait = std::chrono::ceil<milliseconds>(wake - Clock::now());
    if (!have_pidfd) wait = std::min<milliseconds>(wait, kExitPollInterval);
    return static_cast<int>(std::clamp(wait, milliseconds(0), kMaxPollWait).count());
}

}  // namespace

const char* exit_kind_name(ExitKind kind) {
    switch (kind) {
    case ExitKind::exited: return "exited";
    case ExitKind::signaled: return "signaled";
    case ExitKind::timed_out: return "timed_out";
    case ExitKind::cancelled: return "cancelled";
    case ExitKind::failed_to_start: return "failed_to_start";
    }
    return "failed_to_start";
}

Result<std::unique_ptr<Execution>> Execution::start(const ExecRequest& req) {
    OASIS_RETURN_IF_ERROR(validate(req));

    std::unique_ptr<Execution> exec(new Execution());
    exec->timeout_ = req.timeout;
    exec->max_output_bytes_ = req.max_output_bytes;
    exec->started_ = std::chrono::system_clock::now();
    exec->started_steady_ = Clock::now();
    exec->spawn(req);
    return exec;
}

// Sets up the descriptors and starts the child. On failure, records the
// reason in start_error_ and leaves pid_ at -1.
void Execution::spawn(const ExecRequest& req) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        start_error_ = "cannot create an eventfd: " + errno_text(errno);
        return;
    }

    int out_w = -1, err_w = -1;
    if (!make_pipe(out_fd_, out_w) || !make_pipe(err_fd_, err_w)) {
        start_error_ = "cannot create a pipe: " + errno_text(errno);
        close_fd(out_fd_);
        close_fd(out_w);
        return;
    }
    pid_t pid = -1;
    int err = spawn_child(req, out_w, err_w, &pid);
    close_fd(out_w);  // the child has its own copies
    close_fd(err_w);
    if (err != 0) {
        start_error_ = describe_spawn_error(err, req);
        close_fd(out_fd_);
        close_fd(err_fd_);
        return;
    }
    pid_ = pid;

    // The child is ours and unreaped, so its pid cannot be reused here.
    // Without pidfds (kernels before 5.3), run_until_exit polls instead.
    pid_fd_ = open_pidfd(pid_);
}

ExecResult Execution::wait() {
    ExecResult result;
    result.started = started_;
    if (waited_) {
        result.error = "wait() was already called for this execution";
        return result;
    }
    waited_ = true;
    if (!start_error_.empty()) {
        result.error = start_error_;
        return result;
    }

    Stop stop = Stop::none;
    run_until_exit(result, stop);

    // A stopped command leaves nothing behind in its group. The leader is
    // still unreaped, so the group id cannot have been reused.
    if (stop != Stop::none && !reaped_) ::kill(-pid_, SIGKILL);

    drain_pipes(result);
    reap(result);
    if (stop == Stop::timeout) result.kind = ExitKind::timed_out;
    if (stop == Stop::cancel) result.kind = ExitKind::cancelled;
    result.duration = std::chrono::duration_cast<milliseconds>(exited_steady_ - started_steady_);
    return result;
}

void Execution::cancel() {
    cancel_requested_.store(true);
    if (wake_fd_ >= 0) {
        std::uint64_t one = 1;
        // Fails only when the counter is saturated, which still wakes wait().
        [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
    }
}

Execution::~Execution() {
    if (pid_ > 0 && !reaped_) {
        ::kill(-pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    close_fd(out_fd_);
    close_fd(err_fd_);
    close_fd(pid_fd_);
    close_fd(wake_fd_);
}

// True once the main process has exited. WNOWAIT leaves it a zombie, so its
// pid stays reserved (and kill(-pid_) safe) until reap().
bool Execution::main_exited(ExecResult& result) {
    siginfo_t info{};
    int rc;
    do {
        rc = ::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        // ECHILD: someone else reaped it, so its pid may already be reused.
        result.error = "exit status unavailable: " + errno_text(errno);
        reaped_ = true;
        return true;
    }
    return info.si_pid == pid_;
}

// Reads output while the main process runs, and enforces the deadline and
// cancel: SIGTERM to the group first, SIGKILL after the grace period.
void Execution::run_until_exit(ExecResult& result, Stop& stop) {
    const auto deadline = started_steady_ + timeout_;
    auto kill_at = Clock::time_point::max();
    bool killed = false;

    while (!main_exited(result)) {
        auto now = Clock::now();
        if (stop == Stop::none) {
            if (cancel_requested_.load())
                stop = Stop::cancel;
            else if (now >= deadline)
                stop = Stop::timeout;
            if (stop != Stop::none) {
                ::kill(-pid_, SIGTERM);
                ::kill(-pid_, SIGCONT);  // a stopped process must run to see SIGTERM
                kill_at = now + kTermGrace;
            }
        }
        if (!killed && now >= kill_at) {
            ::kill(-pid_, SIGKILL);
            killed = true;
        }

        auto wake = stop == Stop::none ? deadline : killed ? Clock::time_point::max() : kill_at;
        pollfd fds[] = {
            {out_fd_, POLLIN, 0},
            {err_fd_, POLLIN, 0},
            {pid_fd_, POLLIN, 0},
            {wake_fd_, POLLIN, 0},
        };
        if (::poll(fds, 4, poll_timeout_ms(wake, pid_fd_ >= 0)) <= 0) continue;

        if (fds[0].revents) pump(out_fd_, result.out);
        if (fds[1].revents) pump(err_fd_, result.err);
        if (fds[3].revents) {
            std::uint64_t count;
            [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
        }
    }
    exited_steady_ = Clock::now();
}

// Reads one chunk from a pipe into `out`; closes the pipe at end of file or
// on error. Returns whether it read anything.
bool Execution::pump(int& fd, CapturedOutput& out) {
    char buf[64 * 1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
        append_capped(out, std::string_view(buf, static_cast<std::size_t>(n)), max_output_bytes_);
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    close_fd(fd);
    return false;
}

// Takes what is already in the pipes without waiting for end of file: a
// background child may hold them open for hours. Bounded in time because
// such a child may also keep writing.
void Execution::drain_pipes(ExecResult& result) {
    const auto limit = Clock::now() + kDrainLimit;
    bool more = true;
    while (more && Clock::now() < limit) {
        more = false;
        if (out_fd_ >= 0) more |= pump(out_fd_, result.out);
        if (err_fd_ >= 0) more |= pump(err_fd_, result.err);
    }
    close_fd(out_fd_);
    close_fd(err_fd_);
}

void Execution::reap(ExecResult& result) {
    result.kind = ExitKind::exited;
    close_fd(pid_fd_);
    if (reaped_) return;  // lost to another waiter; main_exited() set the error

    int status = 0;
    pid_t rc;
    do {
        rc = ::waitpid(pid_, &status, 0);
    } while (rc < 0 && errno == EINTR);
    reaped_ = true;
    if (rc < 0) {
        if (result.error.empty()) result.error = "exit status unavailable: " + errno_text(errno);
        return;
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.kind = ExitKind::signaled;
        result.signal = WTERMSIG(status);
    }
}

}  // namespace oasis::agent
