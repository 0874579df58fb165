// Configuration for the three roles: oasis.toml plus OASIS__* overrides.
//
// Every role loads its settings once, at start-up, into a Config and passes
// the parts it needs down; nothing else reads the file or the environment.
// Precedence, lowest first: built-in defaults, the file, the environment.
//
//   [server]    name, heartbeat_ttl_sec, task_start_window_sec
//   [nats]      url (a string, a comma-separated string, or an array)
//   [tls]       certs_dir
//   [security]  task_signing_key, task_public_key
//   [telemetry] log_level, log_format, log_no_ansi
//   [agent]     id, labels, groups, heartbeat_interval_sec,
//               fact_collection_interval_sec, state_dir, max_concurrent_tasks
//   [cli]       nats_outage_limit_sec
//
// Any key may be overridden by OASIS__<SECTION>__<KEY> (section and key are
// case-insensitive). The agent also reads OASIS__AGENT_ID,
// OASIS__AGENT_LABELS ("env=prod,role=web") and OASIS__AGENT_GROUPS
// ("prod,web"). Unknown sections, keys and OASIS__ variables are errors.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oasis/facts.h"
#include "oasis/status.h"

namespace oasis {

struct ServerConfig {
    std::string name;  // identity among servers; default: the short hostname
    int heartbeat_ttl_sec = 60;       // an agent is online while younger
    int task_start_window_sec = 300;  // a queued task older than this expires
};

struct NatsConfig {
    // nats://HOST[:PORT] or tls://HOST[:PORT]; tried in order. Never empty.
    std::vector<std::string> urls{"nats://127.0.0.1:4222"};
};

struct TlsConfig {
    // Holds ca.pem and this role's certificate and key. Empty turns TLS off:
    // plaintext, for loopback development only.
    std::string certs_dir;
};

// The keys of signed tasks (oasis/signing.h). A path left out defaults to
// its file in [tls] certs_dir, when that is set; a default path may name
// no file (then tasks go unsigned, or unchecked), a configured one must.
struct SecurityConfig {
    std::string task_signing_key;              // server: the secret key, task-signing.key
    std::string task_public_key;               // agent: the public key, task-signing.pub
    bool task_signing_key_configured = false;  // false: empty or the default
    bool task_public_key_configured = false;
};

struct TelemetryConfig {
    std::string log_level = "info";   // debug | info | warn | error
    std::string log_format = "text";  // json | text
    bool log_no_ansi = false;         // no colour even on a terminal
};

struct AgentConfig {
    std::string id;  // empty unless configured; the agent role requires it
    StringMap labels;
    std::vector<std::string> groups;
    int heartbeat_interval_sec = 30;
    int fact_collection_interval_sec = 300;
    std::string state_dir = "/var/lib/oasis/agent";
    int max_concurrent_tasks = 8;
};

struct CliConfig {
    // How long a command following a batch waits for a lost connection to
    // NATS to come back before it gives up (exit 3); the batch goes on.
    int nats_outage_limit_sec = 60;
};

struct Config {
    ServerConfig server;
    NatsConfig nats;
    TlsConfig tls;
    SecurityConfig security;
    TelemetryConfig telemetry;
    AgentConfig agent;
    CliConfig cli;
    std::string source;  // the file that was read, or "" for none
};

// Environment variables by name.
using Environment = std::map<std::string, std::string>;

// A copy of this process's environment.
Environment current_environment();

// Reads `path` if it is non-empty (a missing file is then an error: not_found
// or io_error), then applies the OASIS__ variables in `env`, which win.
// Every problem found is reported at once, one per line, each starting with
// where it came from ("oasis.toml:3: ..." or "OASIS__NATS__URL: ..."), in a
// Code::invalid_argument status. A TOML syntax error names file:line:column.
// Files over 1 MiB or holding binary data are refused.
Result<Config> load_config(const std::string& path, const Environment& env);

// Which file load_config should read: `explicit_path` if non-empty, else
// $OASIS_CONFIG if set and non-empty, else "oasis.toml" if it exists in the
// working directory, else "/etc/oasis/oasis.toml" if it exists, else "" (use
// defaults and the environment only).
std::string find_config_file(const std::string& explicit_path,
                             const Environment& env);

// "env=prod, role=web" -> {env: prod, role: web}. Items are separated by
// commas and trimmed of spaces; the key ends at the first '='. Empty or blank
// text is an empty map. A bad item (no '=', empty key or value, invalid key
// or value, a repeated key) is an invalid_argument error that quotes it; an
// empty item ("a=1,,b=2") is named by its position. Several bad items are
// reported together, separated by "; ".
Result<StringMap> parse_labels(std::string_view text);

// "prod, web" -> {prod, web}, as for parse_labels; each item must be a valid
// group name and appear once.
Result<std::vector<std::string>> parse_list(std::string_view text);

// 1 to 64 characters of [A-Za-z0-9._-], not starting with '.' or '-', not
// ending with '.', without "..".
bool is_valid_agent_id(std::string_view id);
// That rule, as error messages state it.
extern const char kAgentIdRule[];

// 1 to 63 characters of [A-Za-z0-9._/-].
bool is_valid_label_key(std::string_view key);

// 1 to 255 bytes of valid UTF-8 without control characters.
bool is_valid_label_value(std::string_view value);

// As a label key: group names appear in selectors and in rollout strategies
// ("groups:canary,production"), where ',' and ':' are separators.
bool is_valid_group_name(std::string_view name);

}  // namespace oasis
