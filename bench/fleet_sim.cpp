// oasis-fleet-sim: thousands of lightweight agents in one process.
//
// Each simulated agent has its own id (<prefix>00000, <prefix>00001, ...),
// labels (env, role, rack, zone, sim=true), groups, the eight facts of
// include/oasis/facts.h and its own task subject. It speaks exactly what
// `oasis agent run` speaks (src/agent/agent.cpp), so the server and the CLI
// cannot tell the difference:
//
//   heartbeat  core publish of wire::AgentInfo to oasis.hb.<id>: the first at
//              start, then every --heartbeat-sec, the agents' phases spread
//              evenly over one interval (a steady trickle, not a burst);
//   task       wire::Task on oasis.task.<id>. An exec task is answered at
//              once with a succeeded result, or with --real-exec after its
//              argv ran through agent::Execution. A file task's object is
//              fetched as the agent fetches it (ObjectStore::get through the
//              agent's fetch consumer, digest checked) on one of
//              --file-workers threads, then dropped instead of written, and
//              answered written (failed if the fetch failed). A task past
//              its start deadline is refused; a cancel stops a running
//              command (not a fetch);
//   result     wire::TaskResult, a JetStream-acked publish to
//              oasis.result.<batch>.<id> in which the first writer wins
//              (unless --results batch; see result_sender.h).
//
// What a real agent does and the simulator does not: it keeps a task
// journal (here a task delivered twice would run twice) and reads its task
// subject back from the stream after a (re)connect (here tasks queued while
// the simulator was down are never picked up); and it writes a file
// task's content to disk (temp file, fsync, rename). Facts are synthetic
// and never change.
//
// Agents are spread over --connections NATS connections; --delivery and
// --results choose how tasks come in and results go out (sim_fleet.h).
// Runs until SIGINT or SIGTERM, or for --duration-sec, then prints one
// summary line on stdout. With --trace, prints for every batch, once it has
// been quiet for a second, when its tasks arrived and its results were
// stored, relative to when the server created it.
#include "bench_args.h"
#include "sim_fleet.h"

#include "oasis/log.h"

#include <pthread.h>
#include <cxxopts.hpp>

#include <csignal>
#include <cstdio>

namespace oasis::bench {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool parse_delivery(const std::string& text, Delivery& out) {
    if (text == "per-agent")
        out = Delivery::per_agent;
    else if (text == "shared")
        out = Delivery::shared;
    else if (text == "consumer")
        out = Delivery::consumer;
    else
        return false;
    return true;
}

bool parse_results(const std::string& text, ResultMode& out) {
    if (text == "inline")
        out = ResultMode::inline_sync;
    else if (text == "pool")
        out = ResultMode::pool;
    else if (text == "batch")
        out = ResultMode::batch;
    else
        return false;
    return true;
}

// The first problem with `o`, or nullptr.
const char* check_options(const SimOptions& o) {
    if (o.agents < 1 || o.agents > 100000) return "--agents must be 1 to 100000";
    if (o.connections < 1 || o.connections > o.agents) return "--connections must be 1 to --agents";
    if (o.heartbeat_sec < 1 || o.heartbeat_sec > 3600) return "--heartbeat-sec must be 1 to 3600";
    if (o.publishers < 1 || o.publishers > 1024) return "--publishers must be 1 to 1024";
    if (o.exec_workers < 1 || o.exec_workers > 256) return "--exec-workers must be 1 to 256";
    if (o.file_workers < 0 || o.file_workers > 1024) return "--file-workers must be 0 to 1024";
    if (o.duration_sec < 1) return "--duration-sec must be at least 1";
    if (!is_valid_agent_id(o.prefix + "00000")) return "--prefix makes invalid agent ids";
    if (o.delivery == Delivery::shared && o.results == ResultMode::inline_sync)
        return "--results inline needs --delivery per-agent (a shared delivery thread would "
               "wait for every ack in turn)";
    return nullptr;
}

// Fills `o`; on false, the process should exit with `exit_code`.
bool parse_options(int argc, char** argv, SimOptions& o, int& exit_code) {
    cxxopts::Options options("oasis-fleet-sim",
                             "Simulates many Oasis agents in one process (bench/fleet_sim.cpp).");
    std::string delivery = "per-agent", results;
    // One option per line reads as a table; clang-format would fold it.
    // clang-format off
    options.add_options()
        ("agents", "number of simulated agents (1 to 100000)", cxxopts::value<int>(o.agents))
        ("prefix", "agent id prefix", cxxopts::value<std::string>(o.prefix))
        ("nats-url", "NATS server", cxxopts::value<std::string>(o.nats_url))
        ("connections", "NATS connections (default agents/500+1)",
         cxxopts::value<int>(o.connections))
        ("heartbeat-sec", "heartbeat interval", cxxopts::value<int>(o.heartbeat_sec))
        ("delivery", "per-agent (a subscription each), shared (one per connection) or "
                     "consumer (a JetStream consumer each)",
         cxxopts::value<std::string>(delivery))
        ("results", "inline, pool or batch (default pool with shared, else inline)",
         cxxopts::value<std::string>(results))
        ("publishers", "threads publishing results with --results pool",
         cxxopts::value<int>(o.publishers))
        ("real-exec", "run each command instead of answering at once",
         cxxopts::value<bool>(o.real_exec))
        ("exec-workers", "commands run at once with --real-exec",
         cxxopts::value<int>(o.exec_workers))
        ("file-workers", "threads fetching file tasks' objects (default one per agent, "
                         "at most 256)",
         cxxopts::value<int>(o.file_workers))
        ("duration-sec", "stop by itself after this long", cxxopts::value<int>(o.duration_sec))
        ("trace", "print when each batch's tasks arrived and results were stored",
         cxxopts::value<bool>(o.trace))
        ("h,help", "show this help");
    // clang-format on
    if (!parse_flags(options, argc, argv, exit_code)) return false;
    if (o.connections == 0) o.connections = o.agents / 500 + 1;
    const char* bad = nullptr;
    if (!parse_delivery(delivery, o.delivery))
        bad = "--delivery must be per-agent, shared or consumer";
    else if (!results.empty() && !parse_results(results, o.results))
        bad = "--results must be inline, pool or batch";
    else if (results.empty())
        o.results = o.delivery == Delivery::shared ? ResultMode::pool : ResultMode::inline_sync;
    if (!bad) bad = check_options(o);
    if (bad) {
        std::fprintf(stderr, "oasis-fleet-sim: error: %s\n", bad);
        exit_code = 2;
        return false;
    }
    return true;
}

// With --delivery per-agent every agent costs a nats.c thread; 10,000 of
// them with the default 8 MiB stacks would reserve 80 GiB of address space.
void use_small_thread_stacks() {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return;
    if (pthread_attr_setstacksize(&attr, 256 * 1024) == 0) (void)pthread_setattr_default_np(&attr);
    pthread_attr_destroy(&attr);
}

void print_traces(SimFleet& fleet) {
    for (const auto& [batch, t] : fleet.quiet_batches(1s)) {
        std::fprintf(stderr,
                     "oasis-fleet-sim: trace %s: %zu tasks arrived +%lld..+%lld ms, %zu results "
                     "stored by +%lld ms (after the batch was created)\n",
                     batch.c_str(), t.tasks, static_cast<long long>(t.first_task_ms),
                     static_cast<long long>(t.last_task_ms), t.stored,
                     static_cast<long long>(t.last_stored_ms));
    }
}

int run(const SimOptions& o) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by every thread
    use_small_thread_stacks();

