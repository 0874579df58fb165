// `oasis agent run`: report facts and heartbeats, take tasks (live and, after
// any absence, from the task stream), run each at most once, report results.
#include "agent.h"

#include "exec_result.h"
#include "executor.h"
#include "facts.h"
#include "file_task.h"
#include "identity_claim.h"
#include "running_groups.h"
#include "startup.h"
#include "task_gate.h"
#include "task_journal.h"
#include "temp_file.h"

#include "oasis/audit.h"
#include "oasis/bus.h"
#include "oasis/log.h"
#include "oasis/signing.h"
#include "oasis/version.h"
#include "oasis/wire.h"
#include "oasis/work_queue.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <unordered_map>
#include <unordered_set>

namespace oasis::agent {

namespace {

// Queued tasks read per round trip when catching up.
constexpr std::size_t kCatchUpPage = 4096;

using namespace std::chrono_literals;

class Agent {
public:
    // Takes no task while `identity` does not hold; borrows everything.
    Agent(const Config& config, Bus& bus, const IdentityClaim& identity, TaskJournal& journal,
          RunningGroups& groups, const TaskVerifier* verifier)
        : config_(config),
          bus_(bus),
          identity_(identity),
          journal_(journal),
          groups_(groups),
          gate_(config.agent.id, verifier, journal),
          runners_(config.agent.max_concurrent_tasks),
          started_at_ms_(wire::now_ms()) {
        // Two captured streams, base64 in the worst case, must fit one message.
        auto budget = (bus.max_payload() - 16 * 1024) * 3 / 8;
        output_cap_ = static_cast<std::size_t>(std::clamp<std::int64_t>(budget, 4096, 256 * 1024));
        facts_ = collect_facts();
    }

    void on_task_message(Message&& m) {
        // After a reconnect nats.c resubscribes before the id is claimed
        // again: such a task is read back by the catch-up after the claim.
        if (!identity_.held()) return;
        live_since_cursor_ = true;  // see advance_cursor_past_live_tasks()
        auto task = wire::decode_task(m.data);
        if (!task.ok()) {
            log::warn("agent", "task.malformed", {{"error", task.status().message()}});
            return;
        }
        auto verdict = gate_.check(*task, m.data, 0, wire::now_ms());
        if (verdict.action == TaskGate::Action::cancel)
            cancel_batch(task->batch_id);
        else
            act(std::move(*task), verdict, /*from_stream=*/false);
    }

    // Reads the task subject from where this agent stopped: tasks that were
    // queued while it was away, and the stored copies of those that came
    // live. Cancels in the backlog apply before anything in it runs. False
    // when the read failed, to be tried again.
    bool catch_up() {
        struct Stored {
            wire::Task task;
            TaskGate::Verdict verdict;
        };
        std::vector<Stored> backlog;
        bool read_all = true;
        std::uint64_t seq = journal_.cursor() + 1;
        const std::string subject = wire::task_subject(config_.agent.id);
        // Through a consumer scoped to this agent's subject: the NATS
        // permissions of an agent allow no read of the whole task stream.
        // Most catch-ups find nothing new; one direct get of the subject's
        // last task says so without creating a consumer (7 times cheaper,
        // docs/benchmarks.md), which matters when a whole fleet reconnects.
        auto last = bus_.get_last(wire::kTaskStream, subject);
        bool nothing_new = last.ok() ? last->stream_seq < seq
                                     : last.status().code() == Code::not_found;
        while (!nothing_new) {
            auto stored = bus_.read_subject(wire::kTaskStream, subject, seq,
                                            wire::task_catchup_consumer(config_.agent.id),
                                            kCatchUpPage);
            if (!stored.ok()) {
                log::warn("agent", "catch_up.failed", {{"error", stored.status().message()}});
                read_all = false;
                break;
            }
            for (auto& m : *stored) {
                seq = m.stream_seq + 1;
                auto task = wire::decode_task(m.data);
                if (!task.ok()) continue;
                auto verdict = gate_.check(*task, m.data, m.stream_seq, wire::now_ms());
                if (verdict.action == TaskGate::Action::drop) continue;
                backlog.push_back({std::move(*task), std::move(verdict)});
            }
            if (stored->size() < kCatchUpPage) break;
        }
        for (auto& s : backlog)
            if (s.verdict.action == TaskGate::Action::cancel) cancel_batch(s.task.batch_id);
        for (auto& s : backlog)
            if (s.verdict.action != TaskGate::Action::cancel)
                act(std::move(s.task), s.verdict, /*from_stream=*/true);
        if (seq > 1) journal_.advance_cursor(seq - 1);
        if (!backlog.empty())
            log::info("agent", "catch_up.done", {{"tasks", std::to_string(backlog.size())}});
        return read_all;
    }

