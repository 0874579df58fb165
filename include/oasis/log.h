// Structured logging: one event per line on stderr, as JSON or text.
//
//   log::info("exec", "batch.created", {{"batch_id", id},
//                                       {"targets", std::to_string(n)}});
//
// json: {"ts":"2026-12-04T16:00:00.123Z","level":"info","role":"server",
//        "cat":"exec","event":"batch.created","batch_id":"b-1","targets":"3"}
// text: 2026-12-04T16:00:00.123Z INFO  server exec batch.created batch_id=b-1
//       targets=3
//
// The category names the module ("bus", "registry", "exec"); the event is a
// dotted name ("batch.created"); field values are already formatted. Field
// keys should be snake_case and must not be ts, level, role, cat or event.
// Never put a secret in a field.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "oasis/config.h"
#include "oasis/status.h"

namespace oasis::log {

enum class Level { debug, info, warn, error };

struct Field {
    std::string_view key;
    std::string value;
};

// "debug", "info", "warn" or "error" (any case); nullopt for anything else.
std::optional<Level> parse_level(std::string_view name);

// Configures the process-wide logger from cfg.log_level, cfg.log_format and
// cfg.log_no_ansi; `role` ("server", "agent", "cli") is stamped on every
// line. Call once at start-up, before other threads log; a later call
// replaces the settings. An invalid setting is an invalid_argument error and
// leaves the logger as it was. Until init() succeeds, events at info and
// above go to stderr as text with role "-".
Status init(const TelemetryConfig& cfg, std::string_view role);

// Whether an event at `level` would be written. Thread-safe.
bool enabled(Level level);

// Writes one line for the event if its level is enabled. Every string is
// escaped so that the event stays on one line. Thread-safe; never throws.
void event(Level level, std::string_view category, std::string_view name,
           std::initializer_list<Field> fields = {}) noexcept;

inline void debug(std::string_view category, std::string_view name,
                  std::initializer_list<Field> fields = {}) noexcept {
    event(Level::debug, category, name, fields);
}

inline void info(std::string_view category, std::string_view name,
                 std::initializer_list<Field> fields = {}) noexcept {
    event(Level::info, category, name, fields);
}

inline void warn(std::string_view category, std::string_view name,
                 std::initializer_list<Field> fields = {}) noexcept {
    event(Level::warn, category, name, fields);
}

inline void error(std::string_view category, std::string_view name,
                  std::initializer_list<Field> fields = {}) noexcept {
    event(Level::error, category, name, fields);
}

// For tests: where lines go instead of stderr, and what they see.
struct TestSink {
    // Receives each line without its newline; called under the logger's
    // lock, so it must not log.
    std::function<void(std::string_view line)> write;
    // Stamped on every line instead of the current time.
    std::chrono::system_clock::time_point time{};
    // Whether to behave as if stderr were a terminal (colour).
    bool terminal = false;
};

// Routes lines to `sink` (or back to stderr if sink.write is empty) and
// forgets any init(), so each test starts from the pre-init state. Not for
// use while other threads log.
void set_sink_for_testing(TestSink sink);

}  // namespace oasis::log
