#include "sim_fleet.h"

#include "oasis/facts.h"
#include "oasis/log.h"
#include "oasis/object_store.h"
#include "oasis/sha256.h"
#include "oasis/version.h"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace oasis::bench {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTaskPrefix = "oasis.task.";

// A fixed hash, so every run builds the same fleet.
std::uint32_t mix(std::uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

template <std::size_t N>
const char* pick(const char* const (&choices)[N], std::uint32_t roll) {
    return choices[roll % N];
}

// Agent `index`: labels env, role, rack, zone and sim; groups env, role and,
// for one in twenty, canary; the eight facts of oasis::kFactNames.
wire::AgentInfo make_identity(const SimOptions& o, int index, std::int64_t started_at_ms) {
    static const char* const kEnvs[] = {"prod", "prod", "prod", "staging", "dev"};
    static const char* const kRoles[] = {"web", "web", "db", "cache", "worker", "lb"};
    static const char* const kZones[] = {"eu-west-1a", "eu-west-1b", "us-east-1a"};
    static const char* const kArches[] = {"x86_64", "x86_64", "x86_64", "aarch64"};
    static const char* const kCores[] = {"2", "4", "8", "16", "32"};
    static const char* const kMemory[] = {"4", "8", "16", "64", "256"};
    static const char* const kKernels[] = {"6.1.0-18-amd64", "6.1.0-21-amd64", "5.10.0-28-amd64"};
    std::uint32_t r = mix(static_cast<std::uint32_t>(index) + 1);
    char number[16];
    std::snprintf(number, sizeof number, "%05d", index);

    wire::AgentInfo a;
    a.id = o.prefix + number;
    const char* env = pick(kEnvs, r);
    const char* role = pick(kRoles, r >> 4);
    a.labels = {{"env", env},
                {"role", role},
                {"rack", "r" + std::to_string(index / 40 % 250)},
                {"zone", pick(kZones, r >> 8)},
                {"sim", "true"}};
    a.groups = {env, role};
    if (r % 20 == 0) a.groups.push_back("canary");
    std::string ip = "10." + std::to_string(index >> 16 & 255) + "." +
                     std::to_string(index >> 8 & 255) + "." + std::to_string(index & 255);
    a.facts = {{"hostname", a.id},
               {"primary_ip", ip},
               {"cpu_arch", pick(kArches, r >> 12)},
               {"cpu_cores", pick(kCores, r >> 14)},
               {"memory_total_gb", pick(kMemory, r >> 17)},
               {"os_name", "Debian GNU/Linux"},
               {"os_version", "Debian GNU/Linux 12"},
               {"kernel_version", pick(kKernels, r >> 20)}};
    a.version = kVersion;
    a.started_at_ms = started_at_ms;
    a.heartbeat_interval_sec = o.heartbeat_sec;
    return a;
}

wire::NodeState state_of(const agent::ExecResult& r) {
    using agent::ExitKind;
    switch (r.kind) {
        case ExitKind::exited:
            return r.exit_code == 0 ? wire::NodeState::succeeded : wire::NodeState::failed;
        case ExitKind::timed_out:
            return wire::NodeState::timed_out;
        case ExitKind::cancelled:
            return wire::NodeState::cancelled;
        case ExitKind::signaled:
        case ExitKind::failed_to_start:
            break;
    }
    return wire::NodeState::failed;
}

// Why a command did not succeed, in the words `oasis agent run` uses.
std::string reason_of(const agent::ExecResult& r, int timeout_sec) {
    using agent::ExitKind;
    switch (r.kind) {
        case ExitKind::exited:
            return r.exit_code == 0 ? "" : "exited with code " + std::to_string(r.exit_code);
        case ExitKind::signaled:
            return "killed by signal " + std::to_string(r.signal);
        case ExitKind::timed_out:
            return "timed out after " + std::to_string(timeout_sec) + " s; process group killed";
        case ExitKind::cancelled:
            return "cancelled by operator";
        case ExitKind::failed_to_start:
            break;
    }
    return r.error;
}

wire::TaskResult result_for(const wire::Task& task, wire::NodeState state) {
    wire::TaskResult r;
    r.batch_id = task.batch_id;
    r.agent_id = task.agent_id;
    r.state = state;
    r.reported_by = "agent";
    return r;
}

std::string running_key(const wire::Task& task) {
    return task.batch_id + "/" + task.agent_id;
}

}  // namespace

