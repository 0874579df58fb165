// `oasis server`: rebuild state from the streams, answer control requests,
// and settle nodes that never answered.
#include "server.h"

#include "batch_book.h"
#include "control.h"
#include "leader_lease.h"
#include "registry.h"
#include "oasis/work_queue.h"

#include "alert_recorder.h"
#include "oasis/bus.h"
#include "oasis/log.h"
#include "oasis/pki.h"
#include "oasis/signing.h"
#include "oasis/streams.h"
#include "oasis/version.h"

#include <atomic>
#include <csignal>
#include <thread>
#include <unordered_set>

#include <unistd.h>

namespace oasis::server {

namespace {

using namespace std::chrono_literals;

// Waits until a follower has delivered everything the stream held when we
// asked, so the server answers nothing from a half-read state.
Status wait_caught_up(Bus& bus, const char* stream, const std::atomic<std::uint64_t>& seen) {
    auto state = bus.stream_state(stream);
    if (!state.ok()) return state.status();
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (state->msgs > 0 && seen.load() < state->last_seq) {
        if (std::chrono::steady_clock::now() > deadline)
            return error(Code::timeout, std::string("reading ") + stream + " took over 60 s");
        std::this_thread::sleep_for(10ms);
    }
    return {};
}

// Nodes that never answered by the batch's expiry get their final state
// from the server; batches whose nodes all have one are marked done.
void sweep(ControlService& control, BatchBook& book, Registry& registry) {
    auto now = wire::now_ms();
    for (const auto& report : book.expired(now)) {
        std::vector<ControlService::Settlement> settle;
        for (const auto& agent : report.pending) {
            auto status = registry.get(agent, now);
            if (status && status->online) {
                settle.push_back({agent, wire::NodeState::timed_out,
                                  "the agent sent no result before the batch expired"});
            } else if (auto then = registry.get(agent, report.batch.created_at_ms);
                       then && then->online) {
                // Online when the batch began: it may have taken the task.
                settle.push_back({agent, wire::NodeState::unreachable,
                                  "the agent went offline before it sent a result; the "
                                  "task may have run"});
            } else {
                settle.push_back({agent, wire::NodeState::unreachable,
                                  "the agent was offline until the batch expired"});
            }
        }
        (void)control.finalize(report.batch.batch_id, settle);
    }
    for (const auto& batch : book.completed()) {
        if (control.store_record(batch).ok()) {
            book.on_record(batch);
            log::info("server", "batch.done", {{"batch_id", batch.batch_id}});
        }
    }
}

struct Followers {
    std::unique_ptr<Subscription> batches, results, heartbeats, overrides, control;
};

Status start_followers(Bus& bus, Registry& registry, BatchBook& book, Followers& f,
                       int config_ttl_sec) {
    auto batch_seq = std::make_shared<std::atomic<std::uint64_t>>(0);
    auto batches = bus.follow(wire::kBatchStream, "oasis.batch.>", Replay::last_per_subject,
                              [&book, batch_seq](Message&& m) {
                                  if (auto b = wire::decode_batch(m.data); b.ok())
                                      book.on_record(*b);
                                  batch_seq->store(m.stream_seq);
                              });
    if (!batches.ok()) return batches.status();
    f.batches = std::move(*batches);
    OASIS_RETURN_IF_ERROR(wait_caught_up(bus, wire::kBatchStream, *batch_seq));

    // Results of open batches only: done ones carry their counts.
    std::uint64_t from = book.oldest_open_results_seq();
    auto results = bus.follow(
        wire::kResultStream, "oasis.result.>", from ? Replay::from_sequence : Replay::new_only,
        [&book](Message&& m) {
            auto r = wire::decode_task_result_state(m.data);
            if (!r.ok()) return;
            if (!wire::on_own_subject(*r, m.subject)) {
                log::warn("server", "result.forged",
                          {{"subject", m.subject}, {"agent_id", r->agent_id},
                           {"batch_id", r->batch_id}});
                // It took its node's only result slot: that node failed.
                if (auto v = wire::forged_result_verdict(m.subject))
                    book.on_result(v->batch_id, v->agent_id, v->state);
                return;
            }
            book.on_result(r->batch_id, r->agent_id, r->state);
        },
        from);
    if (!results.ok()) return results.status();
    f.results = std::move(*results);

    // Warned once per agent: a heartbeat interval at or over the TTL makes
    // the agent flap between online and offline.
    auto warned = std::make_shared<std::unordered_set<std::string>>();
    std::int64_t ttl_ms = std::int64_t{config_ttl_sec} * 1000;
    auto heartbeats = bus.follow(wire::kHeartbeatStream, "oasis.hb.>", Replay::last_per_subject,
                                 [&registry, warned, ttl_ms](Message&& m) {
                                     auto info = wire::decode_agent_info(m.data);
                                     if (!info.ok()) {
                                         log::warn("registry", "heartbeat.malformed",
                                                   {{"subject", m.subject},
                                                    {"error", info.status().message()}});
                                         return;
                                     }
                                     if (!wire::on_own_subject(*info, m.subject)) {
                                         log::warn("registry", "heartbeat.forged",
                                                   {{"subject", m.subject},
                                                    {"agent_id", info->id}});
                                         return;
                                     }
                                     if (std::int64_t{info->heartbeat_interval_sec} * 1000 >=
                                             ttl_ms &&
                                         warned->insert(info->id).second) {
                                         log::warn("registry", "heartbeat.too_rare",
                                                   {{"agent_id", info->id},
                                                    {"interval_sec",
                                                     std::to_string(info->heartbeat_interval_sec)},
                                                    {"ttl_ms", std::to_string(ttl_ms)}});
                                     }
                                     registry.on_heartbeat(std::move(*info), m.time_ms);
                                 });
    if (!heartbeats.ok()) return heartbeats.status();
    f.heartbeats = std::move(*heartbeats);

    std::string kv_stream = std::string("KV_") + wire::kAgentOverrideBucket;
    std::string kv_prefix = std::string("$KV.") + wire::kAgentOverrideBucket + ".";
    auto overrides = bus.follow(kv_stream, kv_prefix + ">", Replay::last_per_subject,
                                [&registry, kv_prefix](Message&& m) {
                                    std::string id = m.subject.substr(kv_prefix.size());
                                    auto o = wire::decode_agent_override(m.data);
                                    registry.on_override(id, o.ok() ? *o : wire::AgentOverride{});
                                });
    if (!overrides.ok()) return overrides.status();
    f.overrides = std::move(*overrides);
    return {};
}

// The server's own certificate, read once at start for `system status`,
// with a warning in the log when it expires within 30 days. None without
// TLS; the Bus has already refused a missing or expired one.
std::optional<OwnCertificate> own_certificate(const Config& config) {
    if (config.tls.certs_dir.empty()) return std::nullopt;
    std::string path = tls_files(config.tls.certs_dir, "server").cert_file;
    auto cert = read_cert_file(path);
    if (!cert.ok()) {
        log::warn("server", "tls.certificate_unreadable", {{"error", cert.status().message()}});
        return std::nullopt;
    }
    if (std::int64_t left = days_left(cert->not_after, wire::now_ms() / 1000);
        left < kExpiryWarningDays) {
        log::warn("server", "tls.certificate_expires_soon",
                  {{"path", path}, {"days_left", std::to_string(left)}});
    }
    return OwnCertificate{path, cert->common_name, cert->not_after * 1000};
}

// The key every task is signed with; nullopt (after one warning) for a
// setup without one. False when a configured key cannot be used.
bool load_signer(const Config& config, std::optional<TaskSigner>& signer) {
    auto loaded = load_task_signer(config.security);
    if (!loaded.ok()) {
        log::error("server", "task_signing_key.invalid", {{"error", loaded.status().message()}});
        return false;
    }
    signer = std::move(*loaded);
    if (signer) {
        log::info("server", "tasks.signed", {{"key", config.security.task_signing_key}});
    } else {
        log::warn("server", "tasks.unsigned",
                  {{"error",
                    "no task signing key ([security] task_signing_key): tasks go "
                    "unsigned, and agents that hold a public key refuse them"}});
    }
    return true;
}

}  // namespace

int run(const Config& config) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // threads made later inherit it

