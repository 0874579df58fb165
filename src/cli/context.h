// What every CLI command shares: flags common to all, the configuration,
// the connection to NATS, requests to the server, and how to print.
#pragma once

#include "cli.h"

#include "oasis/bus.h"
#include "oasis/config.h"

#include <cxxopts.hpp>

#include <memory>
#include <string>

namespace oasis::cli {

// Text for a terminal: control characters (but tab and newline) become
// '?', so what nodes send cannot move the cursor, retitle or clear it.
std::string for_terminal(std::string_view text);
// for_terminal, on one line: newlines and tabs become spaces, so a field
// cannot start a row of its own.
std::string for_table(std::string_view text);

class Context {
public:
    // Adds --config, --output and --help to a command's options.
    static void add_common_options(cxxopts::Options& options);

    // Parses argv[first..] with `options`. Returns nullopt and sets `exit`
    // when the command should end at once (--help printed, or a usage error
    // reported).
    static std::unique_ptr<Context> parse(cxxopts::Options& options, int argc, char** argv,
                                          int first, int& exit);
    // The flags alone, for commands that need no configuration or NATS.
    // A flag that is not a list (--labels, --groups, ...) may be given
    // once: a second --agent-id is an error, not the one that wins.
    static std::optional<cxxopts::ParseResult> parse_flags(cxxopts::Options& options, int argc,
                                                           char** argv, int first, int& exit);

    const cxxopts::ParseResult& args() const { return args_; }
    // A flag without a value (--yes, --verbose): true when given bare or
    // as --name=true, false when absent or --name=false.
    bool flag(const std::string& name) const { return args_[name].as<bool>(); }
    bool json() const { return json_; }
    // Whether stdout/stderr are terminals (live progress goes to stderr).
    bool stdout_tty() const { return stdout_tty_; }
    bool stderr_tty() const { return stderr_tty_; }
    // `text` as a field of a table or a line for people (see for_terminal),
    // on a terminal or not: piped through grep it still ends on one, and
    // --output json is the form for programs. (A command's own output is
    // kept byte for byte when piped; see exec_cmd.cpp.)
    std::string shown(std::string_view text) const { return for_table(text); }
    const Config& config() const { return config_; }

    // Connects on first use, with the reply-inbox prefix of caller();
    // reports the failure itself and returns null.
    Bus* bus();
    // The caller token every control request carries (see caller_identity).
    Result<std::string> caller();
    // Sends a control request and returns the reply payload. A transport or
    // server error is reported here (message on stderr) and `exit` is set.
    std::optional<std::string> call(std::string_view group, std::string_view verb,
                                    const std::string& payload, int& exit);

    // Whether the last call() got no answer in time (the server may have
    // acted on the request all the same).
    bool last_call_timed_out() const { return timed_out_; }

    // "oasis: error: <message>" on stderr; returns the exit code for `st`.
    static int fail(const Status& st);
    static int usage_error(const std::string& message);

private:
    cxxopts::ParseResult args_;
    Config config_;
    bool json_ = false;
    bool stdout_tty_ = false;
    bool stderr_tty_ = false;
    bool timed_out_ = false;
    std::unique_ptr<Bus> bus_;
    std::string caller_;  // empty until caller() first succeeds
};

// Who the CLI says it is in every control subject (wire::control_subject):
// with [tls] certs_dir, the CN of <certs_dir>/cli.pem, which NATS checks;
// without, "unverified-" and the login name. Both made a caller token.
Result<std::string> caller_identity(const Config& config);

// A --limit value: a whole number from 1 to `max`; invalid_argument naming
// the range and what was given otherwise.
// A whole number from min to max written as plain digits, or nullopt.
std::optional<int> parse_count(const std::string& text, int min, int max);
Result<int> parse_limit(const std::string& text, int max);

// Exit code for a Status (not_found -> kNotFound, ...).
int exit_code_for(const Status& st);

// "2026-12-04 16:00:00" in local time; "-" for 0.
std::string format_time(std::int64_t ms);
// "3s ago", "5m ago", "2h ago", "4d ago".
std::string format_age(std::int64_t ms, std::int64_t now_ms);
std::string format_duration(std::int64_t ms);

}  // namespace oasis::cli