SimFleet::SimFleet(const SimOptions& o, std::vector<Bus*> buses) : o_(o), buses_(std::move(buses)) {
    // Two captured streams, base64 in the worst case, must fit one message.
    auto budget = (buses_.front()->max_payload() - 16 * 1024) * 3 / 8;
    output_cap_ = static_cast<std::size_t>(std::clamp<std::int64_t>(budget, 4096, 256 * 1024));
    sender_ = ResultSender::make(o.results, buses_, o.publishers,
                                 [this](const PendingResult& r, Code c) { on_done(r, c); });
    if (o.real_exec) runners_ = std::make_unique<WorkQueue>(o.exec_workers);
}

SimFleet::~SimFleet() {
    stop();
}

Status SimFleet::start() {
    auto now_ms = wire::now_ms();
    agents_.resize(static_cast<std::size_t>(o_.agents));
    for (std::size_t i = 0; i < agents_.size(); ++i) {
        Agent& a = agents_[i];
        a.info = make_identity(o_, static_cast<int>(i), now_ms);
        a.connection = i % buses_.size();
        by_id_.emplace(a.info.id, &a);
        if (o_.delivery == Delivery::shared) continue;
        auto handler = [this, &a](Message&& m) { on_task(a, a.connection, m); };
        Bus& bus = *buses_[a.connection];
        auto sub = o_.delivery == Delivery::per_agent
                       ? bus.subscribe(wire::task_subject(a.info.id), "", handler)
                       : bus.follow(wire::kTaskStream, wire::task_subject(a.info.id),
                                    Replay::new_only, handler);
        if (!sub.ok()) return sub.status().with_context(a.info.id);
        a.sub = std::move(*sub);
    }
    for (std::size_t k = 0; o_.delivery == Delivery::shared && k < buses_.size(); ++k) {
        auto sub = buses_[k]->subscribe(
            std::string(kTaskPrefix) + "*", "oasis-fleet-sim." + o_.prefix, [this, k](Message&& m) {
                auto it = by_id_.find(m.subject.substr(kTaskPrefix.size()));
                if (it != by_id_.end()) on_task(*it->second, k, m);
            });
        if (!sub.ok()) return sub.status();
        shared_subs_.push_back(std::move(*sub));
    }
    for (Bus* bus : buses_) OASIS_RETURN_IF_ERROR(bus->flush(30s));
    return {};
}

void SimFleet::heartbeat_due(Clock::time_point now, Clock::time_point started) {
    auto interval = std::chrono::seconds(o_.heartbeat_sec);
    for (std::size_t i = 0; i < agents_.size(); ++i) {
        Agent& a = agents_[i];
        if (a.next_heartbeat > now) continue;
        Bus& bus = *buses_[a.connection];
        if (Status st = bus.publish(wire::heartbeat_subject(a.info.id), wire::encode(a.info));
            !st.ok())
            log::warn("sim", "heartbeat.failed",
                      {{"agent_id", a.info.id}, {"error", st.message()}});
        heartbeats_++;
        if (a.next_heartbeat == Clock::time_point{}) {
            // Phases (i+1)/N of an interval: no gap is longer than one interval.
            auto phase = interval * static_cast<std::int64_t>(i + 1) /
                         static_cast<std::int64_t>(agents_.size());
            a.next_heartbeat = started + std::chrono::duration_cast<Clock::duration>(phase);
        } else {
            a.next_heartbeat += interval;
        }
    }
}

void SimFleet::stop() {
    shared_subs_.clear();
    // Each Subscription waits for its delivery thread to let go; do the
    // thousands of per-agent ones on a few threads at once.
    std::vector<std::thread> closers;
    std::size_t n = 8;
    for (std::size_t t = 0; t < n; ++t) {
        closers.emplace_back([this, t, n] {
            for (std::size_t i = t; i < agents_.size(); i += n) agents_[i].sub.reset();
        });
    }
    for (auto& c : closers) c.join();
    std::lock_guard lock(exec_mu_);
    stopping_ = true;
    for (auto& [key, exec] : running_) exec->cancel();
}

