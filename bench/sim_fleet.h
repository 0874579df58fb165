// SimFleet: the simulated agents of oasis-fleet-sim (see fleet_sim.cpp for
// what they do and how they differ from `oasis agent run`).
#pragma once

#include "result_sender.h"

#include "agent/executor.h"
#include "oasis/bus.h"
#include "oasis/wire.h"
#include "oasis/work_queue.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace oasis::bench {

// How tasks reach the agents.
//   per_agent  each agent subscribes to oasis.task.<id>, as a real agent does.
//              oasis::Bus gives every subscription its own nats.c delivery
//              thread (BusOptions has no switch for nats.c's global delivery
//              pool), so N agents cost N threads and N wake-ups per batch.
//   shared     each connection has one subscription to oasis.task.* in a
//              queue group; the simulator hands each task to its agent by
//              subject. NATS sees one subscription per connection instead
//              of one per agent; the server and the CLI see no difference.
//   consumer   the design alternative to the agent's plain subscription:
//              each agent reads its task subject through its own JetStream
//              consumer (Bus::follow: an ordered push consumer, new tasks
//              only), i.e. one consumer per agent on the server. Also one
//              delivery thread per agent.
enum class Delivery { per_agent, shared, consumer };

struct SimOptions {
    int agents = 1000;
    std::string prefix = "sim-";
    std::string nats_url = "nats://127.0.0.1:4222";
    int connections = 0;  // 0: agents / 500 + 1
    int heartbeat_sec = 30;
    Delivery delivery = Delivery::per_agent;
    ResultMode results = ResultMode::inline_sync;
    int publishers = 64;  // threads of ResultMode::pool (see docs/benchmarks.md)
    bool real_exec = false;
    int exec_workers = 8;
    // Threads fetching file tasks' objects; 0: one per agent, at most 256
    // (every agent of a real fleet fetches at once).
    int file_workers = 0;
    int duration_sec = 3600;
    bool trace = false;
};

// What one batch looked like from the agents' side, in milliseconds since
// the server created it (Task::created_at_ms; same machine, same clock).
struct BatchTrace {
    std::int64_t created_at_ms = 0;
    std::size_t tasks = 0, stored = 0;
    std::int64_t first_task_ms = -1, last_task_ms = -1, last_stored_ms = -1;
    std::chrono::steady_clock::time_point last_activity;
};

class SimFleet {
public:
    using Clock = std::chrono::steady_clock;

    // `o` and `buses` must outlive the fleet; buses is never empty.
    SimFleet(const SimOptions& o, std::vector<Bus*> buses);
    ~SimFleet();

    // Makes the agents and their subscriptions, and waits until NATS has
    // every subscription, so no agent announces itself before it can
    // receive a task.
    Status start();

    // Sends the heartbeats due at `now`: every agent's first at once, then
    // agent i at started + (i+1)/N of an interval, and every interval after.
    void heartbeat_due(Clock::time_point now, Clock::time_point started);

    // Ends every subscription and cancels running commands.
    void stop();

    // Traces of batches with no activity for `quiet`; each is returned once.
    std::vector<std::pair<std::string, BatchTrace>> quiet_batches(Clock::duration quiet);

    // One line: what the fleet did since it started.
    std::string summary() const;

private:
    struct Agent {
        wire::AgentInfo info;
        std::size_t connection = 0;
        std::unique_ptr<Subscription> sub;  // per_agent and consumer only
        Clock::time_point next_heartbeat;
        // Held through each file fetch: as in the agent, two fetches would
        // share its one fetch consumer.
        std::unique_ptr<std::mutex> fetching = std::make_unique<std::mutex>();
    };

    void on_task(const Agent& a, std::size_t connection, const Message& m);
    void run_real(const Agent& a, std::size_t connection, const wire::Task& task);
    void fetch_file(const Agent& a, const wire::Task& task);
    WorkQueue& fetchers();
    void refuse(std::size_t connection, const wire::Task& task, std::string reason);
    void send(std::size_t connection, const wire::TaskResult& r);
    void on_done(const PendingResult& r, Code outcome);
    void trace_task(const wire::Task& task);

    const SimOptions& o_;
    std::vector<Bus*> buses_;
    std::vector<Agent> agents_;
    std::unordered_map<std::string, const Agent*> by_id_;  // read-only after start()
    std::vector<std::unique_ptr<Subscription>> shared_subs_;
    std::size_t output_cap_ = 256 * 1024;

    std::atomic<std::uint64_t> tasks_{0}, stored_{0}, superseded_{0}, failed_{0}, refused_{0},
        cancels_{0}, heartbeats_{0}, files_{0}, files_failed_{0}, file_bytes_{0};

    std::mutex trace_mu_;
    std::map<std::string, BatchTrace> traces_;  // by batch id; guarded by trace_mu_

    // --real-exec: commands running, batches cancelled (both by
    // "batch/agent"), and whether the fleet is going away.
    // TODO: cancelled_ grows by one key per cancelled task for the
    // simulator's lifetime; fine for benchmark runs of minutes.
    std::mutex exec_mu_;
    std::map<std::string, agent::Execution*> running_;  // guarded by exec_mu_
    std::set<std::string> cancelled_;                   // guarded by exec_mu_
    bool stopping_ = false;                             // guarded by exec_mu_

    // Declared last, so they are stopped (and drained) first.
    std::unique_ptr<ResultSender> sender_;
    std::unique_ptr<WorkQueue> runners_;  // --real-exec only
    std::once_flag fetchers_made_;
    std::unique_ptr<WorkQueue> fetchers_;  // made by the first file task
};

}  // namespace oasis::bench
