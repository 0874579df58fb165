// Loading oasis.toml and OASIS__* overrides into a checked Config.
//
// Both sources are turned into Inputs (a value plus where it came from) and
// go through the same table of settings, so a value is checked the same way
// whether it was written in the file or the environment. Problems are
// collected rather than returned at the first one, so an operator fixes the
// whole file in one pass.
#include "oasis/config.h"

#include "core/config_values.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

// toml++ 3.3 asserts preconditions that malformed input can break ("[@]",
// "a = [}"); its parser then rejects that input cleanly, as it does when
// built with NDEBUG. With the asserts on, a typo in oasis.toml would abort
// the process, so they are off here in every build type.
// TODO: drop this once we build against a toml++ with upstream PR 301.
// TODO: a non-ASCII character outside strings and comments ("é = 1") also
// reaches a __builtin_unreachable() in toml++ 3.3's whitespace table
// (upstream issue 295, fixed by PR 305). GCC 12's code happens to return
// false there, so the parser reports the character, but it is undefined
// behaviour until the library is upgraded.
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>

extern char** environ;

namespace oasis {

namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr int kMaxSeconds = 86400;
constexpr int kMaxTasks = 1024;
constexpr std::string_view kEnvPrefix = "OASIS__";

// The value rules this file applies (config_values.h).
using core::check_label;
using core::groups_from_items;
using core::is_control;
using core::is_nats_url;
using core::labels_from_text;
using core::lower;
using core::printable;
using core::quote;
using core::redact_url;
using core::split_items;
using core::trim;

// ---- Problems -------------------------------------------------------------

constexpr size_t kEnvLine = SIZE_MAX;  // environment problems sort last

// Where a value came from, and how a message names it.
struct Origin {
    std::string where;  // "oasis.toml:3" or "OASIS__NATS__URL"
    std::string what;   // "[nats] url" for file values, "" for variables
    size_t line = kEnvLine;
};

// Every problem found while loading, reported together at the end.
class Problems {
public:
    void add(size_t line, std::string text) {
        list_.emplace_back(line, std::move(text));
    }

    // "oasis.toml:3: [server] name must ..." or "OASIS__SERVER__NAME: must".
    void add(const Origin& origin, std::string_view message) {
        std::string text = origin.where + ": ";
        if (!origin.what.empty()) text += origin.what + " ";
        add(origin.line, text.append(message));
    }

    // As add(), for one bad item of a list: "[agent] groups: group ...".
    void add_item(const Origin& origin, std::string_view message) {
        std::string text = origin.where + ": ";
        if (!origin.what.empty()) text += origin.what + ": ";
        add(origin.line, text.append(message));
    }

    bool empty() const { return list_.empty(); }

    // The problems in file order, then the environment's, one per line.
    Status status() {
        std::stable_sort(list_.begin(), list_.end(),
                         [](const auto& a, const auto& b) {
                             return a.first < b.first;
                         });
        std::string message;
        for (const auto& [line, text] : list_) {
            if (!message.empty()) message += '\n';
            message += text;
        }
        return error(Code::invalid_argument, std::move(message));
    }

private:
    std::vector<std::pair<size_t, std::string>> list_;
};


// ---- Inputs ---------------------------------------------------------------

// One value as it arrived, before it is checked.
struct Input {
    enum class Kind { string, integer, boolean, array, table, other };