void SimFleet::on_task(const Agent& a, std::size_t connection, const Message& m) {
    auto task = wire::decode_task(m.data);
    if (!task.ok() || task->agent_id != a.info.id) {
        log::warn("sim", "task.malformed", {{"agent_id", a.info.id}});
        return;
    }
    if (task->kind == wire::TaskKind::cancel) {
        cancels_++;
        std::lock_guard lock(exec_mu_);
        cancelled_.insert(running_key(*task));
        if (auto it = running_.find(running_key(*task)); it != running_.end()) it->second->cancel();
        return;
    }
    tasks_++;
    trace_task(*task);
    if (wire::now_ms() > task->start_by_ms) {
        refuse(connection, *task, "the task's start deadline passed before it arrived");
        return;
    }
    if (task->kind == wire::TaskKind::file) {
        fetchers().post([this, &a, t = std::move(*task)] { fetch_file(a, t); });
        return;
    }
    if (runners_) {
        runners_->post(
            [this, &a, connection, t = std::move(*task)] { run_real(a, connection, t); });
        return;
    }
    wire::TaskResult r = result_for(*task, wire::NodeState::succeeded);
    r.exit_code = 0;
    r.started_at_ms = wire::now_ms();
    send(connection, r);
}

void SimFleet::run_real(const Agent&, std::size_t connection, const wire::Task& task) {
    bool cancelled = false, stopping = false;
    {
        std::lock_guard lock(exec_mu_);
        cancelled = cancelled_.count(running_key(task)) > 0;
        stopping = stopping_;
    }
    if (cancelled) return;  // the server wrote "cancelled"
    if (stopping) {
        refuse(connection, task, "the agent stopped before the task started");
        return;
    }
    agent::ExecRequest req;
    req.argv = task.argv;
    req.timeout = std::chrono::seconds(task.timeout_sec);
    req.max_output_bytes = output_cap_;
    auto exec = agent::Execution::start(req);
    if (!exec.ok()) {
        refuse(connection, task, exec.status().message());
        return;
    }
    {
        std::lock_guard lock(exec_mu_);
        running_[running_key(task)] = exec->get();
    }
    agent::ExecResult x = (*exec)->wait();
    {
        std::lock_guard lock(exec_mu_);
        running_.erase(running_key(task));
    }
    wire::TaskResult r = result_for(task, state_of(x));
    r.exit_code = x.kind == agent::ExitKind::exited ? x.exit_code : -1;
    r.signal = x.signal;
    r.error = reason_of(x, task.timeout_sec);
    r.out = wire::Output{std::move(x.out.data), x.out.total_bytes, x.out.truncated};
    r.err = wire::Output{std::move(x.err.data), x.err.total_bytes, x.err.truncated};
    r.started_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(x.started.time_since_epoch()).count();
    r.duration_ms = x.duration.count();
    send(connection, r);
}

// As the agent fetches (agent/file_task.cpp): from the task when the
// content is in it, else through the agent's own fetch consumer, on its
// own connection; but into nothing instead of a file.
// ObjectStore::get still checks size, chunk count and digest, and the
// digest is compared with the task's, as write_file does.
void SimFleet::fetch_file(const Agent& a, const wire::Task& task) {
    if (task.content) {  // small content comes in the task: nothing to fetch
        wire::TaskResult r = result_for(task, wire::NodeState::written);
        r.started_at_ms = wire::now_ms();
        files_++;
        file_bytes_ += task.content->size();
        send(a.connection, r);
        return;
    }
    ObjectStoreOptions options;
    options.reader_name = wire::file_fetch_consumer(a.info.id);
    ObjectStore store(*buses_[a.connection], options);
    wire::TaskResult r = result_for(task, wire::NodeState::written);
    std::uint64_t bytes = 0;
    Status st;
    {
        std::lock_guard one_at_a_time(*a.fetching);
        const auto clock = Clock::now();
        r.started_at_ms = wire::now_ms();
        auto got = store.get(wire::kFileBucket, wire::file_object_name(task.file.sha256),
                             [&bytes](std::string_view chunk) {
                                 bytes += chunk.size();
                                 return Status{};
                             });
        st = got.status();
        if (st.ok()) {
            auto hex = object_digest_to_hex(got->digest);
            if (!hex.ok() || *hex != task.file.sha256 || got->size != task.file.size)
                st = error(Code::data_loss, "the stored object is not the task's content");
        }
        r.duration_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - clock).count();
    }
    if (st.ok()) {
        files_++;
        file_bytes_ += bytes;
    } else {
        files_failed_++;
        r.state = wire::NodeState::failed;
        r.error = st.message();
    }
    send(a.connection, r);
}

