// The operator's command line: `oasis <group> <verb>` or `oasis-cli ...`.
#pragma once

#include <cstddef>

namespace oasis::cli {

// Exit codes of every CLI command.
enum Exit : int {
    kOk = 0,
    kNodesFailed = 1,   // the command ran, and some node did not succeed
    kUsage = 2,         // bad flags or input; nothing was done
    kUnavailable = 3,   // NATS or the Oasis server could not be reached
    kNotFound = 4,      // no such batch/agent, or the selector matched nothing
    kInternal = 5,
    kInterrupted = 130,
};

// One command of a group: its name, a one-line summary, its entry point
// (argv[first] is the command's first argument).
struct Verb {
    const char* name;
    const char* summary;
    int (*entry)(int argc, char** argv, int first);
};

// Runs the verb named by argv[first] from `verbs`, or prints the group's
// usage (to stdout for --help, else with an error to stderr).
template <std::size_t N>
int dispatch(const char* group, const Verb (&verbs)[N], int argc, char** argv, int first);
int dispatch(const char* group, const Verb* verbs, std::size_t count, int argc, char** argv,
             int first);

template <std::size_t N>
int dispatch(const char* group, const Verb (&verbs)[N], int argc, char** argv, int first) {
    return dispatch(group, verbs, N, argc, argv, first);
}

// Runs the CLI command in argv[first..]; returns the exit code.
int run(int argc, char** argv, int first);

// Entry points of the command groups (argv[first] is the verb).
int agent_command(int argc, char** argv, int first);
int exec_command(int argc, char** argv, int first);
int file_command(int argc, char** argv, int first);
int system_command(int argc, char** argv, int first);
int audit_command(int argc, char** argv, int first);

// `system init` and `system issue-agent-cert` (system_init.cpp); these need
// no configuration and no NATS.
int system_init(int argc, char** argv, int first);
int system_issue_agent_cert(int argc, char** argv, int first);

}  // namespace oasis::cli
