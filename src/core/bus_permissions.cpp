// Bus: publishes and subscriptions that NATS refuses.
//
// NATS does not fail a refused publish or subscription: it drops it and
// sends -ERR 'Permissions Violation for Publish to "x"' some time later,
// which nats.c hands to the error handler on its own thread (NATS-NOTES
// 4.2). A request whose subject or reply inbox is refused would only time
// out. So the error handler records each violation here, and request() and
// subscribe() make one round trip to NATS after sending (NATS answers a
// PING only after handling everything sent before it, and nats.c reads the
// -ERR ahead of the PONG) and then look for a violation of their own.
#include "bus_impl.h"

namespace oasis {

namespace {

constexpr std::size_t kRecentViolations = 16;

bool same(const PermissionViolation& a, const PermissionViolation& b) {
    return a.kind == b.kind && a.subject == b.subject;
}

bool watched_for(const std::vector<PermissionViolation>& watched, const PermissionViolation& v) {
    for (const auto& w : watched)
        if (same(w, v)) return true;
    return false;
}

// The connection's last error text, if it reports a violation.
std::optional<PermissionViolation> connection_violation(natsConnection* nc) {
    const char* text = nullptr;
    if (natsConnection_GetLastError(nc, &text) != NATS_NOT_PERMITTED || !text) return {};
    // nats.c may rewrite this buffer on its own thread; a torn copy only
    // fails to parse or to match, and the caller then waits for the reply.
    return parse_permission_violation(std::string(text));
}

std::int64_t millis_until(Deadline deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return std::max<std::int64_t>(1, left.count());
}

}  // namespace

std::optional<PermissionViolation> parse_permission_violation(std::string_view text) {
    static constexpr std::string_view kPrefix = "Permissions Violation for ";
    auto at = text.find(kPrefix);
    if (at == std::string_view::npos) return {};
    text.remove_prefix(at + kPrefix.size());

    PermissionViolation v;
    if (text.starts_with("Publish to \"")) {
        v.kind = PermissionViolation::Kind::publish;
        text.remove_prefix(12);
    } else if (text.starts_with("Subscription to \"")) {
        v.kind = PermissionViolation::Kind::subscribe;
        text.remove_prefix(17);
    } else {
        return {};
    }
    auto quote = text.find('"');
    if (quote == std::string_view::npos || quote == 0) return {};
    v.subject = std::string(text.substr(0, quote));
    return v;
}

std::string refusal_message(const PermissionViolation& v, const std::string& identity) {
    const char* verb = v.kind == PermissionViolation::Kind::publish ? "publish" : "subscribe";
    return "NATS refused " + identity + " permission to " + verb + " to " + v.subject +
           ": check that this certificate belongs to this role, and nats-auth.conf";
}

void ConnectionEvents::record(PermissionViolation violation) {
    {
        std::lock_guard lock(mu);
        recent.emplace_back(++violations, std::move(violation));
        if (recent.size() > kRecentViolations) recent.pop_front();
    }
    cv.notify_all();
}

std::uint64_t ConnectionEvents::violation_count() {
    std::lock_guard lock(mu);
    return violations;
}

std::optional<PermissionViolation> ConnectionEvents::wait_for_violation(
    std::uint64_t after, const std::vector<PermissionViolation>& watched, Deadline until) {
    std::optional<PermissionViolation> found;
    std::unique_lock lock(mu);
    cv.wait_until(lock, until, [&] {
        for (const auto& [number, v] : recent) {
            if (number > after && watched_for(watched, v)) {
                found = v;
                return true;
            }
        }
        return false;
    });
    return found;
}

std::optional<Status> Bus::Impl::refusal(const std::vector<PermissionViolation>& watched,
                                         std::uint64_t mark, Deadline deadline) {
    // Not connected (yet): nothing has reached NATS to be refused, and a
    // flush would only wait; the caller's own wait decides.
    if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) return {};
    if (natsConnection_FlushTimeout(nc, millis_until(deadline)) != NATS_OK) return {};

    // The -ERR has been read; its handler may not have run yet. Wait for it
    // only when the connection's last error names one of ours, and for that
    // one: when a request's inbox and subject are both refused, the subject
    // (sent last) says more.
    auto last = connection_violation(nc);
    if (!last || !watched_for(watched, *last)) return {};
    auto soon = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    auto refused = events->wait_for_violation(mark, {*last}, soon);
    if (!refused) return {};  // an old violation of the same subject
    return error(Code::permission_denied, refusal_message(*refused, identity));
}

std::optional<PermissionViolation> Bus::last_permission_violation() const {
    std::lock_guard lock(impl_->events->mu);
    if (impl_->events->recent.empty()) return {};
    return impl_->events->recent.back().second;
}

}  // namespace oasis