    std::vector<std::unique_ptr<Bus>> buses;
    for (int k = 0; k < o.connections; ++k) {
        BusOptions bo;
        bo.urls = {o.nats_url};
        bo.name = "oasis-fleet-sim " + o.prefix + " #" + std::to_string(k);
        bo.confirm_subscriptions = false;  // thousands of subscriptions, no permissions
        auto bus = Bus::connect(bo);
        if (!bus.ok()) {
            std::fprintf(stderr, "oasis-fleet-sim: error: %s\n", bus.status().message().c_str());
            return 3;
        }
        buses.push_back(std::move(*bus));
    }
    std::vector<Bus*> bus_ptrs;
    for (auto& b : buses) bus_ptrs.push_back(b.get());

    auto started = Clock::now();
    {
        SimFleet fleet(o, bus_ptrs);
        if (Status st = fleet.start(); !st.ok()) {
            std::fprintf(stderr, "oasis-fleet-sim: error: %s\n", st.message().c_str());
            return 3;
        }
        std::fprintf(stderr, "oasis-fleet-sim: %d agents subscribed on %d connections in %.2f s\n",
                     o.agents, o.connections,
                     std::chrono::duration<double>(Clock::now() - started).count());

        auto beat_start = Clock::now();
        auto end = beat_start + std::chrono::seconds(o.duration_sec);
        timespec tick{0, 50 * 1000 * 1000};
        while (Clock::now() < end) {
            fleet.heartbeat_due(Clock::now(), beat_start);
            if (o.trace) print_traces(fleet);
            int sig = sigtimedwait(&stop_signals, nullptr, &tick);
            if (sig == SIGINT || sig == SIGTERM) break;
        }
        auto stopping = Clock::now();
        fleet.stop();
        std::printf("oasis-fleet-sim: %s; ran %.1f s, stopped in %.2f s\n", fleet.summary().c_str(),
                    std::chrono::duration<double>(stopping - started).count(),
                    std::chrono::duration<double>(Clock::now() - stopping).count());
        std::fflush(stdout);
    }
    buses.clear();
    shutdown_bus_library();
    return 0;
}

}  // namespace

}  // namespace oasis::bench

int main(int argc, char** argv) {
    oasis::bench::SimOptions o;
    int exit_code = 0;
    if (!oasis::bench::parse_options(argc, argv, o, exit_code)) return exit_code;
    // Errors only: the Bus reports every normal close as a disconnect at
    // warn level, which for dozens of connections is noise.
    oasis::TelemetryConfig quiet;
    quiet.log_level = "error";
    (void)oasis::log::init(quiet, "fleet-sim");
    return oasis::bench::run(o);
}
