// Bus: long runs of JetStream messages with bounded memory. Reads go through
// a short-lived consumer on one subject; writes through a window of
// un-acknowledged asynchronous publishes.
#include "oasis/bus.h"

#include "bus_impl.h"
#include "oasis/json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <mutex>

namespace oasis {

namespace {

// The stream sequence, the stream time (ms) and the count still pending
// after this message, from a push consumer's ack subject: $JS.ACK.<stream>.<consumer>.<delivered>.
// <stream seq>.<consumer seq>.<time>.<pending> (NATS 2.9), or the same with
// a domain and an account hash before the stream and a token after.
bool parse_ack_subject(std::string_view reply, std::uint64_t& stream_seq, std::int64_t& time_ms,
                       std::uint64_t& pending) {
    std::vector<std::string_view> tokens;
    for (std::size_t at = 0;;) {
        auto dot = reply.find('.', at);
        tokens.push_back(reply.substr(at, dot - at));
        if (dot == std::string_view::npos) break;
        at = dot + 1;
    }
    std::size_t first = tokens.size() == 9 ? 2 : tokens.size() >= 11 ? 4 : 0;
    if (first == 0 || tokens[0] != "$JS" || tokens[1] != "ACK") return false;
    auto number = [](std::string_view t, std::uint64_t& out) {
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
        return ec == std::errc() && end == t.data() + t.size();
    };
    std::uint64_t nanos = 0;
    if (!number(tokens[first + 3], stream_seq) || !number(tokens[first + 5], nanos) ||
        !number(tokens[first + 6], pending))
        return false;
    time_ms = static_cast<std::int64_t>(nanos / 1000000);
    return true;
}

// The JetStream API's error, if the reply carries one.
std::optional<std::string> api_error(simdjson::dom::parser& parser, std::string_view reply,
                                     std::uint64_t* num_pending) {
    simdjson::dom::element doc;
    if (parser.parse(reply.data(), reply.size()).get(doc))
        return std::string("unreadable JetStream reply");
    simdjson::dom::element err;
    if (!doc["error"].get(err)) {
        std::string_view text;
        if (err["description"].get(text)) text = "unknown error";
        return std::string(text);
    }
    if (num_pending && doc["num_pending"].get(*num_pending)) *num_pending = 0;
    return std::nullopt;
}

bool has_wildcard(std::string_view subject) {
    return subject.find_first_of("*>") != std::string_view::npos;
}

// The body of a consumer create request: a push consumer on `subject`
// delivering to `deliver`. Without a window nothing is acknowledged; with
// one, at most `window` messages are in flight.
std::string consumer_request(std::string_view stream, std::string_view consumer,
                             std::string_view deliver, std::string_view subject,
                             std::uint64_t from_seq, std::size_t window) {
    std::string create;
    create += R"({"stream_name":)";
    append_json_string(create, stream);
    create += R"(,"config":{"name":)";
    append_json_string(create, consumer);
    create += R"(,"deliver_subject":)";
    append_json_string(create, deliver);
    create += R"(,"filter_subject":)";
    append_json_string(create, subject);
    create += R"(,"deliver_policy":"by_start_sequence","opt_start_seq":)" +
              std::to_string(std::max<std::uint64_t>(from_seq, 1));
    if (window == 0) {
        create += R"(,"ack_policy":"none")";
    } else {
        create += R"(,"ack_policy":"explicit","ack_wait":30000000000,"max_ack_pending":)" +
                  std::to_string(window);
    }
    create += R"(,"replay_policy":"instant","mem_storage":true,)"
              R"("inactive_threshold":30000000000}})";
    return create;
}

// Collects the first error an asynchronous publish's ack reported; nats.c
// calls on_publish_error on its own thread.
struct PublishFailures {
    std::mutex mu;
    Status first;
};

void on_publish_error(jsCtx*, jsPubAckErr* pae, void* closure) {
    auto& f = *static_cast<PublishFailures*>(closure);
    std::string subject = pae->Msg ? natsMsg_GetSubject(pae->Msg) : "";
    const char* text = pae->ErrText && *pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err);
    std::lock_guard lock(f.mu);
    if (!f.first.ok()) return;
    Code code = pae->ErrCode == JSStreamWrongLastSequenceErr ? Code::conflict : Code::unavailable;
    f.first = error(code, "publish to " + subject + ": " + text);
}

class NatsAsyncPublisher final : public AsyncPublisher {
public:
    NatsAsyncPublisher(jsCtx* js, std::unique_ptr<PublishFailures> failures)
        : js_(js), failures_(std::move(failures)) {}

