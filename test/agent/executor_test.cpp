#include "agent/executor.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <thread>

using namespace std::chrono_literals;
using oasis::agent::ExecRequest;
using oasis::agent::ExecResult;
using oasis::agent::Execution;
using oasis::agent::ExitKind;

namespace {

std::unique_ptr<Execution> start(std::vector<std::string> argv,
                                 std::chrono::milliseconds timeout = 5s,
                                 std::size_t max_output_bytes = 256 * 1024) {
    ExecRequest req;
    req.argv = std::move(argv);
    req.timeout = timeout;
    req.max_output_bytes = max_output_bytes;
    auto exec = Execution::start(req);
    REQUIRE(exec.ok());
    return std::move(exec).value();
}

ExecResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 5s,
               std::size_t max_output_bytes = 256 * 1024) {
    return start(std::move(argv), timeout, max_output_bytes)->wait();
}

std::string read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Pids of processes under /proc that `matches(pid)` accepts.
template <typename Pred>
std::vector<int> find_pids(Pred matches) {
    std::vector<int> pids;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return pids;
    while (dirent* entry = ::readdir(dir)) {
        int pid = std::atoi(entry->d_name);
        if (pid > 0 && matches(pid)) pids.push_back(pid);
    }
    ::closedir(dir);
    return pids;
}

// Processes in group `pgid` that are still alive (zombies do not count:
// an orphan may wait a while for init to reap it).
std::vector<int> live_members(int pgid) {
    return find_pids([pgid](int pid) {
        std::string stat = read_whole("/proc/" + std::to_string(pid) + "/stat");
        auto paren = stat.rfind(')');
        if (paren == std::string::npos) return false;
        char state = 0;
        int ppid = 0, group = 0;
        if (std::sscanf(stat.c_str() + paren + 1, " %c %d %d", &state, &ppid, &group) != 3)
            return false;
        return group == pgid && state != 'Z';
    });
}

// Waits up to `limit` for the group to have no live member.
bool group_dies(int pgid, std::chrono::milliseconds limit = 3s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!live_members(pgid).empty()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// Waits up to 3 s for processes whose whole command line is `argv`.
std::vector<int> wait_for_command_line(const std::vector<std::string>& argv) {
    std::string want;
    for (const auto& arg : argv) want += arg + '\0';
    auto until = std::chrono::steady_clock::now() + 3s;
    for (;;) {
        auto pids = find_pids([&](int pid) {
            return read_whole("/proc/" + std::to_string(pid) + "/cmdline") == want;
        });
        if (!pids.empty() || std::chrono::steady_clock::now() > until) return pids;
        std::this_thread::sleep_for(20ms);
    }
}

}  // namespace

TEST_CASE("echo prints its arguments and exits with 0", "[executor]") {
    auto r = run({"echo", "hello", "world"});
    REQUIRE(r.kind == ExitKind::exited);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.data == "hello world\n");
    REQUIRE(r.out.total_bytes == 12);
    REQUIRE_FALSE(r.out.truncated);
    REQUIRE(r.err.data.empty());
    REQUIRE(r.error.empty());
}

TEST_CASE("a non-zero exit code is reported as exited with that code", "[executor]") {
    auto r = run({"sh", "-c", "exit 3"});
    REQUIRE(r.kind == ExitKind::exited);
    REQUIRE(r.exit_code == 3);
    REQUIRE(r.signal == 0);
}

TEST_CASE("a command killed by a signal is reported as signaled", "[executor]") {
    auto r = run({"sh", "-c", "kill -9 $$"});
    REQUIRE(r.kind == ExitKind::signaled);
    REQUIRE(r.signal == SIGKILL);
    REQUIRE(r.exit_code == -1);
}

TEST_CASE("a command that cannot be started is reported with the reason", "[executor]") {
    SECTION("unknown command") {
        auto r = run({"oasis-no-such-command-xyz", "arg"});
        REQUIRE(r.kind == ExitKind::failed_to_start);
        REQUIRE(r.error == "oasis-no-such-command-xyz: command not found");
    }
    SECTION("missing path") {
        auto r = run({"/nonexistent/tool"});
        REQUIRE(r.kind == ExitKind::failed_to_start);
        REQUIRE(r.error == "/nonexistent/tool: no such file");
    }
    SECTION("file that is not executable") {
        auto r = run({"/etc/passwd"});
        REQUIRE(r.kind == ExitKind::failed_to_start);
        REQUIRE(r.error == "/etc/passwd: permission denied (not executable?)");
    }
    SECTION("missing working directory") {
        ExecRequest req{{"true"}, 5s};
        req.working_dir = "/nonexistent-dir";
        auto r = Execution::start(req).value()->wait();
        REQUIRE(r.kind == ExitKind::failed_to_start);
        REQUIRE(r.error == "working directory /nonexistent-dir: No such file or directory");
    }
}

