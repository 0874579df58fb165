// The settings table and the per-key rules behind it (config_settings.h).
//
// Each setting names the field it fills and how the value is checked: a
// number in a range, a boolean word, an identity, a list of NATS URLs and so
// on. The value rules themselves (labels, groups, URLs) live in
// config_values.h; this file adds the types a setting accepts and the
// messages that name where a bad value came from.
#include "core/config_settings.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <iterator>
#include <optional>

#include "core/config_values.h"

namespace oasis::core {

// ---- Problems -------------------------------------------------------------

void Problems::add(size_t line, std::string text) {
    list_.emplace_back(line, std::move(text));
}

void Problems::add(const Origin& origin, std::string_view message) {
    std::string text = origin.where + ": ";
    if (!origin.what.empty()) text += origin.what + " ";
    add(origin.line, text.append(message));
}

void Problems::add_item(const Origin& origin, std::string_view message) {
    std::string text = origin.where + ": ";
    if (!origin.what.empty()) text += origin.what + ": ";
    add(origin.line, text.append(message));
}

Status Problems::status() {
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

namespace {

constexpr int kMaxSeconds = 86400;
constexpr int kMaxTasks = 1024;

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
    problems.add(in.origin, std::string("must be ") + kAgentIdRule + ", got " + in.shown);
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
    {"security", "task_signing_key",
     [](const Input& in, Config& c, Problems& p) {
         set_text(in, c.security.task_signing_key, false, p);
         c.security.task_signing_key_configured = !c.security.task_signing_key.empty();
     }},
    {"security", "task_public_key",
     [](const Input& in, Config& c, Problems& p) {
         set_text(in, c.security.task_public_key, false, p);
         c.security.task_public_key_configured = !c.security.task_public_key.empty();
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
    {"cli", "nats_outage_limit_sec",
     [](const Input& in, Config& c, Problems& p) {
         set_seconds(in, c.cli.nats_outage_limit_sec, p);
     }},
};

constexpr std::string_view kSections[] = {"server", "nats", "tls", "security",
                                          "telemetry", "agent", "cli"};

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

}  // namespace

// ---- Finding a setting ---------------------------------------------------

bool is_section(std::string_view name) {
    return std::find(std::begin(kSections), std::end(kSections), name) !=
           std::end(kSections);
}

const Setting* find_setting(std::string_view section, std::string_view key) {
    for (const Setting& setting : kSettings)
        if (setting.section == section && setting.key == key) return &setting;
    return nullptr;
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

}  // namespace oasis::core