    ~NatsAsyncPublisher() override {
        if (!finished_) (void)finish(std::chrono::seconds(5));
        jsCtx_Destroy(js_);
    }

    Status publish(std::string_view subject, std::string_view data) override {
        OASIS_RETURN_IF_ERROR(first_failure());
        std::string subj(subject);
        natsStatus s =
            js_PublishAsync(js_, subj.c_str(), data.data(), static_cast<int>(data.size()), nullptr);
        if (s == NATS_TIMEOUT)
            return error(Code::timeout, "publish to " + subj +
                                            ": JetStream acknowledged nothing in time (stalled)");
        return nats_status(s, "publish to " + subj);
    }

    Status finish(std::chrono::milliseconds timeout) override {
        finished_ = true;
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = std::max<std::int64_t>(timeout.count(), 1);
        natsStatus s = js_PublishAsyncComplete(js_, &po);
        if (s != NATS_OK) {
            // Taking the pending list stops the error handler from running
            // for them, so nothing is outstanding when this returns.
            natsMsgList list{};
            if (js_PublishAsyncGetPendingList(&list, js_) == NATS_OK) natsMsgList_Destroy(&list);
        }
        OASIS_RETURN_IF_ERROR(first_failure());
        if (s == NATS_TIMEOUT)
            return error(Code::timeout, "JetStream did not acknowledge every publish in time");
        return nats_status(s, "waiting for JetStream acknowledgements");
    }

private:
    Status first_failure() {
        std::lock_guard lock(failures_->mu);
        return failures_->first;
    }

