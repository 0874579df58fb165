// The process-wide logger: formats events itself and hands finished lines to
// an spdlog stderr sink with the pattern "%v", so spdlog only does the
// locking, writing and flushing. spdlog is included here and nowhere else.
#include "oasis/log.h"

#include "core/config_values.h"
#include "oasis/json.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace oasis::log {

namespace {

enum class Format { text, json };

struct Settings {
    Format format = Format::text;
    std::string role = "-";
    bool colour = false;
};

// The logger's state. Leaked on purpose, so that an event logged from a
// static destructor at exit still finds it.
struct Logger {
    Logger() {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        out = std::make_shared<spdlog::logger>("oasis", std::move(sink));
        out->set_pattern("%v");
        out->set_level(spdlog::level::trace);  // event() filters, not spdlog
    }

    std::atomic<int> threshold{static_cast<int>(Level::info)};
    std::mutex mutex;
    Settings settings;                    // guarded by mutex
    TestSink test;                        // guarded by mutex
    std::shared_ptr<spdlog::logger> out;  // set once, then used under mutex
};

Logger& logger() {
    static Logger* instance = new Logger();
    return *instance;
}

// ---- Escaping -------------------------------------------------------------

// `s` with each byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string replace_malformed(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8_sequence_length(s.substr(i));
        if (n == 0) {
            out += "\xef\xbf\xbd";
            n = 1;
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

// Appends `s` between double quotes with JSON escapes. A malformed UTF-8
// byte becomes U+FFFD: escaped as \ufffd in JSON, the character itself in
// text, so that both stay valid UTF-8.
void append_quoted(std::string& out, std::string_view s, Format format) {
    if (format == Format::json || is_valid_utf8(s))
        append_json_string(out, s);
    else
        append_json_string(out, replace_malformed(s));
}

// A text token is written bare unless it is empty or holds a space, a
// quote, a backslash, a control character or malformed UTF-8.
bool needs_quotes(std::string_view s) {
    if (s.empty()) return true;
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) return true;
        size_t n = utf8_sequence_length(s.substr(i));
        if (n == 0) return true;
        i += n;
    }
    return false;
}

void append_token(std::string& out, std::string_view s) {
    if (needs_quotes(s))
        append_quoted(out, s, Format::text);
    else
        out += s;
}

// ---- Lines ----------------------------------------------------------------

// 2026-12-04T16:00:00.123Z
std::string timestamp(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
    auto millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
    auto seconds = static_cast<std::time_t>((ms - millis) / 1000);

    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec, millis);
    return buffer;
}

std::string_view level_name(Level level) {
    switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    }
    return "info";
}

spdlog::level::level_enum spdlog_level(Level level) {
    switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

// "INFO " padded to five columns, with only the word coloured.
std::string level_column(Level level, bool colour) {
    static const char* const kUpper[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    static const char* const kColour[] = {"\x1b[36m", "\x1b[32m", "\x1b[33m",
                                          "\x1b[1;31m"};
    auto index = static_cast<size_t>(level);
    std::string word = kUpper[index];
    std::string padding(5 - word.size(), ' ');
    if (!colour) return word + padding;
    return kColour[index] + word + "\x1b[0m" + padding;
}

struct Event {
    Level level;
    std::string_view category;
    std::string_view name;
    std::initializer_list<Field> fields;
};

std::string json_line(const Settings& settings, const std::string& time,
                      const Event& e) {
    std::string line = "{\"ts\":\"" + time + "\",\"level\":\"";
    line.append(level_name(e.level));
    line += "\",\"role\":";
    append_quoted(line, settings.role, Format::json);
    line += ",\"cat\":";
    append_quoted(line, e.category, Format::json);
    line += ",\"event\":";
    append_quoted(line, e.name, Format::json);
    for (const Field& field : e.fields) {
        line += ',';
        append_quoted(line, field.key, Format::json);
        line += ':';
        append_quoted(line, field.value, Format::json);
    }
    return line + "}";
}

std::string text_line(const Settings& settings, const std::string& time,
                      const Event& e) {
    std::string line = time + " " + level_column(e.level, settings.colour);
    line += ' ';
    append_token(line, settings.role);
    line += ' ';
    append_token(line, e.category);
    line += ' ';
    append_token(line, e.name);
    for (const Field& field : e.fields) {
        line += ' ';
        append_token(line, field.key);
        line += '=';
        append_token(line, field.value);
    }
    return line;
}

bool is_role(std::string_view role) {
    if (role.empty() || role.size() > 32) return false;
    for (char c : role)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return false;
    return true;
}

std::string quoted(std::string_view s) {
    std::string out;
    append_quoted(out, s, Format::text);
    return out;
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
    std::string word = core::lower(name);
    for (Level level : {Level::debug, Level::info, Level::warn, Level::error})
        if (word == level_name(level)) return level;
    return std::nullopt;
}

Status init(const TelemetryConfig& cfg, std::string_view role) {
    std::optional<Level> level = parse_level(cfg.log_level);
    if (!level)
        return oasis::error(Code::invalid_argument,
                            "log_level must be debug, info, warn or error, "
                            "got " + quoted(cfg.log_level));
    std::string format = core::lower(cfg.log_format);
    if (format != "json" && format != "text")
        return oasis::error(Code::invalid_argument,
                            "log_format must be json or text, got " +
                                    quoted(cfg.log_format));
    if (!is_role(role))
        return oasis::error(Code::invalid_argument,
                            "log role must be 1 to 32 characters of a-z 0-9 "
                            "_ -, got " + quoted(role));

    Logger& state = logger();
    std::lock_guard lock(state.mutex);
    bool terminal = state.test.write ? state.test.terminal
                                     : ::isatty(STDERR_FILENO) == 1;
    state.settings.format = format == "json" ? Format::json : Format::text;
    state.settings.role = std::string(role);
    state.settings.colour = terminal && !cfg.log_no_ansi &&
                            state.settings.format == Format::text;
    state.threshold.store(static_cast<int>(*level));
    return Status::ok_status();
}

bool enabled(Level level) {
    return static_cast<int>(level) >= logger().threshold.load();
}

void event(Level level, std::string_view category, std::string_view name,
           std::initializer_list<Field> fields) noexcept {
    try {
        if (!enabled(level)) return;
        Logger& state = logger();
        Event e{level, category, name, fields};
        std::lock_guard lock(state.mutex);

        bool testing = static_cast<bool>(state.test.write);
        auto now = testing ? state.test.time : std::chrono::system_clock::now();
        std::string time = timestamp(now);
        std::string line = state.settings.format == Format::json
                                   ? json_line(state.settings, time, e)
                                   : text_line(state.settings, time, e);
        if (testing)
            state.test.write(line);
        else
            state.out->log(spdlog_level(level),
                           spdlog::string_view_t(line.data(), line.size()));
    } catch (...) {
        // Nowhere better to report it: the logger itself is what failed.
        std::fputs("oasis: could not write a log event\n", stderr);
    }
}

void set_sink_for_testing(TestSink sink) {
    Logger& state = logger();
    std::lock_guard lock(state.mutex);
    state.test = std::move(sink);
    state.settings = Settings{};
    state.threshold.store(static_cast<int>(Level::info));
}

}  // namespace oasis::log
