// Bus: connection, core publish/subscribe and request-reply over nats.c.
#include "oasis/bus.h"

#include "bus_impl.h"
#include "oasis/log.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <ctime>
#include <utility>

namespace oasis {

namespace {

void on_disconnected(natsConnection*, void* closure) {
    auto* events = static_cast<ConnectionEvents*>(closure);
    if (!events->closing) log::warn("bus", "nats.disconnected");
    events->fire("disconnected");
}

void on_reconnected(natsConnection* nc, void* closure) {
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    log::info("bus", "nats.reconnected", {{"url", url}});
    static_cast<ConnectionEvents*>(closure)->fire("reconnected");
}

void on_connected(natsConnection* nc, void* closure) {
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    log::info("bus", "nats.connected", {{"url", url}});
    static_cast<ConnectionEvents*>(closure)->fire("reconnected");
}

void on_closed(natsConnection*, void* closure) {
    static_cast<ConnectionEvents*>(closure)->fire("closed");
}

// Whether an asynchronous error is nats.c mending a stream follower (an
// ordered consumer): it missed the heartbeats NATS sends while idle, or
// failed to recreate the consumer and "will try again".
bool is_follower_stall(natsStatus err, const std::string& detail) {
    return err == NATS_MISSED_HEARTBEAT || detail.find("ordered consumer") != std::string::npos;
}

// Errors nats.c reports only asynchronously: permission violations, slow
// consumers, missed heartbeats of ordered consumers. nats.c sets the
// callback's own text as this thread's last error. A violation is recorded
// for request() and subscribe() (bus_permissions.cpp), which report it to
// their caller, so it is only a warning here.
void on_async_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure) {
    auto* events = static_cast<ConnectionEvents*>(closure);
    const char* text = nats_GetLastError(nullptr);
    std::string detail = text ? text : "";
    const char* subject = sub ? natsSubscription_GetSubject(sub) : nullptr;
    if (err == NATS_NOT_PERMITTED) {
        if (auto violation = parse_permission_violation(detail)) {
            events->record(*violation);
            log::warn("bus", "nats.permission_denied", {{"detail", detail}});
            return;
        }
    }
    if (is_follower_stall(err, detail)) {
        // While NATS is away every follower stalls every few seconds until
        // it is back, which nats.disconnected has said once already: debug.
        // Connected, a stall is news (JetStream itself is unwell), but it
        // is told at most once a minute (see ConnectionEvents::stalls).
        bool connected = natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
        std::uint64_t quiet = 0;
        bool warn = connected && events->may_warn_of_stall(quiet);
        log::event(warn ? log::Level::warn : log::Level::debug, "bus", "nats.follower_stalled",
                   {{"status", natsStatus_GetText(err)},
                    {"detail", detail},
                    {"subject", subject ? subject : ""},
                    {"stalls_since_last_warning", std::to_string(quiet)}});
        return;
    }
    log::error("bus", "nats.async_error",
               {{"status", natsStatus_GetText(err)},
                {"detail", detail},
                {"subject", subject ? subject : ""}});
}

}  // namespace

bool ConnectionEvents::may_warn_of_stall(std::uint64_t& unlogged) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    if (stalls.warned && now - *stalls.warned < std::chrono::minutes(1)) {
        ++stalls.unlogged;
        return false;
    }
    stalls.warned = now;
    unlogged = std::exchange(stalls.unlogged, 0);
    return true;
}

void ConnectionEvents::fire(std::string_view event) {
    std::function<void(std::string_view)> f;
    {
        std::lock_guard lock(mu);
        f = on_state;
    }
    try {
        if (f) f(event);
    } catch (...) {
    }
}

namespace {

// nats.c's last error without the place in its source it names first
// ("(sub.c:703): Timeout" -> "Timeout"): nothing an operator can act on.
std::string without_source_place(std::string text) {
    if (text.starts_with('(')) {
        auto end = text.find("): ");
        auto dot_c = text.find(".c:");
        if (end != std::string::npos && dot_c != std::string::npos && dot_c < end && end < 40)
            text.erase(0, end + 3);
    }
    return text;
}

}  // namespace