    // Subscribes to the task subject, once the id is claimed (see
    // IdentityClaim). The tasks stored until then were published before
    // the subscription, so none of them has a live copy to come, and a live
    // copy of one is a replay.
    Status take_tasks() {
        if (tasks_) return {};
        auto last = bus_.get_last(wire::kTaskStream, wire::task_subject(config_.agent.id));
        if (last.ok()) gate_.subscribing_after(last->stream_seq);
        auto sub = bus_.subscribe(wire::task_subject(config_.agent.id), "",
                                  [this](Message&& m) { on_task_message(std::move(m)); });
        if (!sub.ok()) return sub.status();
        tasks_ = std::move(*sub);
        log::info("agent", "agent.started",
                  {{"agent_id", config_.agent.id}, {"version", kVersion}});
        return {};
    }

    // Live tasks carry no stream sequence, so the cursor only moves in
    // catch_up(). After live messages, move it to the newest stored task when
    // the gate finds that one handled live (noting where it is stored):
    // everything before it arrived in order on the same subscription, and
    // any gap since the last catch-up is covered by the catch-up that
    // follows every reconnect. Keeps the next catch-up short without a
    // consumer per agent after every batch.
    // TODO: the stored copies before the newest are not read, so a replay of
    // one of those tasks stored while the agent is away is refused without
    // an alert (it looks like the task's stored copy).
    void advance_cursor_past_live_tasks() {
        gate_.prune(wire::now_ms());
        if (!live_since_cursor_.exchange(false)) return;
        auto m = bus_.get_last(wire::kTaskStream, wire::task_subject(config_.agent.id));
        if (!m.ok() || m->stream_seq <= journal_.cursor()) return;
        auto task = wire::decode_task(m->data);  // a malformed one was only logged
        if (!task.ok() || gate_.handled_live(*task, m->data, m->stream_seq))
            journal_.advance_cursor(m->stream_seq);
        else
            live_since_cursor_ = true;  // try again later
    }

    void send_heartbeat() {
        wire::AgentInfo info;
        info.id = config_.agent.id;
        info.labels = config_.agent.labels;
        info.groups = config_.agent.groups;
        {
            std::lock_guard lock(mu_);
            info.facts = facts_;
        }
        info.version = kVersion;
        info.started_at_ms = started_at_ms_;
        info.heartbeat_interval_sec = config_.agent.heartbeat_interval_sec;
        if (Status st = bus_.publish(wire::heartbeat_subject(info.id), wire::encode(info));
            !st.ok())
            log::warn("agent", "heartbeat.failed", {{"error", st.message()}});
    }

    // Reports the commands an earlier agent process left behind: their
    // outcome is unknown, so the node has failed, and says why.
    void report_leftovers(const std::vector<RunningGroups::Leftover>& leftovers) {
        for (const auto& l : leftovers) {
            auto dot = l.task_id.find('.');
            if (dot == std::string::npos) continue;
            wire::Task task;
            task.task_id = l.task_id;
            task.batch_id = l.task_id.substr(0, dot);
            task.agent_id = config_.agent.id;
            wire::TaskResult result;
            result.batch_id = task.batch_id;
            result.agent_id = task.agent_id;
            result.state = wire::NodeState::failed;
            result.error = l.was_running
                               ? "the agent restarted while the command ran; it was killed"
                               : "the agent restarted while the command ran; its result is lost";
            if (!l.dest.empty()) {
                // The writer's temp file is no longer locked: remove it now.
                auto slash = l.dest.rfind('/');
                if (slash != std::string::npos)
                    remove_stale_temps(slash == 0 ? "/" : l.dest.substr(0, slash),
                                       temp_prefix(l.dest.substr(slash + 1)));
                result.error = "the agent restarted while writing " + l.dest +
                               "; whether it was replaced is unknown: apply again (a node that "
                               "holds it reports unchanged)";
            }
            result.reported_by = "agent";
            publish_result(result);
        }
    }

    // Takes no more tasks and stops every running command (the agent is
    // going away); each reports cancelled, and queued ones do not start.
    void stop() {
        tasks_.reset();
        std::lock_guard lock(mu_);
        stopping_ = true;
        for (auto& [batch, exec] : running_) exec->cancel();
    }

