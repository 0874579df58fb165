// nats_floor: what N messages cost NATS itself, with no Oasis logic, so a
// fleet benchmark can say how far above the floor Oasis is.
//
// Four measurements, each the median and worst of --runs runs, all through
// oasis::Bus on one nats-server:
//
//   js-acked   N JetStream publishes to a file stream (the storage Oasis uses
//              for tasks and results), sent without waiting for each ack,
//              then waiting for all N acks (Bus::js_publish_all).
//   js-acked publish, sync first-wins  the same N publishes the way an
//              agent stores its result: each waits for its ack and carries
//              "store only if the subject is empty"; from --publishers
//              threads over --connections connections (as the simulator's
//              --results pool).
//   req-reply  N plain request-replies fanned out at once: one requester
//              publishes N requests to N subjects, each with its own
//              responder subscription (spread over --connections
//              connections, like the fleet simulator's agents); each
//              responder answers with a core publish; done when the
//              requester has all N replies.
//   req-reply, wildcard  the same with one wildcard subscription per
//              responder connection instead of one per subject, which shows
//              what one delivery thread per subscription costs.
//
// Payloads have the size of an encoded Task (requests) and TaskResult
// (replies). Setup (subscriptions, streams, connections) is not timed.
// Creates and at the end deletes the streams NATS_FLOOR (floor.js.>) and
// NATS_FLOOR_FW (floor.fw.>).
//
// Prints a markdown table on stdout.
#include "bench_args.h"

#include "oasis/bus.h"
#include "oasis/log.h"
#include "oasis/wire.h"

#include <pthread.h>
#include <cxxopts.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace oasis::bench {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct FloorOptions {
    int count = 1000;
    int connections = 0;  // 0: count / 500 + 1, as the simulator
    int runs = 5;
    int publishers = 64;  // threads of the first-wins measurement
    std::string nats_url = "nats://127.0.0.1:4222";
};

struct Timing {
    std::vector<double> seconds;
    int failed_runs = 0;

    double median() const {
        if (seconds.empty()) return 0;
        auto s = seconds;
        std::sort(s.begin(), s.end());
        return s[s.size() / 2];
    }
    double worst() const {
        return seconds.empty() ? 0 : *std::max_element(seconds.begin(), seconds.end());
    }
};

// Counts replies and wakes the requester when the last one is in.
struct ReplyCounter {
    std::mutex mu;
    std::condition_variable cv;
    int expected = 0;
    int got = 0;

    void add() {
        std::lock_guard lock(mu);
        if (++got == expected) cv.notify_all();
    }
    bool wait_all(std::chrono::seconds timeout) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, timeout, [&] { return got >= expected; });
    }
    void reset(int n) {
        std::lock_guard lock(mu);
        expected = n;
        got = 0;
    }
};

std::string sample_task() {
    wire::Task t;
    t.task_id = "b-0123456789ab.sim-00000";
    t.batch_id = "b-0123456789ab";
    t.agent_id = "sim-00000";
    t.argv = {"true"};
    t.created_at_ms = wire::now_ms();
    t.start_by_ms = t.created_at_ms + 300000;
    return wire::encode(t);
}

std::string sample_result() {
    wire::TaskResult r;
    r.batch_id = "b-0123456789ab";
    r.agent_id = "sim-00000";
    r.state = wire::NodeState::succeeded;
    r.exit_code = 0;
    r.started_at_ms = wire::now_ms();
    r.reported_by = "agent";
    return wire::encode(r);
}

Result<std::unique_ptr<Bus>> connect(const FloorOptions& o, const std::string& name) {
    BusOptions bo;
    bo.urls = {o.nats_url};
    bo.name = name;
    bo.confirm_subscriptions = false;  // thousands of subscriptions, no permissions
    return Bus::connect(bo);
}

Result<Timing> measure_js(const FloorOptions& o, Bus& bus) {
    StreamSpec spec;
    spec.name = "NATS_FLOOR";
    spec.subjects = {"floor.js.>"};
    OASIS_RETURN_IF_ERROR(bus.ensure_stream(spec));
    std::string payload = sample_task();
    Timing t;
    for (int run = 0; run < o.runs; ++run) {
        std::vector<std::pair<std::string, std::string>> messages;
        messages.reserve(static_cast<std::size_t>(o.count));
        for (int i = 0; i < o.count; ++i)
            messages.emplace_back("floor.js." + std::to_string(run) + "." + std::to_string(i),
                                  payload);
        auto start = Clock::now();
        auto failed = bus.js_publish_all(messages, 60s);
        double s = std::chrono::duration<double>(Clock::now() - start).count();
        if (!failed.ok() || *failed > 0)
            t.failed_runs++;
        else
            t.seconds.push_back(s);
    }
    OASIS_RETURN_IF_ERROR(bus.delete_stream(spec.name));
    return t;
}