TEST_CASE("invalid requests are refused before anything runs", "[executor]") {
    ExecRequest req{{"true"}, 5s};
    SECTION("empty argv") { req.argv.clear(); }
    SECTION("zero timeout") { req.timeout = 0ms; }
    SECTION("negative timeout") { req.timeout = -1000ms; }
    SECTION("timeout beyond 30 days") { req.timeout = std::chrono::hours(24 * 31); }
    SECTION("argument with a NUL byte") { req.argv.push_back(std::string("a\0b", 3)); }
    auto exec = Execution::start(req);
    REQUIRE_FALSE(exec.ok());
    REQUIRE(exec.status().code() == oasis::Code::invalid_argument);
}

TEST_CASE("the command runs in the working directory with stdin empty", "[executor]") {
    ExecRequest req{{"sh", "-c", "pwd; cat"}, 5s};
    req.working_dir = "/tmp";
    auto r = Execution::start(req).value()->wait();
    REQUIRE(r.kind == ExitKind::exited);
    REQUIRE(r.out.data == "/tmp\n");
}

TEST_CASE("stdout and stderr are captured separately", "[executor]") {
    auto r = run({"sh", "-c", "echo to-out; echo to-err >&2; echo more-out"});
    REQUIRE(r.out.data == "to-out\nmore-out\n");
    REQUIRE(r.err.data == "to-err\n");
}

TEST_CASE("binary output is kept byte for byte", "[executor]") {
    auto r = run({"printf", "a\\000b\\377\\300c"});
    REQUIRE(r.kind == ExitKind::exited);
    REQUIRE(r.out.data == std::string("a\0b\xff\xc0" "c", 6));
    REQUIRE(r.out.total_bytes == 6);
}

TEST_CASE("output beyond the cap is truncated but fully counted", "[executor]") {
    const std::size_t cap = 1024 * 1024;
    SECTION("stdout") {
        auto r = run({"head", "-c", "3000000", "/dev/zero"}, 10s, cap);
        REQUIRE(r.kind == ExitKind::exited);
        REQUIRE(r.exit_code == 0);
        REQUIRE(r.out.data == std::string(cap, '\0'));
        REQUIRE(r.out.total_bytes == 3'000'000);
        REQUIRE(r.out.truncated);
    }
    SECTION("stderr, independently of stdout") {
        auto r = run({"sh", "-c", "echo small; head -c 2000000 /dev/zero >&2"}, 10s, cap);
        REQUIRE(r.out.data == "small\n");
        REQUIRE_FALSE(r.out.truncated);
        REQUIRE(r.err.data.size() == cap);
        REQUIRE(r.err.total_bytes == 2'000'000);
        REQUIRE(r.err.truncated);
    }
}

TEST_CASE("a background child holding stdout does not delay the result (C07a)",
          "[executor]") {
    auto exec = start({"sh", "-c", "sleep 300 & echo started"}, 5s);
    int pgid = exec->process_group();
    auto r = exec->wait();

    REQUIRE(r.kind == ExitKind::exited);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.data == "started\n");
    REQUIRE(r.duration < 4s);

    // The background sleep is left running by design; clean it up here.
    ::kill(-pgid, SIGKILL);
}

TEST_CASE("a timeout kills the whole process group (C07b)", "[executor]") {
    auto exec = start({"sh", "-c", "sleep 30"}, 2s);
    int pgid = exec->process_group();
    auto r = exec->wait();

    REQUIRE(r.kind == ExitKind::timed_out);
    REQUIRE(r.duration >= 1900ms);
    REQUIRE(r.duration < 6s);
    REQUIRE(group_dies(pgid));
}

TEST_CASE("a command that ignores SIGTERM is killed after the grace period", "[executor]") {
    auto exec = start({"sh", "-c", "trap '' TERM; sleep 30; echo survived"}, 500ms);
    int pgid = exec->process_group();
    auto r = exec->wait();

    REQUIRE(r.kind == ExitKind::timed_out);
    REQUIRE(r.signal == SIGKILL);
    REQUIRE(r.out.data.empty());
    REQUIRE(r.duration < 8s);
    REQUIRE(group_dies(pgid));
}