    Kind kind = Kind::string;
    std::string text;                // a string, or an integer or boolean
    std::vector<std::string> items;  // an array of strings
    std::vector<std::pair<std::string, std::string>> pairs;  // a table
    std::string shown;               // the value as a message quotes it
    Origin origin;
};

Input input_from_env(const std::string& name, const std::string& value) {
    Input in;
    in.text = value;
    in.shown = quote(value);
    in.origin.where = name;
    return in;
}

Input input_from_node(const toml::node& node, Origin origin) {
    Input in;
    in.origin = std::move(origin);
    if (auto s = node.value_exact<std::string>()) {
        in.text = *s;
        in.shown = quote(*s);
    } else if (auto i = node.value_exact<int64_t>()) {
        in.kind = Input::Kind::integer;
        in.text = in.shown = std::to_string(*i);
    } else if (auto b = node.value_exact<bool>()) {
        in.kind = Input::Kind::boolean;
        in.text = in.shown = *b ? "true" : "false";
    } else if (auto d = node.value_exact<double>()) {
        in.kind = Input::Kind::other;
        std::ostringstream os;
        os << *d;
        in.shown = os.str();
    } else if (const toml::array* array = node.as_array()) {
        in.kind = Input::Kind::array;
        in.shown = "an array";
        for (const toml::node& element : *array) {
            if (auto item = element.value_exact<std::string>()) {
                in.items.push_back(*item);
            } else {
                in.kind = Input::Kind::other;
                in.shown = "an array holding a non-string";
            }
        }
    } else if (const toml::table* table = node.as_table()) {
        in.kind = Input::Kind::table;
        in.shown = "a table";
        for (auto&& [key, value] : *table) {
            if (auto item = value.value_exact<std::string>()) {
                in.pairs.emplace_back(key.str(), *item);
            } else {
                in.kind = Input::Kind::other;
                in.shown = "a table holding a non-string";
            }
        }
    } else {
        in.kind = Input::Kind::other;
        in.shown = "a date or time";
    }
    return in;
}

// ---- Setters --------------------------------------------------------------

// A whole number in [lo, hi], from an integer or a string of digits.
std::optional<int> want_int(const Input& in, int lo, int hi,
                            Problems& problems) {
    std::string_view digits = trim(in.text);
    long long number = 0;
    bool ok = in.kind == Input::Kind::integer ||
              in.kind == Input::Kind::string;
    if (ok) {
        auto [end, ec] = std::from_chars(
                digits.data(), digits.data() + digits.size(), number);
        ok = !digits.empty() && ec == std::errc() &&
             end == digits.data() + digits.size();
    }
    if (ok && number >= lo && number <= hi) return static_cast<int>(number);

    problems.add(in.origin, "must be a whole number from " +
                                    std::to_string(lo) + " to " +
                                    std::to_string(hi) + ", got " + in.shown);
    return std::nullopt;
}

void set_int(const Input& in, int& out, int lo, int hi, Problems& problems) {
    if (auto number = want_int(in, lo, hi, problems)) out = *number;
}

void set_seconds(const Input& in, int& out, Problems& problems) {
    set_int(in, out, 1, kMaxSeconds, problems);
}

void set_bool(const Input& in, bool& out, Problems& problems) {
    std::string word = lower(trim(in.text));
    bool usable = in.kind == Input::Kind::boolean ||
                  in.kind == Input::Kind::string;
    if (usable && (word == "true" || word == "yes" || word == "on" ||
                   word == "1")) {
        out = true;
    } else if (usable && (word == "false" || word == "no" || word == "off" ||
                          word == "0")) {
        out = false;
    } else {
        problems.add(in.origin, "must be true or false, got " + in.shown);
    }
}

// A string without control characters; empty only if `allow_empty`.
void set_text(const Input& in, std::string& out, bool allow_empty,
              Problems& problems) {
    if (in.kind != Input::Kind::string) {
        problems.add(in.origin, "must be a string, got " + in.shown);
    } else if (in.text.empty() && !allow_empty) {
        problems.add(in.origin, "must not be empty");
    } else if (std::any_of(in.text.begin(), in.text.end(), is_control)) {
        problems.add(in.origin, "must not contain control characters, got " +
                                        in.shown);
    } else {
        out = in.text;
    }
}

// One of `choices`, compared case-insensitively and stored in lower case.
void set_choice(const Input& in, std::string& out,
                std::initializer_list<std::string_view> choices,
                Problems& problems) {
    std::string word = lower(trim(in.text));
    if (in.kind == Input::Kind::string &&
        std::find(choices.begin(), choices.end(), word) != choices.end()) {
        out = word;
        return;
    }
    std::string list;
    for (size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) list += i + 1 == choices.size() ? " or " : ", ";
        list += choices.begin()[i];
    }
    problems.add(in.origin, "must be " + list + ", got " + in.shown);
}

void set_identity(const Input& in, std::string& out, Problems& problems) {
    if (in.kind == Input::Kind::string && is_valid_agent_id(in.text)) {
        out = in.text;
        return;
    }
    problems.add(in.origin,
                 "must be 1 to 64 characters of A-Z a-z 0-9 . _ - not "
                 "starting with '.' or '-', got " + in.shown);
}