// Like the simulator's result path (--results pool): `threads` threads
// over --connections connections, each publish waiting for its ack and
// stored only if its subject is empty (the agent's "first writer wins").
Result<Timing> measure_js_first_wins(const FloorOptions& o, Bus& admin, int threads) {
    StreamSpec spec;
    spec.name = "NATS_FLOOR_FW";
    spec.subjects = {"floor.fw.>"};
    OASIS_RETURN_IF_ERROR(admin.ensure_stream(spec));
    std::vector<std::unique_ptr<Bus>> buses;
    for (int k = 0; k < o.connections; ++k) {
        auto b = connect(o, "nats-floor publisher " + std::to_string(k));
        if (!b.ok()) return b.status();
        buses.push_back(std::move(*b));
    }
    std::string payload = sample_result();
    PublishOptions first_wins;
    first_wins.only_if_subject_empty = true;
    Timing t;
    for (int run = 0; run < o.runs; ++run) {
        std::atomic<int> next{0}, failed{0};
        std::string prefix = "floor.fw." + std::to_string(run) + ".";
        auto start = Clock::now();
        std::vector<std::thread> workers;
        for (int w = 0; w < threads; ++w) {
            workers.emplace_back([&, w] {
                Bus& bus = *buses[static_cast<std::size_t>(w % o.connections)];
                for (int i = next++; i < o.count; i = next++) {
                    if (!bus.js_publish(prefix + std::to_string(i), payload, first_wins, 60s).ok())
                        failed++;
                }
            });
        }
        for (auto& w : workers) w.join();
        double s = std::chrono::duration<double>(Clock::now() - start).count();
        if (failed.load() > 0)
            t.failed_runs++;
        else
            t.seconds.push_back(s);
    }
    OASIS_RETURN_IF_ERROR(admin.delete_stream(spec.name));
    return t;
}

// `wildcard`: one subscription per responder connection, else one per subject.
Result<Timing> measure_rr(const FloorOptions& o, Bus& requester, bool wildcard) {
    std::vector<std::unique_ptr<Bus>> responders;
    for (int k = 0; k < o.connections; ++k) {
        auto b = connect(o, "nats-floor responder " + std::to_string(k));
        if (!b.ok()) return b.status();
        responders.push_back(std::move(*b));
    }
    std::string reply_payload = sample_result();
    std::string tag = wildcard ? "floor.rw." : "floor.rr.";
    std::vector<std::unique_ptr<Subscription>> subs;
    auto subscribe = [&](Bus& b, const std::string& subject) -> Status {
        Bus* responder = &b;
        auto sub = b.subscribe(subject, "", [responder, &reply_payload](Message&& m) {
            (void)responder->publish(m.reply, reply_payload);
        });
        if (!sub.ok()) return sub.status();
        subs.push_back(std::move(*sub));
        return {};
    };
    std::vector<std::string> subjects;
    for (int i = 0; i < o.count; ++i) {
        int k = i % o.connections;
        subjects.push_back(tag + std::to_string(k) + "." + std::to_string(i));
        if (!wildcard)
            OASIS_RETURN_IF_ERROR(subscribe(*responders[std::size_t(k)], subjects.back()));
    }
    for (int k = 0; wildcard && k < o.connections; ++k)
        OASIS_RETURN_IF_ERROR(
            subscribe(*responders[std::size_t(k)], tag + std::to_string(k) + ".*"));

    ReplyCounter counter;
    std::string inbox = requester.new_inbox();
    auto replies = requester.subscribe(inbox + ".>", "", [&counter](Message&&) { counter.add(); });
    if (!replies.ok()) return replies.status();
    for (auto& b : responders) OASIS_RETURN_IF_ERROR(b->flush(30s));
    OASIS_RETURN_IF_ERROR(requester.flush(30s));

    std::string payload = sample_task();
    Timing t;
    for (int run = 0; run < o.runs; ++run) {
        counter.reset(o.count);
        std::string reply_prefix = inbox + "." + std::to_string(run) + ".";
        auto start = Clock::now();
        for (int i = 0; i < o.count; ++i)
            (void)requester.publish_request(subjects[std::size_t(i)],
                                            reply_prefix + std::to_string(i), payload);
        (void)requester.flush(10s);
        bool all = counter.wait_all(60s);
        double s = std::chrono::duration<double>(Clock::now() - start).count();
        if (all)
            t.seconds.push_back(s);
        else
            t.failed_runs++;
    }
    replies->reset();
    subs.clear();
    return t;
}