WorkQueue& SimFleet::fetchers() {
    std::call_once(fetchers_made_, [this] {
        int n = o_.file_workers > 0 ? o_.file_workers : std::min(o_.agents, 256);
        fetchers_ = std::make_unique<WorkQueue>(n);
    });
    return *fetchers_;
}

void SimFleet::refuse(std::size_t connection, const wire::Task& task, std::string reason) {
    refused_++;
    wire::TaskResult r = result_for(task, wire::NodeState::refused);
    r.error = std::move(reason);
    send(connection, r);
}

void SimFleet::send(std::size_t connection, const wire::TaskResult& r) {
    sender_->send(PendingResult{r.batch_id, wire::result_subject(r.batch_id, r.agent_id),
                                wire::encode(r), connection});
}

void SimFleet::on_done(const PendingResult& r, Code outcome) {
    if (outcome == Code::ok) {
        stored_++;
    } else if (outcome == Code::conflict) {
        superseded_++;
    } else {
        failed_++;
        log::warn("sim", "result.not_stored", {{"batch_id", r.batch_id}, {"subject", r.subject}});
    }
    if (outcome != Code::ok) return;
    std::lock_guard lock(trace_mu_);
    auto it = traces_.find(r.batch_id);
    if (it == traces_.end()) return;
    it->second.stored++;
    it->second.last_stored_ms = wire::now_ms() - it->second.created_at_ms;
    it->second.last_activity = Clock::now();
}

void SimFleet::trace_task(const wire::Task& task) {
    std::int64_t now = wire::now_ms();
    std::lock_guard lock(trace_mu_);
    BatchTrace& t = traces_[task.batch_id];
    if (t.tasks++ == 0) {
        t.created_at_ms = task.created_at_ms;
        t.first_task_ms = now - task.created_at_ms;
    }
    t.last_task_ms = now - task.created_at_ms;
    t.last_activity = Clock::now();
}

std::vector<std::pair<std::string, BatchTrace>> SimFleet::quiet_batches(Clock::duration quiet) {
    std::vector<std::pair<std::string, BatchTrace>> out;
    auto now = Clock::now();
    std::lock_guard lock(trace_mu_);
    for (auto it = traces_.begin(); it != traces_.end();) {
        if (now - it->second.last_activity < quiet) {
            ++it;
            continue;
        }
        out.emplace_back(it->first, it->second);
        it = traces_.erase(it);
    }
    return out;
}

std::string SimFleet::summary() const {
    char line[640];
    std::snprintf(line, sizeof line,
                  "%d agents on %zu connections: %llu heartbeats, %llu tasks, %llu results "
                  "stored, %llu refused, %llu superseded, %llu not stored, %llu cancels, "
                  "%llu files fetched (%.1f MiB), %llu fetches failed",
                  o_.agents, buses_.size(), static_cast<unsigned long long>(heartbeats_.load()),
                  static_cast<unsigned long long>(tasks_.load()),
                  static_cast<unsigned long long>(stored_.load()),
                  static_cast<unsigned long long>(refused_.load()),
                  static_cast<unsigned long long>(superseded_.load()),
                  static_cast<unsigned long long>(failed_.load()),
                  static_cast<unsigned long long>(cancels_.load()),
                  static_cast<unsigned long long>(files_.load()),
                  static_cast<double>(file_bytes_.load()) / (1 << 20),
                  static_cast<unsigned long long>(files_failed_.load()));
    return line;
}

}  // namespace oasis::bench