Status nats_status(natsStatus s, std::string_view what, jsErrCode js_err) {
    if (s == NATS_OK) return {};
    const char* last = nats_GetLastError(nullptr);
    std::string detail = without_source_place(last && *last ? last : natsStatus_GetText(s));
    std::string msg = std::string(what) + ": " + detail;
    switch (s) {
    case NATS_TIMEOUT: return error(Code::timeout, msg);
    case NATS_NOT_FOUND: return error(Code::not_found, msg);
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION: return error(Code::unavailable, msg);
    case NATS_NOT_PERMITTED: return error(Code::permission_denied, msg);
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD: return error(Code::invalid_argument, msg);
    default: break;
    }
    if (js_err == JSStreamWrongLastSequenceErr ||
        detail.find("wrong last sequence") != std::string::npos)
        return error(Code::conflict, msg);
    if (js_err == JSStreamNotFoundErr) return error(Code::not_found, msg);
    return error(Code::unavailable, msg);
}

Message copy_message(natsMsg* msg) {
    Message m;
    m.subject = natsMsg_GetSubject(msg);
    if (const char* data = natsMsg_GetData(msg))
        m.data.assign(data, static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    if (const char* reply = natsMsg_GetReply(msg)) m.reply = reply;
    return m;
}

void* new_subscription_closure(const std::shared_ptr<SubscriptionState>& state) {
    return new std::shared_ptr<SubscriptionState>(state);
}

void on_subscription_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto& state = **static_cast<std::shared_ptr<SubscriptionState>*>(closure);
    Message m = copy_message(msg);
    if (state.from_stream) {
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
            m.stream_seq = meta->Sequence.Stream;
            m.time_ms = meta->Timestamp / 1000000;
            jsMsgMetaData_Destroy(meta);
        }
    }
    natsMsg_Destroy(msg);

    state.delivering.store(std::this_thread::get_id());
    try {
        state.handler(std::move(m));
    } catch (const std::exception& e) {
        log::error("bus", "handler.exception", {{"what", e.what()}});
    } catch (...) {
        log::error("bus", "handler.exception", {{"what", "unknown"}});
    }
    state.delivering.store(std::thread::id());
}

void on_subscription_complete(void* closure) {
    auto* holder = static_cast<std::shared_ptr<SubscriptionState>*>(closure);
    {
        auto& state = **holder;
        std::lock_guard lock(state.mu);
        state.complete = true;
        state.cv.notify_all();
    }
    delete holder;
}

NatsSubscription::~NatsSubscription() {
    natsSubscription_Unsubscribe(sub_);
    if (state_->delivering.load() != std::this_thread::get_id()) {
        std::unique_lock lock(state_->mu);
        state_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return state_->complete; });
    }
    natsSubscription_Destroy(sub_);
}

Bus::Bus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Bus::~Bus() {
    {
        std::lock_guard lock(impl_->events->mu);
        impl_->events->on_state = nullptr;
    }
    impl_->events->closing = true;
    if (impl_->js) jsCtx_Destroy(impl_->js);
    if (impl_->nc) {
        natsConnection_Close(impl_->nc);
        natsConnection_Destroy(impl_->nc);
    }
}