void set_urls(const Input& in, Config& config, Problems& problems) {
    std::vector<std::string> urls;
    std::vector<std::string> item_problems;
    if (in.kind == Input::Kind::string) {
        for (std::string_view url : split_items(in.text, "URL", item_problems))
            urls.emplace_back(url);
    } else if (in.kind == Input::Kind::array) {
        urls = in.items;
    } else {
        problems.add(in.origin, "must be a URL, a comma-separated list of "
                                "URLs or an array of them, got " + in.shown);
        return;
    }

    for (const std::string& url : urls) {
        if (!is_nats_url(url))
            item_problems.push_back(
                    quote(redact_url(url)) +
                    " is not a NATS URL; expected nats://HOST[:PORT] or "
                    "tls://HOST[:PORT]");
    }
    if (urls.empty() && item_problems.empty())
        problems.add(in.origin, "must name at least one NATS server");
    for (const std::string& text : item_problems)
        problems.add_item(in.origin, text);
    if (!urls.empty() && item_problems.empty()) config.nats.urls = urls;
}

void set_labels(const Input& in, Config& config, Problems& problems) {
    StringMap labels;
    std::vector<std::string> item_problems;
    if (in.kind == Input::Kind::string) {
        labels = labels_from_text(in.text, item_problems);
    } else if (in.kind == Input::Kind::table) {
        for (const auto& [key, value] : in.pairs) {
            size_t before = item_problems.size();
            check_label(key, value, key + "=" + value, labels, item_problems);
            if (item_problems.size() == before) labels.emplace(key, value);
        }
    } else {
        problems.add(in.origin, "must be a table of strings or a "
                                "\"key=value,...\" string, got " + in.shown);
        return;
    }
    for (const std::string& text : item_problems)
        problems.add_item(in.origin, text);
    if (item_problems.empty()) config.agent.labels = std::move(labels);
}

void set_groups(const Input& in, Config& config, Problems& problems) {
    std::vector<std::string> groups;
    std::vector<std::string> item_problems;
    if (in.kind == Input::Kind::string) {
        groups = groups_from_items(
                split_items(in.text, "group", item_problems), item_problems);
    } else if (in.kind == Input::Kind::array) {
        std::vector<std::string_view> items(in.items.begin(), in.items.end());
        groups = groups_from_items(items, item_problems);
    } else {
        problems.add(in.origin, "must be an array of strings or a "
                                "\"a,b,...\" string, got " + in.shown);
        return;
    }
    for (const std::string& text : item_problems)
        problems.add_item(in.origin, text);
    if (item_problems.empty()) config.agent.groups = std::move(groups);
}

// ---- The settings table ---------------------------------------------------

using Apply = void (*)(const Input&, Config&, Problems&);

struct Setting {
    std::string_view section;
    std::string_view key;
    Apply apply;
};

const Setting kSettings[] = {
    {"server", "name",
     [](const Input& in, Config& c, Problems& p) {
         set_identity(in, c.server.name, p);
     }},
    {"server", "heartbeat_ttl_sec",
     [](const Input& in, Config& c, Problems& p) {
         set_seconds(in, c.server.heartbeat_ttl_sec, p);
     }},
    {"server", "task_start_window_sec",
     [](const Input& in, Config& c, Problems& p) {
         set_seconds(in, c.server.task_start_window_sec, p);
     }},
    {"nats", "url", set_urls},
    {"tls", "certs_dir",
     [](const Input& in, Config& c, Problems& p) {
         set_text(in, c.tls.certs_dir, true, p);
     }},
    {"telemetry", "log_level",
     [](const Input& in, Config& c, Problems& p) {
         set_choice(in, c.telemetry.log_level,
                    {"debug", "info", "warn", "error"}, p);
     }},
    {"telemetry", "log_format",
     [](const Input& in, Config& c, Problems& p) {
         set_choice(in, c.telemetry.log_format, {"json", "text"}, p);
     }},
    {"telemetry", "log_no_ansi",
     [](const Input& in, Config& c, Problems& p) {
         set_bool(in, c.telemetry.log_no_ansi, p);
     }},
    {"agent", "id",
     [](const Input& in, Config& c, Problems& p) {
         set_identity(in, c.agent.id, p);
     }},
    {"agent", "labels", set_labels},
    {"agent", "groups", set_groups},
    {"agent", "heartbeat_interval_sec",
     [](const Input& in, Config& c, Problems& p) {
         set_seconds(in, c.agent.heartbeat_interval_sec, p);
     }},
    {"agent", "fact_collection_interval_sec",
     [](const Input& in, Config& c, Problems& p) {
         set_seconds(in, c.agent.fact_collection_interval_sec, p);
     }},
    {"agent", "state_dir",
     [](const Input& in, Config& c, Problems& p) {
         set_text(in, c.agent.state_dir, false, p);
     }},
    {"agent", "max_concurrent_tasks",
     [](const Input& in, Config& c, Problems& p) {
         set_int(in, c.agent.max_concurrent_tasks, 1, kMaxTasks, p);
     }},
};