void print_row(const char* name, const FloorOptions& o, const Timing& t) {
    double median = t.median();
    std::printf("| %s | %d | %.4f | %.4f | %.0f | %d |\n", name, o.count, median, t.worst(),
                median > 0 ? o.count / median : 0.0, t.failed_runs);
}

bool parse_options(int argc, char** argv, FloorOptions& o, int& exit_code) {
    cxxopts::Options options("nats_floor",
                             "Times N JetStream-acked publishes and N plain "
                             "request-replies (see bench/nats_floor.cpp).");
    // One option per line reads as a table; clang-format would fold it.
    // clang-format off
    options.add_options()
        ("count", "messages per run", cxxopts::value<int>(o.count))
        ("connections", "responder and publisher connections (default count/500+1)",
         cxxopts::value<int>(o.connections))
        ("runs", "runs per measurement", cxxopts::value<int>(o.runs))
        ("publishers", "threads for the sync first-wins publishes",
         cxxopts::value<int>(o.publishers))
        ("nats-url", "NATS server", cxxopts::value<std::string>(o.nats_url))
        ("h,help", "show this help");
    // clang-format on
    if (!parse_flags(options, argc, argv, exit_code)) return false;
    if (o.connections == 0) o.connections = o.count / 500 + 1;
    if (o.count < 1 || o.count > 100000 || o.runs < 1 || o.runs > 100 || o.connections < 1 ||
        o.connections > o.count || o.publishers < 1 || o.publishers > 1024) {
        std::fprintf(stderr,
                     "nats_floor: error: --count 1..100000, --runs 1..100, "
                     "--connections 1..count, --publishers 1..1024\n");
        exit_code = 2;
        return false;
    }
    return true;
}

int run(const FloorOptions& o) {
    // One nats.c thread per subscription (see fleet_sim.cpp): keep stacks small.
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) == 0) {
        if (pthread_attr_setstacksize(&attr, 256 * 1024) == 0)
            (void)pthread_setattr_default_np(&attr);
        pthread_attr_destroy(&attr);
    }
    int exit_code = 0;
    {
        auto bus = connect(o, "nats-floor");
        if (!bus.ok()) {
            std::fprintf(stderr, "nats_floor: error: %s\n", bus.status().message().c_str());
            return 3;
        }
        auto js = measure_js(o, **bus);
        auto fw = measure_js_first_wins(o, **bus, o.publishers);
        auto rr = measure_rr(o, **bus, false);
        auto rw = measure_rr(o, **bus, true);
        std::printf(
            "| floor | N | median s | worst s | per s (median) | failed runs |\n"
            "|---|---:|---:|---:|---:|---:|\n");
        for (auto* r : {&js, &fw, &rr, &rw}) {
            if (!r->ok()) {
                std::fprintf(stderr, "nats_floor: error: %s\n", r->status().message().c_str());
                exit_code = 1;
            }
        }
        if (js.ok()) print_row("js-acked publish", o, *js);
        if (fw.ok()) print_row("js-acked publish, sync first-wins", o, *fw);
        if (rr.ok()) print_row("req-reply", o, *rr);
        if (rw.ok()) print_row("req-reply, wildcard", o, *rw);
    }
    shutdown_bus_library();
    return exit_code;
}

}  // namespace

}  // namespace oasis::bench

int main(int argc, char** argv) {
    oasis::bench::FloorOptions o;
    int exit_code = 0;
    if (!oasis::bench::parse_options(argc, argv, o, exit_code)) return exit_code;
    oasis::TelemetryConfig quiet;
    quiet.log_level = "error";  // the Bus logs every normal close at warn
    (void)oasis::log::init(quiet, "nats-floor");
    return oasis::bench::run(o);
}
