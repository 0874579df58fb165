// The rules for single configuration values (see config_values.h), and the
// public checks in oasis/config.h that are built on them.
#include "core/config_values.h"

#include <algorithm>
#include <charconv>

#include "oasis/config.h"
#include "oasis/json.h"

namespace oasis {

namespace core {

namespace {

constexpr size_t kMaxShownBytes = 64;
constexpr char kKeyRule[] = "must be 1 to 63 characters of A-Z a-z 0-9 . _ / -";

}  // namespace

// ---- Characters -----------------------------------------------------------

bool is_control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string printable(std::string_view s, size_t limit) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (i >= limit) return out + "...";
        char c = s[i];
        size_t n = utf8_sequence_length(s.substr(i));
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (n == 0 || is_control(c)) {
            auto u = static_cast<unsigned char>(c);
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        } else {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        ++i;
    }
    return out;
}

std::string quote(std::string_view s) {
    return "\"" + printable(s, kMaxShownBytes) + "\"";
}

// ---- Labels and lists -----------------------------------------------------

std::vector<std::string_view> split_items(std::string_view text,
                                          std::string_view noun,
                                          std::vector<std::string>& problems) {
    std::vector<std::string_view> items;
    if (trim(text).empty()) return items;

    size_t count = static_cast<size_t>(
            std::count(text.begin(), text.end(), ',') + 1);
    size_t position = 1;
    for (size_t start = 0;; ++position) {
        size_t comma = text.find(',', start);
        std::string_view item = trim(text.substr(start, comma - start));
        if (item.empty())
            problems.push_back(std::string(noun) + " " +
                               std::to_string(position) + " of " +
                               std::to_string(count) + " is empty");
        else
            items.push_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return items;
}

void check_label(std::string_view key, std::string_view value,
                 std::string_view item, const StringMap& seen,
                 std::vector<std::string>& problems) {
    if (key.empty()) {
        problems.push_back("label " + quote(item) + " has an empty key");
    } else if (!is_valid_label_key(key)) {
        problems.push_back("label key " + quote(key) + " " + kKeyRule);
    } else if (seen.count(key) != 0) {
        problems.push_back("label key " + quote(key) + " appears twice");
    }

    if (value.empty()) {
        problems.push_back("label " + quote(item) + " has an empty value");
    } else if (!is_valid_label_value(value)) {
        problems.push_back("label " + quote(key) +
                           " value must be at most 255 bytes of UTF-8 "
                           "without control characters, got " +
                           quote(value));
    }
}

namespace {

void check_group(std::string_view name,
                 const std::vector<std::string>& seen,
                 std::vector<std::string>& problems) {
    if (!is_valid_group_name(name)) {
        problems.push_back("group " + quote(name) + " " + kKeyRule);
    } else if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
        problems.push_back("group " + quote(name) + " appears twice");
    }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty()) out += sep;
        out += part;
    }
    return out;
}

}  // namespace

StringMap labels_from_text(std::string_view text,
                           std::vector<std::string>& problems) {
    StringMap labels;
    for (std::string_view item : split_items(text, "label", problems)) {
        size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
            problems.push_back("label " + quote(item) + " is not key=value");
            continue;
        }
        std::string_view key = trim(item.substr(0, eq));
        std::string_view value = trim(item.substr(eq + 1));
        size_t before = problems.size();
        check_label(key, value, item, labels, problems);
        if (problems.size() == before) labels.emplace(key, value);
    }
    return labels;
}

std::vector<std::string> groups_from_items(
        const std::vector<std::string_view>& items,
        std::vector<std::string>& problems) {
    std::vector<std::string> groups;
    for (std::string_view item : items) {
        size_t before = problems.size();
        check_group(item, groups, problems);
        if (problems.size() == before) groups.emplace_back(item);
    }
    return groups;
}

// ---- NATS URLs ------------------------------------------------------------

std::string redact_url(std::string_view url) {
    size_t scheme = url.find("://");
    size_t at = url.rfind('@');
    if (scheme == std::string_view::npos || at == std::string_view::npos ||
        at < scheme)
        return std::string(url);
    return std::string(url.substr(0, scheme + 3)) + "***" +
           std::string(url.substr(at));
}

namespace {

bool is_port(std::string_view port) {
    int number = 0;
    const char* last = port.data() + port.size();
    auto [end, ec] = std::from_chars(port.data(), last, number);
    return ec == std::errc() && end == last && number >= 1 && number <= 65535;
}

}  // namespace

bool is_nats_url(std::string_view url) {
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string scheme = lower(url.substr(0, scheme_end));
    if (scheme != "nats" && scheme != "tls") return false;

    std::string_view rest = url.substr(scheme_end + 3);
    if (rest.ends_with('/')) rest.remove_suffix(1);
    if (size_t at = rest.rfind('@'); at != std::string_view::npos)
        rest.remove_prefix(at + 1);
    for (char c : rest)
        if (is_control(c) || c == ' ' || c == '/' || c == '@') return false;

    std::string_view host = rest;
    std::string_view port;
    if (rest.starts_with('[')) {
        size_t close = rest.find(']');
        if (close == std::string_view::npos) return false;
        host = rest.substr(1, close - 1);
        std::string_view after = rest.substr(close + 1);
        if (after.empty()) return !host.empty();
        if (after[0] != ':') return false;
        port = after.substr(1);
    } else if (size_t colon = rest.find(':');
               colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    } else {
        return !host.empty();
    }
    return !host.empty() && is_port(port);
}

}  // namespace core

namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

}  // namespace

Result<StringMap> parse_labels(std::string_view text) {
    std::vector<std::string> problems;
    StringMap labels = core::labels_from_text(text, problems);
    if (!problems.empty())
        return error(Code::invalid_argument, core::join(problems, "; "));
    return labels;
}

Result<std::vector<std::string>> parse_list(std::string_view text) {
    std::vector<std::string> problems;
    std::vector<std::string> groups = core::groups_from_items(
            core::split_items(text, "group", problems), problems);
    if (!problems.empty())
        return error(Code::invalid_argument, core::join(problems, "; "));
    return groups;
}

const char kAgentIdRule[] =
    "1 to 64 characters of A-Z a-z 0-9 . _ - not starting with '.' or '-', not ending with "
    "'.', without '..'";

bool is_valid_agent_id(std::string_view id) {
    // Dots separate NATS subject tokens, and an id is part of the agent's
    // subjects: no empty token, so no trailing or doubled dot.
    if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-' || id.back() == '.' ||
        id.find("..") != std::string_view::npos)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '_' || c == '-';
    });
}

bool is_valid_label_key(std::string_view key) {
    if (key.empty() || key.size() > 63) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '_' || c == '/' || c == '-';
    });
}

bool is_valid_label_value(std::string_view value) {
    return !value.empty() && value.size() <= 255 && is_valid_utf8(value) &&
           std::none_of(value.begin(), value.end(), core::is_control);
}

bool is_valid_group_name(std::string_view name) {
    return is_valid_label_key(name);
}

}  // namespace oasis
