#include "context.h"

#include "oasis/log.h"
#include "oasis/pki.h"
#include "oasis/wire.h"

#include "config_values.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace oasis::cli {

using namespace std::chrono_literals;

int exit_code_for(const Status& st) {
    switch (st.code()) {
        case Code::ok:
            return kOk;
        case Code::invalid_argument:
        case Code::io_error:  // a local file: --src, --dir, a certificate
            return kUsage;
        case Code::not_found:
            return kNotFound;
        case Code::unavailable:
        case Code::timeout:
        case Code::permission_denied:
            return kUnavailable;
        default:
            return kInternal;
    }
}

int Context::fail(const Status& st) {
    std::fprintf(stderr, "oasis: error: %s\n", st.message().c_str());
    return exit_code_for(st);
}

int Context::usage_error(const std::string& message) {
    std::fprintf(stderr, "oasis: error: %s\n", message.c_str());
    return kUsage;
}

void Context::add_common_options(cxxopts::Options& options) {
    options.add_options("common")("config",
                                  "configuration file (default: $OASIS_CONFIG, ./oasis.toml, "
                                  "/etc/oasis/oasis.toml)",
                                  cxxopts::value<std::string>())(
        "o,output", "text or json", cxxopts::value<std::string>()->default_value("text"))(
        "h,help", "show this help");
}

namespace {

// What the options say of their own flags: which take no value (switches)
// and which may be repeated (a list each use adds to).
struct FlagKinds {
    std::set<std::string> switches, repeatable;
};

FlagKinds kinds_of(const cxxopts::Options& options) {
    FlagKinds kinds;
    for (const auto& group : options.groups())
        for (const auto& o : options.group_help(group).options) {
            if (o.l.empty()) continue;
            if (o.is_boolean) kinds.switches.insert(o.l.front());
            if (o.is_container) kinds.repeatable.insert(o.l.front());
        }
    return kinds;
}

// A switch given a value takes only true or false (cxxopts would also read
// 1, t or False); any other flag but a list may be given once.
Status check_flags(const cxxopts::ParseResult& args, const FlagKinds& kinds) {
    std::set<std::string> seen;
    for (const auto& kv : args.arguments()) {
        if (kinds.switches.count(kv.key()) && kv.value() != "true" && kv.value() != "false")
            return error(Code::invalid_argument, "--" + kv.key() +
                                                     " takes no value (or true or false), got " +
                                                     core::quote(kv.value()));
        if (kinds.repeatable.count(kv.key()) || seen.insert(kv.key()).second) continue;
        if (kv.key() == "target")
            return error(Code::invalid_argument,
                         "-t/--target may be given once; combine selectors with `or`, "
                         "e.g. -t 'agent-1,agent-2'");
        return error(Code::invalid_argument, "--" + kv.key() + " may be given once");
    }
    return {};
}

}  // namespace

std::optional<cxxopts::ParseResult> Context::parse_flags(cxxopts::Options& options, int argc,
                                                         char** argv, int first, int& exit) {
    std::vector<char*> args{argv[0]};
    for (int i = first; i < argc; ++i) args.push_back(argv[i]);
    cxxopts::ParseResult parsed;
    try {
        parsed = options.parse(static_cast<int>(args.size()), args.data());
    } catch (const std::exception& e) {
        exit = usage_error(std::string(e.what()) + " (see --help)");
        return std::nullopt;
    }
    if (parsed.count("help")) {
        std::cout << options.help();
        exit = kOk;
        return std::nullopt;
    }
    if (!parsed.unmatched().empty()) {
        exit = usage_error("unexpected argument \"" + parsed.unmatched().front() +
                           "\" (see --help)");
        return std::nullopt;
    }
    if (Status st = check_flags(parsed, kinds_of(options)); !st.ok()) {
        exit = usage_error(st.message());
        return std::nullopt;
    }
    return parsed;
}

std::unique_ptr<Context> Context::parse(cxxopts::Options& options, int argc, char** argv, int first,
                                        int& exit) {
    auto parsed = parse_flags(options, argc, argv, first, exit);
    if (!parsed) return nullptr;
    auto ctx = std::make_unique<Context>();
    ctx->args_ = std::move(*parsed);
    std::string output = ctx->args_["output"].as<std::string>();
    if (output != "text" && output != "json") {
        exit = usage_error("--output must be text or json, got \"" + output + "\"");
        return nullptr;
    }
    ctx->json_ = output == "json";
    ctx->stdout_tty_ = ::isatty(STDOUT_FILENO);
    ctx->stderr_tty_ = ::isatty(STDERR_FILENO) && !ctx->json_;

    Environment env = current_environment();
    std::string explicit_path =
        ctx->args_.count("config") ? ctx->args_["config"].as<std::string>() : "";
    auto config = load_config(find_config_file(explicit_path, env), env);
    if (!config.ok()) {
        exit = usage_error("configuration: " + config.status().message());
        return nullptr;
    }
    ctx->config_ = std::move(*config);
    TelemetryConfig quiet = ctx->config_.telemetry;
    quiet.log_level = "error";  // the CLI speaks through its output, not logs
    (void)log::init(quiet, "cli");
    return ctx;
}