constexpr std::string_view kSections[] = {"server", "nats", "tls",
                                          "telemetry", "agent"};

bool is_section(std::string_view name) {
    return std::find(std::begin(kSections), std::end(kSections), name) !=
           std::end(kSections);
}

const Setting* find_setting(std::string_view section, std::string_view key) {
    for (const Setting& setting : kSettings)
        if (setting.section == section && setting.key == key) return &setting;
    return nullptr;
}

// The Levenshtein distance, for "did you mean" hints on short names.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            diagonal = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
        }
    }
    return row[b.size()];
}

// "did you mean "x"?" for a near miss, else the list of what is known.
std::string hint(std::string_view name,
                 const std::vector<std::string_view>& known) {
    for (std::string_view candidate : known)
        if (edit_distance(name, candidate) <= 2)
            return "did you mean " + quote(candidate) + "?";
    std::string list;
    for (std::string_view candidate : known)
        list += (list.empty() ? "" : ", ") + std::string(candidate);
    return "expected one of " + list;
}

std::string unknown_section(std::string_view name) {
    std::vector<std::string_view> known(std::begin(kSections),
                                        std::end(kSections));
    return "unknown section " + quote(name) + "; " + hint(name, known);
}

std::string unknown_key(std::string_view section, std::string_view key) {
    std::vector<std::string_view> known;
    for (const Setting& setting : kSettings)
        if (setting.section == section) known.push_back(setting.key);
    return "unknown key " + quote(key) + " in [" + std::string(section) +
           "]; " + hint(key, known);
}

// ---- The file -------------------------------------------------------------

Status read_error(const std::string& path, int err) {
    Code code = err == ENOENT ? Code::not_found : Code::io_error;
    return error(code, "cannot read configuration file " + path + ": " +
                               std::strerror(err));
}

// The bytes of `path`, refusing anything but a small regular text file.
Result<std::string> read_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return read_error(path, errno);
    if (!S_ISREG(st.st_mode))
        return error(Code::invalid_argument,
                     path + ": not a regular file; expected oasis.toml");
    auto too_big = [&] {
        return error(Code::invalid_argument,
                     path + ": larger than 1 MiB; is this oasis.toml?");
    };
    if (static_cast<size_t>(st.st_size) > kMaxFileBytes) return too_big();

    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return read_error(path, errno);
    std::string bytes(kMaxFileBytes + 1, '\0');
    size_t used = 0;
    while (used < bytes.size()) {
        ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return read_error(path, err);
        }
        if (n == 0) break;
        used += static_cast<size_t>(n);
    }
    ::close(fd);
    if (used > kMaxFileBytes) return too_big();  // it grew under us
    bytes.resize(used);

    if (size_t nul = bytes.find('\0'); nul != std::string::npos)
        return error(Code::invalid_argument,
                     path + ": binary data (a NUL byte at offset " +
                             std::to_string(nul) + "); expected TOML text");
    return bytes;
}

Result<toml::table> parse_toml(const std::string& path,
                               const std::string& text) {
    try {
        return toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        std::string description = printable(e.description(), SIZE_MAX);
        return error(Code::invalid_argument,
                     path + ":" + std::to_string(begin.line) + ":" +
                             std::to_string(begin.column) +
                             ": invalid TOML: " + description);
    } catch (const std::exception& e) {
        return error(Code::invalid_argument,
                     path + ": cannot parse: " + std::string(e.what()));
    }
}

Origin file_origin(const std::string& path, const toml::source_region& at,
                   std::string what) {
    Origin origin;
    origin.line = at.begin.line;
    origin.where = path + ":" + std::to_string(at.begin.line);
    origin.what = std::move(what);
    return origin;
}

void apply_section(const std::string& path, std::string_view section,
                   const toml::table& table, Config& config,
                   Problems& problems) {
    for (auto&& [key, value] : table) {
        const Setting* setting = find_setting(section, key.str());
        if (setting == nullptr) {
            problems.add(file_origin(path, key.source(), ""),
                         unknown_key(section, key.str()));
            continue;
        }
        std::string what = "[" + std::string(section) + "] " +
                           std::string(key.str());
        Origin origin = file_origin(path, key.source(), std::move(what));
        setting->apply(input_from_node(value, std::move(origin)), config,
                       problems);
    }
}

