// catchup_bench: what an agent's catch-up costs, the way it reads now
// (Bus::read_subject: one short-lived consumer scoped to its subject, which
// NATS permissions can confine it to) next to the way it read before
// (Bus::get_next: one direct get per stored task, which needs rights to the
// whole stream).
//
//   backlog   --backlog tasks queued on one agent's subject, among as many
//             for other agents: read them all, oldest first.
//   empty     --agents agents in turn, each with nothing queued: what a
//             reconnect of the whole fleet costs NATS, one agent after
//             another (the common case after a NATS restart). The agent
//             first reads its subject's last message and creates no
//             consumer when nothing is newer than its cursor; so does this.
//
// Prints a markdown table on stdout; each figure is the median of --runs.
// Creates and at the end deletes the stream CATCHUP_BENCH (cb.>).
#include "bench_args.h"
#include "bench_bus.h"

#include <cxxopts.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using oasis::bench::Clock;
using oasis::bench::median;
using oasis::bench::seconds_since;

std::size_t read_by_direct_gets(oasis::Bus& bus, const std::string& subject) {
    std::size_t n = 0;
    for (std::uint64_t seq = 1;;) {
        auto m = bus.get_next("CATCHUP_BENCH", subject, seq);
        if (!m.ok()) return n;
        seq = m->stream_seq + 1;
        ++n;
    }
}

// As the agent does: a direct get of the subject's last message first, so
// an agent with nothing new creates no consumer.
std::size_t read_by_consumer(oasis::Bus& bus, const std::string& subject) {
    if (!bus.get_last("CATCHUP_BENCH", subject).ok()) return 0;
    auto all = bus.read_subject("CATCHUP_BENCH", subject, 1, "bench_reader", 1 << 20);
    return all.ok() ? all->size() : 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string url = "nats://127.0.0.1:4222";
    int backlog = 1000, agents = 1000, runs = 5;
    cxxopts::Options options("catchup_bench", "What an agent's catch-up costs (see the source)");
    options.add_options()("nats-url", "NATS server", cxxopts::value<std::string>(url))(
        "backlog", "tasks queued on the agent read back",
        cxxopts::value<int>(backlog))("agents", "agents with nothing queued",
                                      cxxopts::value<int>(agents))(
        "runs", "runs per figure", cxxopts::value<int>(runs))("h,help", "show this help");
    if (int exit_code = 0; !oasis::bench::parse_flags(options, argc, argv, exit_code))
        return exit_code;
    auto bus = oasis::bench::quiet_bus(url, "catchup-bench");
    if (!bus) return 1;
    oasis::Bus& b = *bus;
    oasis::StreamSpec spec;
    spec.name = "CATCHUP_BENCH";
    spec.subjects = {"cb.>"};
    if (auto st = b.ensure_stream(spec); !st.ok()) {
        std::fprintf(stderr, "%s\n", st.message().c_str());
        return 1;
    }
    std::vector<std::pair<std::string, std::string>> msgs;
    const std::string task(420, 'x');  // about an encoded Task
    for (int i = 0; i < backlog; ++i) {
        msgs.emplace_back("cb.task.mine", task);
        msgs.emplace_back("cb.task.other" + std::to_string(i % 100), task);
    }
    (void)b.js_publish_all(msgs, std::chrono::seconds(60));

    std::vector<double> direct, consumer, empty_direct, empty_consumer;
    std::size_t got_direct = 0, got_consumer = 0;
    for (int r = 0; r < runs; ++r) {
        auto t0 = Clock::now();
        got_direct = read_by_direct_gets(b, "cb.task.mine");
        direct.push_back(seconds_since(t0));
        t0 = Clock::now();
        got_consumer = read_by_consumer(b, "cb.task.mine");
        consumer.push_back(seconds_since(t0));
        t0 = Clock::now();
        for (int a = 0; a < agents; ++a) read_by_direct_gets(b, "cb.idle." + std::to_string(a));
        empty_direct.push_back(seconds_since(t0));
        t0 = Clock::now();
        for (int a = 0; a < agents; ++a) read_by_consumer(b, "cb.idle." + std::to_string(a));
        empty_consumer.push_back(seconds_since(t0));
    }
    (void)b.delete_stream("CATCHUP_BENCH");

    std::printf("| catch-up (median of %d runs) | direct gets (before) | scoped consumer (now) |\n",
                runs);
    std::printf("| --- | --- | --- |\n");
    std::printf("| %d queued tasks of one agent | %.3f s (%zu read) | %.3f s (%zu read) |\n",
                backlog, median(direct), got_direct, median(consumer), got_consumer);
    std::printf("| %d agents with nothing queued, one after another | %.3f s | %.3f s |\n",
                agents, median(empty_direct), median(empty_consumer));
    return 0;
}
