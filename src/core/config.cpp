// Loading oasis.toml and OASIS__* overrides into a checked Config.
//
// Both sources are turned into Inputs (a value plus where it came from) and
// go through the same table of settings (config_settings.h), so a value is
// checked the same way whether it was written in the file or the environment.
// Problems are collected rather than returned at the first one, so an
// operator fixes the whole file in one pass.
#include "oasis/config.h"

#include "core/config_settings.h"
#include "core/config_values.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>
#include <utility>

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
constexpr std::string_view kEnvPrefix = "OASIS__";

// The settings table and the problems it reports (config_settings.h).
using core::find_setting;
using core::Input;
using core::is_section;
using core::kEnvLine;
using core::Origin;
using core::Problems;
using core::Setting;
using core::unknown_key;
using core::unknown_section;

// The value rules this file uses (config_values.h).
using core::lower;
using core::printable;
using core::quote;

// ---- Inputs ---------------------------------------------------------------

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

// Keys not configured are looked for beside the certificates, where
// `oasis system init` puts them.
void default_key_paths(Config& config) {
    const std::string& dir = config.tls.certs_dir;
    if (dir.empty()) return;
    std::string prefix = dir.back() == '/' ? dir : dir + "/";
    SecurityConfig& security = config.security;
    if (!security.task_signing_key_configured)
        security.task_signing_key = prefix + "task-signing.key";
    if (!security.task_public_key_configured)
        security.task_public_key = prefix + "task-signing.pub";
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
    default_key_paths(config);
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