void apply_file(const std::string& path, const toml::table& root,
                Config& config, Problems& problems) {
    for (auto&& [name, node] : root) {
        Origin at = file_origin(path, name.source(), "");
        const toml::table* table = node.as_table();
        if (is_section(name.str()) && table != nullptr) {
            apply_section(path, name.str(), *table, config, problems);
        } else if (is_section(name.str())) {
            problems.add(at, "[" + std::string(name.str()) +
                                     "] must be a table");
        } else if (table != nullptr) {
            problems.add(at, unknown_section(name.str()));
        } else {
            problems.add(at, "key " + quote(name.str()) +
                                     " must be inside a section such as "
                                     "[server]");
        }
    }
}

// ---- The environment ------------------------------------------------------

// The setting an OASIS__ variable names (without the prefix), or a problem.
const Setting* setting_for_variable(std::string_view rest,
                                    std::string& problem) {
    std::string name = lower(rest);
    if (name == "agent_id") return find_setting("agent", "id");
    if (name == "agent_labels") return find_setting("agent", "labels");
    if (name == "agent_groups") return find_setting("agent", "groups");

    size_t split = name.find("__");
    if (split == std::string::npos) {
        problem = "unknown variable; expected OASIS__<SECTION>__<KEY>, "
                  "OASIS__AGENT_ID, OASIS__AGENT_LABELS or "
                  "OASIS__AGENT_GROUPS";
        return nullptr;
    }
    std::string section = name.substr(0, split);
    std::string key = name.substr(split + 2);
    if (!is_section(section)) {
        problem = unknown_section(section);
        return nullptr;
    }
    const Setting* setting = find_setting(section, key);
    if (setting == nullptr) problem = unknown_key(section, key);
    return setting;
}

void apply_environment(const Environment& env, Config& config,
                       Problems& problems) {
    std::map<const Setting*, const std::string*> first_variable;
    for (const auto& [name, value] : env) {
        if (!name.starts_with(kEnvPrefix)) continue;

        std::string problem;
        const Setting* setting = setting_for_variable(
                std::string_view(name).substr(kEnvPrefix.size()), problem);
        if (setting == nullptr) {
            problems.add(kEnvLine, name + ": " + problem);
            continue;
        }

        // OASIS__AGENT_ID and OASIS__AGENT__ID name the same setting.
        auto [it, first] = first_variable.emplace(setting, &name);
        if (!first && env.at(*it->second) != value) {
            problems.add(kEnvLine, name + ": conflicts with " + *it->second +
                                           "; set only one of them");
            continue;
        }
        setting->apply(input_from_env(name, value), config, problems);
    }
}

// The hostname up to its first dot, or "oasis-server" if it is unusable.
std::string default_server_name() {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0) return "oasis-server";
    std::string name(buffer);
    name = name.substr(0, name.find('.'));
    return is_valid_agent_id(name) ? name : "oasis-server";
}

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

Environment current_environment() {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr;
         ++entry) {
        std::string_view text(*entry);
        size_t eq = text.find('=');
        if (eq == std::string_view::npos) continue;
        env.emplace(text.substr(0, eq), text.substr(eq + 1));
    }
    return env;
}

Result<Config> load_config(const std::string& path, const Environment& env) {
    Config config;
    Problems problems;

    if (!path.empty()) {
        Result<std::string> text = read_file(path);
        if (!text.ok()) return text.status();
        Result<toml::table> root = parse_toml(path, *text);
        if (!root.ok()) return root.status();
        apply_file(path, *root, config, problems);
        config.source = path;
    }

    apply_environment(env, config, problems);
    if (!problems.empty()) return problems.status();

    if (config.server.name.empty()) config.server.name = default_server_name();
    return config;
}

std::string find_config_file(const std::string& explicit_path,
                             const Environment& env) {
    if (!explicit_path.empty()) return explicit_path;
    if (auto it = env.find("OASIS_CONFIG");
        it != env.end() && !it->second.empty())
        return it->second;
    if (file_exists("oasis.toml")) return "oasis.toml";
    if (file_exists("/etc/oasis/oasis.toml")) return "/etc/oasis/oasis.toml";
    return "";
}


}  // namespace oasis