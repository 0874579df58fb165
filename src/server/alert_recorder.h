// AlertRecorder: agents' alerts into the audit trail, by the server.
//
// An agent publishes an alert as a core message on oasis.alert.<its id>
// (the only alert subject NATS lets it use). If the audit stream captured
// those subjects itself, any one agent could fill it with large or endless
// alerts and push every operator record out (it keeps 1 GiB, dropping the
// oldest). So one server (a queue group) checks each alert and stores it
// on oasis.audit.alert.<id>: it must decode, name the agent of its
// subject and be of a known kind; its texts are cut short; and an agent
// gets at most kAlertsPerMinute stored a minute (the rest are counted and
// logged once a minute).
#pragma once

#include "oasis/audit.h"

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace oasis::server {

class AlertRecorder {
public:
    static constexpr int kAlertsPerMinute = 60;

    // `store` keeps an accepted alert (publishes it to the audit stream).
    explicit AlertRecorder(std::function<Status(const std::string& subject,
                                                const std::string& data)> store)
        : store_(std::move(store)) {}

    // One message from oasis.alert.>, received at `now_ms`. Returns what
    // became of it: "stored", "malformed", "forged", "unknown_kind",
    // "rate_limited" or "store_failed".
    std::string on_message(std::string_view subject, std::string_view data, std::int64_t now_ms);

private:
    struct Window {
        std::int64_t start_ms = 0;
        int stored = 0;
        int dropped = 0;
    };
    std::function<Status(const std::string&, const std::string&)> store_;
    std::mutex mu_;
    std::unordered_map<std::string, Window> windows_;  // per agent id
};

}  // namespace oasis::server