    std::optional<TaskSigner> signer;
    if (!load_signer(config, signer)) return 2;

    BusOptions bo;
    bo.urls = config.nats.urls;
    bo.name = "oasis-server " + config.server.name;
    bo.tls = tls_files(config.tls.certs_dir, "server");
    bo.inbox_prefix = wire::kServerInboxPrefix;
    auto bus = Bus::connect(bo);
    if (!bus.ok()) {
        log::error("server", "nats.connect_failed", {{"error", bus.status().message()}});
        return 3;
    }
    if (auto st = ensure_oasis_streams(**bus); !st.ok()) {
        log::error("server", "streams.failed", {{"error", st.message()}});
        return 3;
    }

    Registry registry(config.server.heartbeat_ttl_sec);
    BatchBook book;
    ControlService control(**bus, registry, book, config, signer ? &*signer : nullptr,
                           own_certificate(config));
    Followers followers;
    if (auto st =
            start_followers(**bus, registry, book, followers, config.server.heartbeat_ttl_sec);
        !st.ok()) {
        log::error("server", "state.load_failed", {{"error", st.message()}});
        return 3;
    }

    {
        WorkQueue workers(4);
        Bus& b = **bus;
        // Agents' alerts into the audit trail, checked and rate-limited by
        // one server of the group.
        AlertRecorder alerts([&b](const std::string& subject, const std::string& data) {
            return b.js_publish(subject, data, {}, std::chrono::seconds(2)).status();
        });
        auto alert_sub = b.subscribe("oasis.alert.>", "oasis-alert-recorders", [&](Message&& m) {
            (void)alerts.on_message(m.subject, m.data, wire::now_ms());
        });
        if (!alert_sub.ok()) {
            log::error("server", "alerts.subscribe_failed",
                       {{"error", alert_sub.status().message()}});
            return 3;
        }
        auto sub = b.subscribe("oasis.ctl.>", wire::kControlQueue, [&](Message&& m) {
            if (m.reply.empty()) return;  // nobody to answer
            workers.post([&control, &b, m = std::move(m)] {
                std::string reply = control.handle(m.subject, m.data);
                auto limit = static_cast<std::size_t>(b.max_payload());
                if (reply.size() > limit) {
                    // TODO: page every reply that can grow with the fleet, as
                    // agent.list does; until then the caller gets this error.
                    reply = wire::encode_error(error(
                        Code::internal, "the reply (" + std::to_string(reply.size()) +
                                            " bytes) is larger than the NATS max payload (" +
                                            std::to_string(limit) + " bytes)"));
                }
                if (Status st = b.publish(m.reply, reply); !st.ok())
                    log::warn("server", "reply.failed", {{"error", st.message()}});
            });
        });
        if (!sub.ok()) {
            log::error("server", "control.subscribe_failed", {{"error", sub.status().message()}});
            return 3;
        }
        log::info("server", "server.ready",
                  {{"server", config.server.name}, {"version", kVersion},
                   {"nats", config.nats.urls.front()}});

        // Only the lease holder settles expired batches; the others stand by.
        LeaderLease lease(b, config.server.name + "/" + std::to_string(::getpid()), 10s);
        auto next_refresh = std::chrono::steady_clock::now();
        timespec tick{0, 500 * 1000 * 1000};
        for (;;) {
            int sig = sigtimedwait(&stop_signals, nullptr, &tick);
            if (sig == SIGINT || sig == SIGTERM) break;
            if (std::chrono::steady_clock::now() >= next_refresh) {
                lease.refresh(wire::now_ms());
                next_refresh = std::chrono::steady_clock::now() + 2s;
            }
            if (lease.held()) sweep(control, book, registry);
        }
        log::info("server", "server.stopping");
        // With NATS away, tidying up (deleting the followers' consumers,
        // giving up the lease) would wait 5 s a request for nothing: NATS
        // drops ephemeral consumers by itself and the lease expires.
        if (!b.connected()) b.close();
        sub->reset();
    }
    followers = {};
    return 0;
}

}  // namespace oasis::server
