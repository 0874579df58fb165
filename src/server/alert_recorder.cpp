#include "alert_recorder.h"

#include "oasis/log.h"

namespace oasis::server {

namespace {

constexpr std::string_view kAlertPrefix = "oasis.alert.";
constexpr std::size_t kReasonBytes = 256;
constexpr std::size_t kIdBytes = 160;

}  // namespace

std::string AlertRecorder::on_message(std::string_view subject, std::string_view data,
                                      std::int64_t now_ms) {
    if (!subject.starts_with(kAlertPrefix)) return "malformed";
    const std::string agent(subject.substr(kAlertPrefix.size()));
    auto alert = wire::decode_alert(data);
    if (!alert.ok()) {
        log::warn("server", "alert.malformed",
                  {{"agent_id", agent}, {"error", alert.status().message()}});
        return "malformed";
    }
    if (alert->agent_id != agent) {
        log::warn("server", "alert.forged", {{"agent_id", agent}, {"claims", alert->agent_id}});
        return "forged";
    }
    if (alert->kind != "task_refused") {
        log::warn("server", "alert.unknown_kind",
                  {{"agent_id", agent}, {"kind", wire::shorten(alert->kind, 64)}});
        return "unknown_kind";
    }
    {
        std::lock_guard lock(mu_);
        Window& w = windows_[agent];
        if (now_ms - w.start_ms >= 60000) {
            if (w.dropped > 0)
                log::warn("server", "alert.rate_limited",
                          {{"agent_id", agent}, {"dropped", std::to_string(w.dropped)}});
            w = Window{now_ms, 0, 0};
        }
        if (w.stored >= kAlertsPerMinute) {
            ++w.dropped;
            return "rate_limited";
        }
        ++w.stored;
    }
    alert->reason = wire::shorten(std::move(alert->reason), kReasonBytes);
    alert->task_id = wire::shorten(std::move(alert->task_id), kIdBytes);
    alert->batch_id = wire::shorten(std::move(alert->batch_id), kIdBytes);
    if (Status st = store_(wire::stored_alert_subject(agent), wire::encode(*alert)); !st.ok()) {
        log::error("server", "alert.store_failed", {{"agent_id", agent}, {"error", st.message()}});
        return "store_failed";
    }
    return "stored";
}

}  // namespace oasis::server