    void refresh_facts() {
        auto facts = collect_facts();
        std::lock_guard lock(mu_);
        facts_ = std::move(facts);
    }

private:
    // Whether the result stream holds this node's result for the task's
    // batch. Read through a consumer scoped to the result's subject: a
    // direct get permitted on oasis.result.*.<id> would let a literal ">"
    // in place of the batch read every agent's results, while NATS refuses
    // a consumer filter with ">" before its end.
    bool has_stored_result(const wire::Task& task) {
        auto stored = bus_.read_subject(wire::kResultStream,
                                        wire::result_subject(task.batch_id, task.agent_id), 1,
                                        wire::result_check_consumer(task.agent_id), 1);
        return stored.ok() && !stored->empty();
    }

    // Whether a late task's node is settled already, so that refusing it
    // is no news: its batch expired (the server settled the node), or it
    // ran before and has a result (read back with a wiped state directory).
    bool settled(const wire::Task& task, bool from_stream) {
        if (wire::now_ms() > wire::expiry_ms(task.start_by_ms, task.timeout_sec)) return true;
        return from_stream && has_stored_result(task);
    }

    // Carries out the gate's verdict on an exec task (or a refused one).
    void act(wire::Task task, const TaskGate::Verdict& verdict, bool from_stream) {
        switch (verdict.action) {
            case TaskGate::Action::run:
                break;
            case TaskGate::Action::cancel:
            case TaskGate::Action::drop:
                return;
            case TaskGate::Action::refuse:
                if (verdict.reason == "expired" && settled(task, from_stream)) {
                    log::info("agent", "task.skipped",
                              {{"agent_id", config_.agent.id}, {"batch_id", task.batch_id}});
                    return;
                }
                report_refusal(task, verdict);
                return;
            case TaskGate::Action::fail:
                // Running it unrecorded could run it twice; say so at once.
                log::error("agent", "journal.failed",
                           {{"batch_id", task.batch_id}, {"error", verdict.message}});
                refuse(task, verdict.message);
                return;
        }
        if (is_cancelled(task.batch_id)) return;  // the server wrote "cancelled"
        // A task read back may have run before this journal existed (a wiped
        // state directory): a stored result says so.
        if (from_stream && has_stored_result(task)) return;
        log::info("agent", "task.accepted",
                  {{"batch_id", task.batch_id}, {"task_id", task.task_id}});
        // File tasks go through one queue, in the order accepted: two
        // revisions of one file queued while the agent was away must land
        // oldest first, or the node ends with the older one.
        WorkQueue& queue = task.kind == wire::TaskKind::file ? file_writer_ : runners_;
        queue.post([this, task = std::move(task)] { run_task(task); });
    }

    // A task the agent would not run: logged, and an alert on
    // oasis.alert.<id>, which servers record in the audit stream. Only a
    // late task gets a result: its batch id was signed (or nothing is),
    // while the ids of an untrusted task may be anyone's, and a replay's
    // node has its result already.
    // TODO: alerts are core NATS, so one sent while NATS is unreachable is
    // lost; and a flood of forged tasks gives a log line and an alert each,
    // with no rate limit.
    void report_refusal(const wire::Task& task, const TaskGate::Verdict& verdict) {
        log::error("agent", "task.refused",
                   {{"agent_id", config_.agent.id},
                    {"task_id", task.task_id},
                    {"batch_id", task.batch_id},
                    {"reason", verdict.reason},
                    {"error", verdict.message}});
        wire::Alert alert{"task_refused", config_.agent.id, task.task_id,
                          task.batch_id,  verdict.reason,   wire::now_ms()};
        if (Status st = bus_.publish(wire::alert_subject(config_.agent.id), wire::encode(alert));
            !st.ok())
            log::warn("agent", "alert.failed", {{"error", st.message()}});
        // Say why it will not run while the batch still waits for this node.
        if (verdict.reason == "expired") refuse(task, verdict.message);
    }

    void run_task(const wire::Task& task) {
        if (is_cancelled(task.batch_id)) return;  // cancelled while it waited
        bool stopping = false;
        {
            std::lock_guard lock(mu_);
            stopping = stopping_;
        }
        if (stopping) {
            refuse(task, "the agent stopped before the task started");
            return;
        }
        if (task.kind == wire::TaskKind::file) {
            write_file_task(task);
            return;
        }
        ExecRequest req;
        req.argv = task.argv;
        req.timeout = std::chrono::seconds(task.timeout_sec);
        req.max_output_bytes = output_cap_;
        auto exec = Execution::start(req);
        if (!exec.ok()) {
            refuse(task, exec.status().message());
            return;
        }
        {
            std::lock_guard lock(mu_);
            running_[task.batch_id] = exec->get();
        }
        groups_.add(task.task_id, (*exec)->process_group());
        ExecResult r = (*exec)->wait();
        groups_.remove(task.task_id);
        {
            std::lock_guard lock(mu_);
            running_.erase(task.batch_id);
        }

        publish_result(exec_task_result(task, std::move(r)));
    }