TEST_CASE("a fully detached daemon does not delay the result (C07c)", "[executor]") {
    // A unique sleep argument lets us find and stop the daemon afterwards.
    std::string arg = "300." + std::to_string(::getpid());
    std::string script = "setsid sleep " + arg + " >/dev/null 2>&1 </dev/null & echo ok";
    auto r = run({"sh", "-c", script}, 5s);

    REQUIRE(r.kind == ExitKind::exited);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.data == "ok\n");
    REQUIRE(r.duration < 4s);

    auto strays = wait_for_command_line({"sleep", arg});
    CHECK(strays.size() == 1);
    for (int pid : strays) ::kill(pid, SIGKILL);
}

TEST_CASE("cancel from another thread stops the command", "[executor]") {
    auto exec = start({"sh", "-c", "echo begun; sleep 30"}, 30s);
    int pgid = exec->process_group();
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        exec->cancel();
    });
    auto r = exec->wait();
    canceller.join();

    REQUIRE(r.kind == ExitKind::cancelled);
    REQUIRE(r.out.data == "begun\n");
    REQUIRE(r.duration < 4s);
    REQUIRE(group_dies(pgid));
}

TEST_CASE("cancel before wait also stops the command", "[executor]") {
    auto exec = start({"sleep", "30"}, 30s);
    exec->cancel();
    auto r = exec->wait();
    REQUIRE(r.kind == ExitKind::cancelled);
    REQUIRE(r.signal == SIGTERM);
}

TEST_CASE("cancel after the command finished has no effect", "[executor]") {
    auto exec = start({"true"});
    auto r = exec->wait();
    exec->cancel();
    REQUIRE(r.kind == ExitKind::exited);
    REQUIRE(r.exit_code == 0);

    auto again = exec->wait();
    REQUIRE(again.kind == ExitKind::failed_to_start);
    REQUIRE(again.error == "wait() was already called for this execution");
}

TEST_CASE("yes with a 1 s timeout ends timed out with bounded output", "[executor]") {
    const std::size_t cap = 64 * 1024;
    auto r = run({"yes"}, 1s, cap);
    REQUIRE(r.kind == ExitKind::timed_out);
    REQUIRE(r.out.data.size() == cap);
    REQUIRE(r.out.data.substr(0, 4) == "y\ny\n");
    REQUIRE(r.out.truncated);
    REQUIRE(r.out.total_bytes > cap);
    REQUIRE(r.duration < 5s);
}

TEST_CASE("destroying a running execution kills and reaps it", "[executor]") {
    auto exec = start({"sh", "-c", "sleep 30 & sleep 30"}, 30s);
    int pgid = exec->process_group();
    exec.reset();

    REQUIRE(::waitpid(pgid, nullptr, WNOHANG) == -1);
    REQUIRE(errno == ECHILD);
    REQUIRE(group_dies(pgid));
}

TEST_CASE("the child starts with no blocked signals", "[executor]") {
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &term, &old);
    auto r = run({"sh", "-c", "kill -TERM $$; echo survived"});
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);

    REQUIRE(r.kind == ExitKind::signaled);
    REQUIRE(r.signal == SIGTERM);
}

TEST_CASE("several executions run concurrently from different threads", "[executor]") {
    constexpr int kThreads = 6;
    std::vector<ExecResult> results(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([i, &results] {
            // No REQUIRE here: Catch2 assertions are not thread-safe.
            ExecRequest req{{"sh", "-c", "sleep 0.2; echo $0", std::to_string(i)}, 5s};
            auto exec = Execution::start(req);
            if (exec.ok()) results[i] = exec.value()->wait();
        });
    for (auto& t : threads) t.join();

    for (int i = 0; i < kThreads; ++i) {
        REQUIRE(results[i].kind == ExitKind::exited);
        REQUIRE(results[i].out.data == std::to_string(i) + "\n");
    }
}

TEST_CASE("no file descriptor is left open after an execution", "[executor]") {
    auto open_fds = [] {
        std::size_t count = 0;
        DIR* dir = ::opendir("/proc/self/fd");
        while (dir != nullptr && ::readdir(dir) != nullptr) ++count;
        if (dir != nullptr) ::closedir(dir);
        return count;
    };
    auto before = open_fds();
    run({"echo", "hi"});
    run({"oasis-no-such-command-xyz"});
    auto exec = start({"sleep", "30"}, 30s);
    exec->cancel();
    exec->wait();
    exec.reset();
    REQUIRE(open_fds() == before);
}
