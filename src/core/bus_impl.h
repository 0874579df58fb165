// The private half of Bus: nats.c handles and the helpers both bus files share.
#pragma once

#include "oasis/bus.h"
#include "oasis/pki.h"

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace oasis {

// Turns a nats.c status into a Status that says what failed ("what") and,
// where the cause is known, what to do.
Status nats_status(natsStatus s, std::string_view what, jsErrCode js_err = jsErrCode(0));

// Copies a nats.c message (its subject, data and reply) into a Message.
Message copy_message(natsMsg* msg);

// State shared between a Subscription and the nats.c callbacks of its
// subscription. Lives until both the owner and the library are done with it.
struct SubscriptionState {
    MessageHandler handler;
    bool from_stream = false;  // read stream metadata off each message
    std::mutex mu;
    std::condition_variable cv;
    bool complete = false;  // the library will not call the handler again
    std::atomic<std::thread::id> delivering{};
};

// The C callbacks of every subscription; the closure is a heap-allocated
// std::shared_ptr<SubscriptionState> that on_subscription_complete frees.
void on_subscription_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
void on_subscription_complete(void* closure);

class NatsSubscription final : public Subscription {
public:
    NatsSubscription(natsSubscription* sub, std::shared_ptr<SubscriptionState> state)
        : sub_(sub), state_(std::move(state)) {}
    ~NatsSubscription() override;

private:
    natsSubscription* sub_;
    std::shared_ptr<SubscriptionState> state_;
};

// Allocates the C closure for a new subscription; see on_subscription_complete.
void* new_subscription_closure(const std::shared_ptr<SubscriptionState>& state);

using Deadline = std::chrono::steady_clock::time_point;

// Connection callbacks may fire during and after natsConnection_Destroy
// (nats.c issue 735), so this closure is never freed: a few bytes per
// connection; the Bus detaches the callable when it goes away.
struct ConnectionEvents {
    std::mutex mu;
    std::function<void(std::string_view)> on_state;
    std::atomic<bool> closing{false};  // a deliberate close: nothing to warn about

    // Permission violations, recorded by the error handler on a nats.c
    // thread, numbered from 1; `cv` wakes whoever waits for one.
    std::condition_variable cv;
    std::uint64_t violations = 0;  // how many so far; guarded by mu
    std::deque<std::pair<std::uint64_t, PermissionViolation>> recent;  // the last few; mu

    // Follower stalls warned of (see on_async_error in bus.cpp); mu.
    struct {
        std::optional<std::chrono::steady_clock::time_point> warned;  // the last warning
        std::uint64_t unlogged = 0;  // stalls since then that were not warned of
    } stalls;

    void fire(std::string_view event);
    // Whether a follower stall may be warned of now (one a minute); when
    // it may, `unlogged` is set to how many were not since the last.
    bool may_warn_of_stall(std::uint64_t& unlogged);
    void record(PermissionViolation violation);
    std::uint64_t violation_count();
    // Waits until `until` for a violation numbered above `after` that is
    // one of `watched`; nullopt when none came.
    std::optional<PermissionViolation> wait_for_violation(
        std::uint64_t after, const std::vector<PermissionViolation>& watched, Deadline until);
};

struct Bus::Impl {
    ConnectionEvents* events = nullptr;
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    std::string inbox_prefix;
    std::string identity;  // who NATS sees, for messages; see describe_identity
    bool confirm_subscriptions = true;

    // The permission_denied error for the first of `watched` that NATS
    // refused after violation number `mark`, or nullopt. Makes one round
    // trip to NATS (bounded by `deadline`) so that NATS has answered
    // everything sent before; nullopt when that fails (disconnected, slow).
    std::optional<Status> refusal(const std::vector<PermissionViolation>& watched,
                                  std::uint64_t mark, Deadline deadline);
};

// --- TLS and connect errors (bus_tls.cpp) ---

// Checks a connection's TLS set-up before nats.c sees it: a tls:// URL
// needs TLS files (nats.c 3.4.1 would speak plaintext to it without);
// each file can be read, and ca_file and cert_file hold a PEM certificate
// valid at `now` (unix seconds). Returns what our certificate says of its
// holder (empty without TLS), or invalid_argument naming the URL or file,
// the cause and what to do.
Result<CertInfo> check_tls_setup(const std::vector<std::string>& urls, const TlsFiles& tls,
                                 std::int64_t now);

// Sets up mutual TLS on `opts`: NATS is checked against tls.ca_file, and
// we show tls.cert_file. Call check_tls_setup first.
Status configure_tls(natsOptions* opts, const TlsFiles& tls);

// Who a connection is to NATS, for messages: "the certificate <file>
// (CN=<cn>)" with TLS, else "connection \"<name>\"" (or "this
// connection" without a name).
std::string describe_identity(const TlsFiles& tls, const CertInfo& cert, const std::string& name);

// Why the first connect to `url` failed, as one line with what to do:
// nats.c's status and its last error text (`detail`) in.
std::string explain_connect_failure(natsStatus s, std::string_view detail, std::string_view url,
                                    const TlsFiles& tls, const std::string& identity);

// --- permissions (bus_permissions.cpp) ---

// The violation nats.c's error text reports ("Permissions Violation for
// Publish to \"x\"", "... for Subscription to \"x\" using queue \"q\""),
// or nullopt for any other text.
std::optional<PermissionViolation> parse_permission_violation(std::string_view text);

// "NATS refused <identity> permission to publish to <subject>: ..."
std::string refusal_message(const PermissionViolation& violation, const std::string& identity);

}  // namespace oasis