    // On file_writer_'s one thread: every transfer reads through the
    // agent's one fetch consumer, which NATS permissions name. The task's
    // timeout counts from here, as a command's does from its start: a
    // transfer still going then stops between chunks, timed out, leaving
    // the destination as it was (else it could be written after the
    // server has settled the node as timed out).
    void write_file_task(const wire::Task& task) {
        groups_.add_file(task.task_id, task.file.dest);
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::seconds(task.timeout_sec);
        bool timed_out = false;
        wire::TaskResult result =
            run_file_task(bus_, task, [this, &task, deadline, &timed_out]() -> std::string {
                std::lock_guard state(mu_);
                if (cancelled_.count(task.batch_id)) return "cancelled by operator";
                if (stopping_) return "the agent stopped during the transfer";
                if (std::chrono::steady_clock::now() < deadline) return "";
                timed_out = true;
                return "timed out after " + std::to_string(task.timeout_sec) + " s";
            });
        if (timed_out && result.state == wire::NodeState::cancelled)
            result.state = wire::NodeState::timed_out;
        groups_.remove(task.task_id);
        log::info("agent", "file.done",
                  {{"batch_id", task.batch_id},
                   {"dest", task.file.dest},
                   {"revision", std::to_string(task.file.revision)},
                   {"state", wire::node_state_name(result.state)},
                   {"error", result.error}});
        publish_result(result);
    }

    void refuse(const wire::Task& task, std::string reason) {
        wire::TaskResult result;
        result.batch_id = task.batch_id;
        result.agent_id = task.agent_id;
        result.state = wire::NodeState::refused;
        result.error = std::move(reason);
        result.reported_by = "agent";
        publish_result(result);
    }

    void publish_result(const wire::TaskResult& result) {
        PublishOptions first_wins;
        first_wins.only_if_subject_empty = true;
        // TODO: a result that cannot be stored within a minute is dropped
        // (the server then settles the node as timed out); spooling results to
        // the state directory would keep them across a long NATS outage.
        auto seq = bus_.js_publish(wire::result_subject(result.batch_id, result.agent_id),
                                   wire::encode(result), first_wins, 60s);
        if (seq.ok()) {
            log::info("agent", "task.finished",
                      {{"batch_id", result.batch_id},
                       {"state", wire::node_state_name(result.state)},
                       {"exit_code", std::to_string(result.exit_code)}});
        } else if (seq.status().code() == Code::conflict) {
            log::info("agent", "result.superseded", {{"batch_id", result.batch_id}});
        } else {
            log::error("agent", "result.not_stored",
                       {{"batch_id", result.batch_id}, {"error", seq.status().message()}});
        }
    }

    bool is_cancelled(const std::string& batch_id) {
        std::lock_guard lock(mu_);
        return cancelled_.count(batch_id) > 0;
    }

    void cancel_batch(const std::string& batch_id) {
        std::lock_guard lock(mu_);
        cancelled_.insert(batch_id);
        if (auto it = running_.find(batch_id); it != running_.end()) it->second->cancel();
        log::info("agent", "task.cancel", {{"batch_id", batch_id}});
    }

