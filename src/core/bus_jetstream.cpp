// Bus: JetStream streams, acknowledged publishes, direct reads, followers
// and the small key-value surface Oasis uses.
#include "oasis/bus.h"

#include "bus_impl.h"
#include "oasis/json.h"
#include "oasis/log.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <ctime>
#include <deque>
#include <thread>
#include <unordered_map>

namespace oasis {

namespace {

constexpr std::int64_t kNanosPerSecond = 1000000000;

// "2026-12-04T16:00:00.123456789Z" -> milliseconds since the epoch, or 0.
std::int64_t parse_stream_time(const char* text) {
    if (!text) return 0;
    std::tm tm{};
    int frac_start = 0;
    if (std::sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &frac_start) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
    const char* p = text + frac_start;
    if (*p == '.') {
        int digits = 0, frac = 0;
        for (++p; *p >= '0' && *p <= '9'; ++p, ++digits)
            if (digits < 3) frac = frac * 10 + (*p - '0');
        while (digits++ < 3) frac *= 10;
        ms += frac;
    }
    return ms;
}

// A directly read stream message: its headers say where it was stored.
Message copy_stored_message(natsMsg* msg) {
    Message m = copy_message(msg);
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Subject", &value) == NATS_OK && value) m.subject = value;
    if (natsMsgHeader_Get(msg, "Nats-Sequence", &value) == NATS_OK && value)
        m.stream_seq = std::strtoull(value, nullptr, 10);
    if (natsMsgHeader_Get(msg, "Nats-Time-Stamp", &value) == NATS_OK)
        m.time_ms = parse_stream_time(value);
    return m;
}

// The message and publish options for one JetStream publish: the
// expectation header for first-writer-wins or compare-and-swap, and the
// de-duplication id. `po` borrows options.msg_id.
natsStatus prepare_publish(natsMsg** msg, jsPubOptions* po, const std::string& subject,
                           std::string_view data, const PublishOptions& options) {
    jsPubOptions_Init(po);
    if (!options.msg_id.empty()) po->MsgId = options.msg_id.c_str();
    natsStatus s = natsMsg_Create(msg, subject.c_str(), nullptr, data.data(),
                                  static_cast<int>(data.size()));
    std::optional<std::uint64_t> expected = options.expected_last_subject_seq;
    if (options.only_if_subject_empty) expected = 0;
    if (s == NATS_OK && expected) {
        s = natsMsgHeader_Set(*msg, "Nats-Expected-Last-Subject-Sequence",
                              std::to_string(*expected).c_str());
    }
    for (const auto& [name, value] : options.headers)
        if (s == NATS_OK) s = natsMsgHeader_Set(*msg, name.c_str(), value.c_str());
    return s;
}

bool should_retry(natsStatus s) {
    return s == NATS_NO_RESPONDERS || s == NATS_TIMEOUT;
}

// What the acks of one js_publish_each call have said so far. Acks for one
// subject come back in publish order, so each subject keeps a queue of the
// indexes still waiting.
struct AsyncOutcomes {
    std::mutex mu;
    std::unordered_map<std::string, std::deque<std::size_t>> waiting;
    std::vector<Status> results;
};

void on_async_ack(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
    auto& o = *static_cast<AsyncOutcomes*>(closure);
    std::string subject = natsMsg_GetSubject(msg);
    natsMsg_Destroy(msg);
    std::lock_guard lock(o.mu);
    auto it = o.waiting.find(subject);
    if (it == o.waiting.end() || it->second.empty()) return;
    std::size_t index = it->second.front();
    it->second.pop_front();
    if (!pae) {
        o.results[index] = Status{};
    } else if (pae->ErrCode == JSStreamWrongLastSequenceErr) {
        o.results[index] = error(Code::conflict, "publish to " + subject + ": expectation failed");
    } else {
        o.results[index] = error(Code::unavailable,
                                 "publish to " + subject + ": " +
                                     (pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err)));
    }
}

}  // namespace

Status Bus::ensure_stream(const StreamSpec& spec) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = spec.name.c_str();
    std::vector<const char*> subjects;
    for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.MaxAge = spec.max_age.count() * kNanosPerSecond;
    cfg.MaxBytes = spec.max_bytes;
    cfg.MaxMsgs = spec.max_msgs;
    cfg.MaxMsgsPerSubject = spec.max_msgs_per_subject;
    cfg.MaxMsgSize = spec.max_msg_size;
    cfg.Storage = spec.memory ? js_MemoryStorage : js_FileStorage;
    cfg.AllowDirect = true;
    cfg.Discard = spec.discard_new ? js_DiscardNew : js_DiscardOld;
    cfg.AllowRollup = spec.allow_rollup;

    jsStreamInfo* info = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_AddStream(&info, impl_->js, &cfg, nullptr, &jerr);
    if (s != NATS_OK && jerr == JSStreamNameExistErr) {
        jerr = jsErrCode(0);
        s = js_UpdateStream(&info, impl_->js, &cfg, nullptr, &jerr);
    }
    jsStreamInfo_Destroy(info);
    return nats_status(s, "create stream " + spec.name, jerr);
}