Result<std::unique_ptr<Bus>> Bus::connect(const BusOptions& options) {
    OASIS_RETURN_IF_ERROR(open_bus_library());

    // TLS files are checked here, where each can be named with what to do,
    // rather than left to nats.c and the handshake to fail vaguely.
    auto own_cert =
        check_tls_setup(options.urls, options.tls, static_cast<std::int64_t>(std::time(nullptr)));
    if (!own_cert.ok()) return own_cert.status();

    auto* events = new ConnectionEvents;  // never freed; see ConnectionEvents
    events->on_state = options.on_state;

    natsOptions* opts = nullptr;
    if (auto s = natsOptions_Create(&opts); s != NATS_OK) return nats_status(s, "nats options");
    std::vector<const char*> urls;
    for (const auto& u : options.urls) urls.push_back(u.c_str());
    natsStatus s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
    if (s == NATS_OK && !options.name.empty()) s = natsOptions_SetName(opts, options.name.c_str());
    if (s == NATS_OK && !options.inbox_prefix.empty())
        s = natsOptions_SetCustomInboxPrefix(opts, options.inbox_prefix.c_str());
    if (s == NATS_OK && options.shared_delivery_threads)
        s = natsOptions_UseGlobalMessageDelivery(opts, true);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 500);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts, 250, 1000);
    if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 32 * 1024 * 1024);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, 10000);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, on_disconnected, events);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected, events);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, on_closed, events);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_async_error, events);
    if (s == NATS_OK && options.retry_initial_connect)
        // With a callback the connect returns at once and goes on in the
        // background; without one nats.c blocks until NATS answers.
        s = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, events);
    if (s != NATS_OK) {
        natsOptions_Destroy(opts);
        return nats_status(s, "nats options");
    }
    if (!options.tls.ca_file.empty()) {
        if (Status st = configure_tls(opts, options.tls); !st.ok()) {
            natsOptions_Destroy(opts);
            return st;
        }
    }

    auto impl = std::make_unique<Impl>();
    impl->events = events;
    impl->inbox_prefix = options.inbox_prefix;
    impl->identity = describe_identity(options.tls, *own_cert, options.name);
    impl->confirm_subscriptions = options.confirm_subscriptions;
    s = natsConnection_Connect(&impl->nc, opts);
    natsOptions_Destroy(opts);
    if (s == NATS_NOT_YET_CONNECTED) s = NATS_OK;  // retry_initial_connect: goes on in background
    if (s != NATS_OK) {
        const char* last = nats_GetLastError(nullptr);
        std::string detail = last ? last : natsStatus_GetText(s);
        std::string where = options.urls.empty() ? "" : options.urls.front();
        return error(Code::unavailable,
                     "cannot connect to NATS at " + where + ": " +
                         explain_connect_failure(s, detail, where, options.tls, impl->identity));
    }

    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    if (s = natsConnection_JetStream(&impl->js, impl->nc, &jo); s != NATS_OK) {
        natsConnection_Destroy(impl->nc);
        return nats_status(s, "jetstream context");
    }
    return std::unique_ptr<Bus>(new Bus(std::move(impl)));
}

Status Bus::publish(std::string_view subject, std::string_view data) {
    std::string subj(subject);
    natsStatus s = natsConnection_Publish(impl_->nc, subj.c_str(), data.data(),
                                          static_cast<int>(data.size()));
    return nats_status(s, "publish to " + subj);
}

Status Bus::publish_request(std::string_view subject, std::string_view reply,
                            std::string_view data) {
    std::string subj(subject), rep(reply);
    natsStatus s = natsConnection_PublishRequest(impl_->nc, subj.c_str(), rep.c_str(), data.data(),
                                                 static_cast<int>(data.size()));
    return nats_status(s, "publish to " + subj);
}

namespace {

// A synchronous subscription, destroyed (and so ended) with its owner.
struct SyncSubscription {
    natsSubscription* sub = nullptr;
    ~SyncSubscription() { natsSubscription_Destroy(sub); }
};

}  // namespace

// Each request has its own inbox subscription rather than nats.c's shared
// one, so that NATS refusing this subject or this inbox can be seen and
// reported at once (bus_permissions.cpp); it costs a SUB and an UNSUB.
Result<Message> Bus::request(std::string_view subject, std::string_view data,
                             std::chrono::milliseconds timeout) {
    const Deadline deadline = std::chrono::steady_clock::now() + timeout;
    const std::string subj(subject);
    const std::string inbox = new_inbox();
    const std::uint64_t mark = impl_->events->violation_count();

    SyncSubscription reply_sub;
    natsStatus s = natsConnection_SubscribeSync(&reply_sub.sub, impl_->nc, inbox.c_str());
    if (s == NATS_OK) s = natsSubscription_AutoUnsubscribe(reply_sub.sub, 1);
    if (s == NATS_OK)
        s = natsConnection_PublishRequest(impl_->nc, subj.c_str(), inbox.c_str(), data.data(),
                                          static_cast<int>(data.size()));
    if (s != NATS_OK) return nats_status(s, "request on " + subj);

    using Kind = PermissionViolation::Kind;
    if (auto refused =
            impl_->refusal({{Kind::publish, subj}, {Kind::subscribe, inbox}}, mark, deadline))
        return *refused;

    natsMsg* reply = nullptr;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    s = natsSubscription_NextMsg(&reply, reply_sub.sub, std::max<std::int64_t>(1, left.count()));
    if (s != NATS_OK) return nats_status(s, "request on " + subj);
    const bool nobody = natsMsg_IsNoResponders(reply);
    Message m = copy_message(reply);
    natsMsg_Destroy(reply);
    if (nobody) return error(Code::unavailable, "request on " + subj + ": no responders");
    return m;
}