    const Config& config_;
    Bus& bus_;
    const IdentityClaim& identity_;
    TaskJournal& journal_;
    RunningGroups& groups_;
    TaskGate gate_;
    std::mutex mu_;
    StringMap facts_;
    std::unordered_map<std::string, Execution*> running_;  // by batch id
    // TODO: grows by one id per cancelled batch for the agent's lifetime;
    // bounded in practice by how often operators cancel.
    std::unordered_set<std::string> cancelled_;
    std::size_t output_cap_ = 256 * 1024;
    bool stopping_ = false;
    std::atomic<bool> live_since_cursor_{false};
    WorkQueue runners_;
    WorkQueue file_writer_{1};  // file tasks, one at a time, oldest first
    const std::int64_t started_at_ms_;
    std::unique_ptr<Subscription> tasks_;  // last: ends before what its handler uses
};

using Clock = std::chrono::steady_clock;

// The agent's main loop: every 200 ms, stop on SIGINT/SIGTERM, else do
// whatever is due. Returns the process exit code.
int serve_until_stopped(const Config& config, Bus& bus, IdentityClaim& identity, Agent& agent,
                        const sigset_t& stop, std::vector<RunningGroups::Leftover> leftovers) {
    auto next_heartbeat = Clock::now();
    auto next_facts =
        Clock::now() + std::chrono::seconds(config.agent.fact_collection_interval_sec);
    bool caught_up = false;
    auto next_catch_up = Clock::now();
    timespec tick{0, 200 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(&stop, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) return 0;
        if (bus.closed()) {
            // nats.c gives up on a connection the server closed for a
            // protocol error; a fresh process (systemd restarts it) does not.
            log::error("agent", "nats.closed",
                       {{"agent_id", config.agent.id},
                        {"error", "the NATS connection is closed for good; exiting"}});
            return 3;
        }
        // The id before any task: a process that has not claimed it takes,
        // reads back, reports and announces nothing in the id's name, or a
        // second process with the id would run tasks meant for the first
        // until it learnt of it. A claim lasts one connection, so it is
        // made again after each reconnect, and the catch-up follows it.
        if (bus.connected() && !identity.held()) {
            switch (identity.claim()) {
                case IdentityClaim::Outcome::taken:
                    return 2;
                case IdentityClaim::Outcome::retry:
                    continue;
                case IdentityClaim::Outcome::held:
                    if (Status st = agent.take_tasks(); !st.ok()) {
                        log::error("agent", "subscribe.failed", {{"error", st.message()}});
                        return 3;
                    }
                    caught_up = false;
                    next_catch_up = next_heartbeat = Clock::now();
                    break;
            }
        }
        if (!identity.held()) continue;
        if (!leftovers.empty()) {
            agent.report_leftovers(leftovers);
            leftovers.clear();
        }
        if (!caught_up && Clock::now() >= next_catch_up) {
            caught_up = agent.catch_up();
            next_catch_up = Clock::now() + 1s;  // a failed read is tried again then
        }
        if (Clock::now() >= next_facts) {
            agent.refresh_facts();
            next_facts =
                Clock::now() + std::chrono::seconds(config.agent.fact_collection_interval_sec);
        }
        if (Clock::now() >= next_heartbeat) {
            if (identity.recheck() == IdentityClaim::Outcome::taken) return 2;
            if (caught_up) agent.advance_cursor_past_live_tasks();
            agent.send_heartbeat();
            next_heartbeat =
                Clock::now() + std::chrono::seconds(config.agent.heartbeat_interval_sec);
        }
    }
}

}  // namespace

int run(const Config& config) {
    if (!is_valid_agent_id(config.agent.id)) {
        log::error(
            "agent", "config.invalid",
            {{"error", "agent id \"" + config.agent.id +
                           "\" is missing or not valid; set OASIS__AGENT_ID or [agent] id"}});
        return 2;
    }
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::optional<TaskVerifier> verifier;
    if (!load_verifier(config, verifier)) return 2;

    auto journal = TaskJournal::open(config.agent.state_dir, wire::now_ms());
    if (!journal.ok()) {
        log::error("agent", "journal.failed", {{"error", journal.status().message()}});
        return 2;
    }

    // Commands of an agent process that died without cleaning up can no
    // longer be timed out or reported: stop them before taking new work.
    RunningGroups groups(config.agent.state_dir);
    auto leftovers = groups.kill_leftovers();
    if (!leftovers.empty())
        log::warn("agent", "leftover_commands", {{"tasks", std::to_string(leftovers.size())}});

    // Every change of the connection ends the identity claim made on it.
    auto changes = std::make_shared<std::atomic<std::uint64_t>>(0);
    BusOptions bo;
    bo.urls = config.nats.urls;
    bo.name = "oasis-agent " + config.agent.id;
    bo.tls = tls_files(config.tls.certs_dir, config.agent.id);
    bo.inbox_prefix = wire::agent_inbox_prefix(config.agent.id);
    bo.retry_initial_connect = true;
    bo.on_state = [changes](std::string_view) { changes->fetch_add(1); };
    auto bus = Bus::connect(bo);
    if (!bus.ok()) {
        log::error("agent", "nats.connect_failed", {{"error", bus.status().message()}});
        return 3;
    }
    warn_if_certificate_ends_soon(config.agent.id, bo.tls);

    int exit_code = 0;
    {
        IdentityClaim identity(**bus, config.agent.id, changes);
        Agent agent(config, **bus, identity, **journal, groups, verifier ? &*verifier : nullptr);
        exit_code =
            serve_until_stopped(config, **bus, identity, agent, stop_signals, std::move(leftovers));
        log::info("agent", "agent.stopping", {{"agent_id", config.agent.id}});
        agent.stop();
    }
    return exit_code;
}

}  // namespace oasis::agent