Status Bus::ensure_kv_bucket(std::string_view bucket, int history) {
    std::string name(bucket);
    kvStore* kv = nullptr;
    if (js_KeyValue(&kv, impl_->js, name.c_str()) == NATS_OK) {
        kvStore_Destroy(kv);
        return {};
    }
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = name.c_str();
    cfg.History = static_cast<uint8_t>(history);
    natsStatus s = js_CreateKeyValue(&kv, impl_->js, &cfg);
    kvStore_Destroy(kv);
    return nats_status(s, "create key-value bucket " + name);
}

Result<std::uint64_t> Bus::js_publish(std::string_view subject, std::string_view data,
                                      const PublishOptions& options,
                                      std::chrono::milliseconds patience) {
    std::string subj(subject);
    auto deadline = std::chrono::steady_clock::now() + patience;
    auto backoff = std::chrono::milliseconds(50);
    for (;;) {
        natsMsg* msg = nullptr;
        jsPubOptions po;
        natsStatus s = prepare_publish(&msg, &po, subj, data, options);
        po.MaxWait = 5000;

        jsPubAck* ack = nullptr;
        jsErrCode jerr = jsErrCode(0);
        if (s == NATS_OK) s = js_PublishMsg(&ack, impl_->js, msg, &po, &jerr);
        natsMsg_Destroy(msg);
        if (s == NATS_OK) {
            std::uint64_t seq = ack->Sequence;
            jsPubAck_Destroy(ack);
            return seq;
        }
        Status st = nats_status(s, "publish to " + subj, jerr);
        if (!should_retry(s) || std::chrono::steady_clock::now() + backoff > deadline) return st;
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
}

Result<std::vector<Status>> Bus::js_publish_each(const std::vector<Outgoing>& messages,
                                                 std::chrono::milliseconds timeout) {
    // A context of its own, so that its ack handler sees only these messages.
    auto outcomes = std::make_unique<AsyncOutcomes>();
    outcomes->results.assign(messages.size(),
                             error(Code::timeout, "no acknowledgement from JetStream in time"));
    for (std::size_t i = 0; i < messages.size(); ++i)
        outcomes->waiting[messages[i].subject].push_back(i);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 8192;
    jo.PublishAsync.AckHandler = on_async_ack;
    jo.PublishAsync.AckHandlerClosure = outcomes.get();
    jo.PublishAsync.StallWait = timeout.count();
    jsCtx* js = nullptr;
    if (auto s = natsConnection_JetStream(&js, impl_->nc, &jo); s != NATS_OK)
        return nats_status(s, "jetstream context");

    for (std::size_t i = 0; i < messages.size(); ++i) {
        const Outgoing& m = messages[i];
        natsMsg* msg = nullptr;
        jsPubOptions po;
        natsStatus s = prepare_publish(&msg, &po, m.subject, m.data, m.options);
        if (s == NATS_OK) s = js_PublishMsgAsync(js, &msg, &po);  // takes msg on success
        if (s != NATS_OK) {
            natsMsg_Destroy(msg);
            std::lock_guard lock(outcomes->mu);
            auto& queue = outcomes->waiting[m.subject];
            std::erase(queue, i);
            outcomes->results[i] = nats_status(s, "publish to " + m.subject);
        }
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = timeout.count();
    if (js_PublishAsyncComplete(js, &po) == NATS_TIMEOUT) {
        // Taking the pending list stops the handler from running for them.
        natsMsgList list{};
        if (js_PublishAsyncGetPendingList(&list, js) == NATS_OK) natsMsgList_Destroy(&list);
    }
    jsCtx_Destroy(js);
    std::lock_guard lock(outcomes->mu);
    return std::move(outcomes->results);
}

Result<std::size_t> Bus::js_publish_all(
    const std::vector<std::pair<std::string, std::string>>& messages,
    std::chrono::milliseconds timeout) {
    std::vector<Outgoing> out;
    out.reserve(messages.size());
    for (const auto& [subject, data] : messages) out.push_back({subject, data, {}});
    auto results = js_publish_each(out, timeout);
    if (!results.ok()) return results.status();
    std::size_t failed = 0;
    for (const auto& st : *results) failed += !st.ok();
    return failed;
}

namespace {

Result<Message> direct_get(jsCtx* js, std::string_view stream, jsDirectGetMsgOptions& o,
                           const std::string& what) {
    std::string name(stream);
    natsMsg* msg = nullptr;
    natsStatus s = js_DirectGetMsg(&msg, js, name.c_str(), nullptr, &o);
    if (s != NATS_OK) return nats_status(s, what);
    Message m = copy_stored_message(msg);
    natsMsg_Destroy(msg);
    return m;
}

}  // namespace

Result<Message> Bus::get_last(std::string_view stream, std::string_view subject) {
    std::string what = "read " + std::string(subject);
    std::string api = "$JS.API.DIRECT.GET." + std::string(stream) + "." + std::string(subject);
    natsMsg* reply = nullptr;
    natsStatus s = natsConnection_Request(&reply, impl_->nc, api.c_str(), nullptr, 0, 5000);
    if (s != NATS_OK) return nats_status(s, what);
    // An answer without data carries its status in a header: 404 when the
    // subject holds nothing.
    const char* status = nullptr;
    if (natsMsgHeader_Get(reply, "Status", &status) == NATS_OK && status && *status) {
        const char* description = nullptr;
        natsMsgHeader_Get(reply, "Description", &description);
        Status st = std::string_view(status) == "404"
                        ? error(Code::not_found, what + ": nothing stored")
                        : error(Code::unavailable, what + ": " + status + " " +
                                                      (description ? description : ""));
        natsMsg_Destroy(reply);
        return st;
    }
    Message m = copy_stored_message(reply);
    natsMsg_Destroy(reply);
    return m;
}

Result<Message> Bus::get_next(std::string_view stream, std::string_view subject_filter,
                              std::uint64_t from_seq) {
    std::string subj(subject_filter);
    jsDirectGetMsgOptions o;
    jsDirectGetMsgOptions_Init(&o);
    o.NextBySubject = subj.c_str();
    o.Sequence = from_seq;
    return direct_get(impl_->js, stream, o, "read " + subj);
}

Result<Message> Bus::get_seq(std::string_view stream, std::uint64_t seq) {
    jsDirectGetMsgOptions o;
    jsDirectGetMsgOptions_Init(&o);
    o.Sequence = seq;
    return direct_get(impl_->js, stream, o, "read " + std::string(stream));
}

Result<StreamState> Bus::stream_state(std::string_view stream) {
    std::string name(stream);
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_GetStreamInfo(&info, impl_->js, name.c_str(), nullptr, &jerr);
    if (s != NATS_OK) return nats_status(s, "stream info " + name, jerr);
    StreamState st{info->State.FirstSeq, info->State.LastSeq, info->State.Msgs};
    jsStreamInfo_Destroy(info);
    return st;
}

Status Bus::purge_subject(std::string_view stream, std::string_view subject) {
    std::string name(stream), subj(subject);
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Purge.Subject = subj.c_str();
    jsErrCode jerr = jsErrCode(0);
    return nats_status(js_PurgeStream(impl_->js, name.c_str(), &o, &jerr), "purge " + subj, jerr);
}

Status Bus::delete_stream(std::string_view stream) {
    std::string name(stream);
    jsErrCode jerr = jsErrCode(0);
    return nats_status(js_DeleteStream(impl_->js, name.c_str(), nullptr, &jerr),
                       "delete stream " + name, jerr);
}

Result<std::unique_ptr<Subscription>> Bus::follow(std::string_view stream,
                                                  std::string_view subject_filter, Replay replay,
                                                  MessageHandler handler, std::uint64_t start_seq) {
    auto state = std::make_shared<SubscriptionState>();
    state->handler = std::move(handler);
    state->from_stream = true;
    void* closure = new_subscription_closure(state);
    std::string name(stream), subj(subject_filter);

    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = name.c_str();
    so.Ordered = true;
    switch (replay) {
        case Replay::all:
            so.Config.DeliverPolicy = js_DeliverAll;
            break;
        case Replay::last_per_subject:
            so.Config.DeliverPolicy = js_DeliverLastPerSubject;
            break;
        case Replay::new_only:
            so.Config.DeliverPolicy = js_DeliverNew;
            break;
        case Replay::from_sequence:
            so.Config.DeliverPolicy = js_DeliverByStartSequence;
            so.Config.OptStartSeq = std::max<std::uint64_t>(start_seq, 1);
            break;
    }
    natsSubscription* sub = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_Subscribe(&sub, impl_->js, subj.c_str(), on_subscription_message, closure,
                                nullptr, &so, &jerr);
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, on_subscription_complete, closure);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, 1 << 20, 1 << 30);
    if (s != NATS_OK) {
        Status st = nats_status(s, "follow " + subj, jerr);
        if (sub) {
            natsSubscription_Unsubscribe(sub);
            natsSubscription_Destroy(sub);
        }
        return st;
    }
    return std::unique_ptr<Subscription>(new NatsSubscription(sub, state));
}

Status Bus::kv_put(std::string_view bucket, std::string_view key, std::string_view value) {
    std::string subject = "$KV." + std::string(bucket) + "." + std::string(key);
    auto seq = js_publish(subject, value);
    return seq.status();
}

Result<std::string> Bus::kv_get(std::string_view bucket, std::string_view key) {
    std::string stream = "KV_" + std::string(bucket);
    auto m = get_last(stream, "$KV." + std::string(bucket) + "." + std::string(key));
    if (!m.ok()) return m.status();
    return std::move(m->data);
}

}  // namespace oasis