Bus* Context::bus() {
    if (bus_) return bus_.get();
    auto who = caller();
    if (!who.ok()) {
        fail(who.status());
        return nullptr;
    }
    BusOptions o;
    o.urls = config_.nats.urls;
    o.name = "oasis-cli";
    o.tls = tls_files(config_.tls.certs_dir, "cli");
    // NATS lets this identity read replies only under its own prefix.
    o.inbox_prefix = wire::cli_inbox_prefix(*who);
    auto bus = Bus::connect(o);
    if (!bus.ok()) {
        fail(bus.status());
        return nullptr;
    }
    bus_ = std::move(*bus);
    return bus_.get();
}

Result<std::string> caller_identity(const Config& config) {
    if (!config.tls.certs_dir.empty()) {
        std::string path = tls_files(config.tls.certs_dir, "cli").cert_file;
        std::ifstream in(path, std::ios::binary);
        std::ostringstream pem;
        if (in) pem << in.rdbuf();
        if (!in || pem.str().empty())
            return error(Code::io_error, "cannot read the CLI certificate " + path +
                                             " (it names the caller); see [tls] certs_dir");
        auto cert = read_cert(pem.str());
        if (!cert.ok()) return cert.status().with_context(path);
        if (cert->common_name.empty())
            return error(
                Code::invalid_argument,
                "the CLI certificate " + path + " has no common name (CN), which names the caller");
        return wire::caller_token(cert->common_name);
    }

    // Nothing vouches for this name: the token says so.
    std::string login;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found) == 0 && found &&
        found->pw_name && *found->pw_name)
        login = found->pw_name;
    else
        login = "uid" + std::to_string(::geteuid());
    return wire::caller_token("unverified-" + login);
}

Result<std::string> Context::caller() {
    if (caller_.empty()) {
        auto id = caller_identity(config_);
        if (!id.ok()) return id.status();
        caller_ = std::move(*id);
    }
    return caller_;
}

std::optional<std::string> Context::call(std::string_view group, std::string_view verb,
                                         const std::string& payload, int& exit) {
    Bus* b = bus();  // also settles caller_
    if (!b) {
        exit = kUnavailable;
        return std::nullopt;
    }
    auto reply = b->request(wire::control_subject(group, verb, caller_), payload, 60s);
    if (!reply.ok()) {
        Status st = reply.status();
        if (st.code() == Code::unavailable) {
            st = error(Code::unavailable,
                       "no Oasis server is answering on NATS at " + config_.nats.urls.front() +
                           "; start one with `oasis server`");
        } else if (st.code() == Code::timeout) {
            timed_out_ = true;
            st = error(Code::timeout, b->connected()
                                          ? "the Oasis server did not answer within 60 s"
                                          : "lost the connection to NATS at " +
                                                config_.nats.urls.front() +
                                                ", and it did not come back within 60 s");
        }
        exit = fail(st);
        return std::nullopt;
    }
    return std::move(reply->data);
}

std::optional<int> parse_count(const std::string& text, int min, int max) {
    // Digits only: strtol alone would take " 5" and "+5".
    if (text.empty() || text.size() > 10 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    long n = std::strtol(text.c_str(), nullptr, 10);
    if (n < min || n > max) return std::nullopt;
    return static_cast<int>(n);
}

Result<int> parse_limit(const std::string& text, int max) {
    auto limit = parse_count(text, 1, max);
    if (!limit)
        return error(Code::invalid_argument, "--limit must be a whole number from 1 to " +
                                                 std::to_string(max) + ", got " +
                                                 core::quote(text));
    return *limit;
}

std::string for_terminal(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto u = static_cast<unsigned char>(text[i]);
        if ((u < 0x20 && u != '\t' && u != '\n') || u == 0x7f) {
            out += '?';
            continue;
        }
        // C1 controls (U+0080-U+009F, e.g. U+009B, which some terminals
        // take as ESC [) and the bidirectional overrides and isolates
        // (U+202A-U+202E, U+2066-U+2069), which reorder what is shown.
        auto next = [&](std::size_t k) {
            return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
        };
        if (u == 0xc2 && next(1) >= 0x80 && next(1) <= 0x9f) {
            out += '?';
            i += 1;
            continue;
        }
        if (u == 0xe2 && ((next(1) == 0x80 && next(2) >= 0xaa && next(2) <= 0xae) ||
                          (next(1) == 0x81 && next(2) >= 0xa6 && next(2) <= 0xa9))) {
            out += '?';
            i += 2;
            continue;
        }
        out += static_cast<char>(u);
    }
    return out;
}

std::string for_table(std::string_view text) {
    std::string out = for_terminal(text);
    for (char& c : out)
        if (c == '\n' || c == '\t') c = ' ';
    return out;
}

std::string format_time(std::int64_t ms) {
    if (ms <= 0) return "-";
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string format_age(std::int64_t ms, std::int64_t now_ms) {
    if (ms <= 0) return "never";
    std::int64_t s = std::max<std::int64_t>(0, (now_ms - ms) / 1000);
    if (s < 120) return std::to_string(s) + "s ago";
    if (s < 7200) return std::to_string(s / 60) + "m ago";
    if (s < 172800) return std::to_string(s / 3600) + "h ago";
    return std::to_string(s / 86400) + "d ago";
}

std::string format_duration(std::int64_t ms) {
    char buf[32];
    if (ms < 1000)
        std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
    else
        std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(ms) / 1000.0);
    return buf;
}

}  // namespace oasis::cli