    jsCtx* js_;
    std::unique_ptr<PublishFailures> failures_;  // outlives js_: see the destructor
    bool finished_ = false;
};

// One subject-scoped read (see Bus::read_subject_each); stops after `limit`.
Status scoped_read(Bus& bus, Bus::Impl& impl, std::string_view stream, std::string_view subject,
                   std::uint64_t from_seq, std::string_view consumer, std::size_t window,
                   std::size_t limit, const StoredMessageHandler& handler) {
    const std::string what = "read " + std::string(subject);
    const std::string deliver = bus.new_inbox();
    natsSubscription* sub = nullptr;
    if (auto s = natsConnection_SubscribeSync(&sub, impl.nc, deliver.c_str()); s != NATS_OK)
        return nats_status(s, what);
    natsSubscription_SetPendingLimits(sub, -1, 256 << 20);

    const std::string create =
        consumer_request(stream, consumer, deliver, subject, from_seq, window);
    // The filter goes in the API subject when it is one subject, so NATS
    // permissions can confine a reader to it; a wildcard cannot be sent.
    std::string create_api =
        "$JS.API.CONSUMER.CREATE." + std::string(stream) + "." + std::string(consumer);
    if (!has_wildcard(subject)) create_api += "." + std::string(subject);
    const std::string delete_api =
        "$JS.API.CONSUMER.DELETE." + std::string(stream) + "." + std::string(consumer);
    auto remove_consumer = [&] {
        natsMsg* r = nullptr;
        if (natsConnection_Request(&r, impl.nc, delete_api.c_str(), nullptr, 0, 2000) == NATS_OK)
            natsMsg_Destroy(r);
    };

    simdjson::dom::parser parser;
    std::uint64_t pending = 0;
    Status failure;
    // A consumer of that name left by a reader that died is in the way
    // once; it is removed and the create tried again.
    for (int attempt = 0; attempt < 2; ++attempt) {
        natsMsg* reply = nullptr;
        natsStatus s = natsConnection_Request(&reply, impl.nc, create_api.c_str(), create.data(),
                                              static_cast<int>(create.size()), 5000);
        if (s != NATS_OK) {
            failure = nats_status(s, what);
            break;
        }
        auto err =
            api_error(parser,
                      std::string_view(natsMsg_GetData(reply),
                                       static_cast<std::size_t>(natsMsg_GetDataLength(reply))),
                      &pending);
        natsMsg_Destroy(reply);
        if (!err) {
            failure = Status{};
            break;
        }
        failure = error(Code::unavailable, what + ": " + *err);
        remove_consumer();
    }
    if (!failure.ok()) {
        natsSubscription_Destroy(sub);
        return failure;
    }

    const std::uint64_t wanted = std::min<std::uint64_t>(pending, limit);
    std::uint64_t got = 0, last_seq = 0;
    while (got < wanted) {
        natsMsg* msg = nullptr;
        natsStatus s = natsSubscription_NextMsg(&msg, sub, 5000);
        if (s != NATS_OK) {
            failure = nats_status(s, what + " (after " + std::to_string(got) + " of " +
                                         std::to_string(wanted) + " messages)");
            break;
        }
        Message m = copy_message(msg);
        natsMsg_Destroy(msg);
        std::uint64_t left = 0;
        if (!parse_ack_subject(m.reply, m.stream_seq, m.time_ms, left))
            continue;  // not a stored message
        std::string ack = std::move(m.reply);
        m.reply.clear();
        if (m.stream_seq <= last_seq) {  // redelivered after a lost ack
            if (window > 0) natsConnection_Publish(impl.nc, ack.c_str(), nullptr, 0);
            continue;
        }
        last_seq = m.stream_seq;
        ++got;
        failure = handler(std::move(m));
        // Acknowledged once handled: NATS sends at most `window` messages
        // ahead of a slow handler, so memory stays bounded by the window.
        if (window > 0) natsConnection_Publish(impl.nc, ack.c_str(), nullptr, 0);
        if (!failure.ok() || left == 0) break;
    }
    // nats.c 3.4.1 may crash its read loop when a subscription is destroyed
    // while that loop is handing it a message (nats.c issue 637, fixed in
    // 3.6.0), which a read stopped early (a cancelled or timed-out file
    // transfer) does with up to `window` deliveries in flight. A flush after
    // the unsubscribe waits until the read loop has handled everything sent
    // before NATS took the unsubscribe, so nothing more arrives for it.
    natsSubscription_Unsubscribe(sub);
    (void)natsConnection_FlushTimeout(impl.nc, 2000);
    natsSubscription_Destroy(sub);
    remove_consumer();
    return failure;
}

}  // namespace

Result<std::vector<Message>> Bus::read_subject(std::string_view stream, std::string_view subject,
                                               std::uint64_t from_seq, std::string_view consumer,
                                               std::size_t limit) {
    std::vector<Message> out;
    Status st =
        scoped_read(*this, *impl_, stream, subject, from_seq, consumer, 0, limit, [&](Message&& m) {
            out.push_back(std::move(m));
            return Status{};
        });
    if (!st.ok()) return st;
    return out;
}

Status Bus::read_subject_each(std::string_view stream, std::string_view subject,
                              std::uint64_t from_seq, std::string_view consumer, std::size_t window,
                              const StoredMessageHandler& handler) {
    if (window == 0) return error(Code::invalid_argument, "read_subject_each: window must be > 0");
    return scoped_read(*this, *impl_, stream, subject, from_seq, consumer, window,
                       std::numeric_limits<std::size_t>::max(), handler);
}

Result<std::unique_ptr<AsyncPublisher>> Bus::start_publishing(
    std::size_t window, std::chrono::milliseconds stall_timeout) {
    if (window == 0) return error(Code::invalid_argument, "start_publishing: window must be > 0");
    auto failures = std::make_unique<PublishFailures>();
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = static_cast<int64_t>(window);
    jo.PublishAsync.ErrHandler = on_publish_error;
    jo.PublishAsync.ErrHandlerClosure = failures.get();
    jo.PublishAsync.StallWait = std::max<std::int64_t>(stall_timeout.count(), 1);
    jsCtx* js = nullptr;
    if (auto s = natsConnection_JetStream(&js, impl_->nc, &jo); s != NATS_OK)
        return nats_status(s, "jetstream context");
    return std::unique_ptr<AsyncPublisher>(new NatsAsyncPublisher(js, std::move(failures)));
}

}  // namespace oasis