Result<std::unique_ptr<Subscription>> Bus::subscribe(std::string_view subject,
                                                     std::string_view queue_group,
                                                     MessageHandler handler) {
    const std::uint64_t mark = impl_->events->violation_count();
    auto state = std::make_shared<SubscriptionState>();
    state->handler = std::move(handler);
    void* closure = new_subscription_closure(state);
    std::string subj(subject), queue(queue_group);

    natsSubscription* sub = nullptr;
    natsStatus s = queue.empty()
                       ? natsConnection_Subscribe(&sub, impl_->nc, subj.c_str(),
                                                  on_subscription_message, closure)
                       : natsConnection_QueueSubscribe(&sub, impl_->nc, subj.c_str(),
                                                       queue.c_str(), on_subscription_message,
                                                       closure);
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, on_subscription_complete, closure);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, 1 << 20, 1 << 30);
    if (s != NATS_OK) {
        Status st = nats_status(s, "subscribe to " + subj);
        if (sub) {
            natsSubscription_Unsubscribe(sub);
            natsSubscription_Destroy(sub);
        }
        return st;  // the closure leaks only on this rare path; see on_subscription_complete
    }
    auto owned = std::unique_ptr<Subscription>(new NatsSubscription(sub, state));

    if (impl_->confirm_subscriptions) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        PermissionViolation mine{PermissionViolation::Kind::subscribe, subj};
        if (auto refused = impl_->refusal({mine}, mark, deadline)) return *refused;
    }
    return owned;
}

Status Bus::flush(std::chrono::milliseconds timeout) {
    return nats_status(natsConnection_FlushTimeout(impl_->nc, timeout.count()), "flush");
}

std::string Bus::new_inbox() {
    if (!impl_->inbox_prefix.empty()) {
        natsInbox* inbox = nullptr;
        natsInbox_Create(&inbox);
        std::string tail = inbox ? inbox : "";
        natsInbox_Destroy(inbox);
        auto dot = tail.rfind('.');
        return impl_->inbox_prefix + "." + tail.substr(dot == std::string::npos ? 0 : dot + 1);
    }
    natsInbox* inbox = nullptr;
    natsInbox_Create(&inbox);
    std::string out = inbox ? inbox : "";
    natsInbox_Destroy(inbox);
    return out;
}

std::int64_t Bus::max_payload() const { return natsConnection_GetMaxPayload(impl_->nc); }

bool Bus::connected() const {
    return natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED;
}

bool Bus::closed() const { return natsConnection_IsClosed(impl_->nc); }

void Bus::close() {
    impl_->events->closing = true;
    natsConnection_Close(impl_->nc);
}

// nats.c 3.4.1's exit handler frees OpenSSL's list of compression methods
// behind OpenSSL's back, and nats.c frees a closed connection's TLS context
// on threads of its own, which may still run while the process exits. So
// OpenSSL gets no exit handler at all (OPENSSL_INIT_NO_ATEXIT): its cleanup
// at exit would free memory twice, or under those threads (a crash now and
// then as a CLI over TLS exited). The process's memory goes back to the
// system anyway. OpenSSL settles the question at its first use, whatever
// that is (the CLI reads its own certificate before it connects), so it
// is settled here, before main, in every program that holds a Bus.
namespace {
const bool openssl_without_exit_handler =
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
}  // namespace

Status open_bus_library() {
    if (!openssl_without_exit_handler)
        return error(Code::internal, "OpenSSL could not be initialised");
    return nats_status(nats_Open(-1), "open the NATS library");
}

void shutdown_bus_library() { nats_CloseAndWait(2000); }

}  // namespace oasis
