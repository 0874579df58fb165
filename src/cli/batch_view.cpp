// Following a batch and showing its results, for `exec` and `file`.
#include "batch_view.h"

#include "interrupt.h"
#include "result_feed.h"

#include "config_values.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

namespace oasis::cli {

using namespace std::chrono_literals;
using wire::NodeState;

namespace {

void print_output(const wire::Output& raw, const char* name, const char* prefix,
                  bool terminal) {
    if (raw.data.empty() && !raw.truncated) return;
    wire::Output shown;
    const wire::Output& out = terminal ? shown : raw;
    if (terminal) shown = wire::Output{for_terminal(raw.data), raw.total_bytes, raw.truncated};
    std::size_t start = 0;
    while (start < out.data.size()) {
        std::size_t end = out.data.find('\n', start);
        if (end == std::string::npos) end = out.data.size();
        std::fputs(prefix, stdout);
        std::fwrite(out.data.data() + start, 1, end - start, stdout);
        std::fputc('\n', stdout);
        start = end + 1;
    }
    if (out.truncated) {
        std::printf("%s(%s cut: kept the first %zu of %llu bytes)\n", prefix, name,
                    out.data.size(), static_cast<unsigned long long>(out.total_bytes));
    }
}

}  // namespace

void print_result(const wire::TaskResult& r, bool terminal) {
    // The error is the agent's text, not the command's output: always
    // shown on one line without control characters.
    std::string head = "[" + for_table(r.agent_id) + "] " + wire::node_state_name(r.state);
    if (r.exit_code >= 0) head += " (exit " + std::to_string(r.exit_code) + ", " +
                                  format_duration(r.duration_ms) + ")";
    else if (r.reported_by == "agent") head += " (" + format_duration(r.duration_ms) + ")";
    if (!r.error.empty() && !wire::is_success(r.state)) head += ": " + for_table(r.error);
    std::printf("%s\n", head.c_str());
    print_output(r.out, "stdout", "  ", terminal);
    print_output(r.err, "stderr", "  ! ", terminal);
}

std::string describe_batch(const wire::Batch& batch) {
    if (batch.file)
        return "file " + batch.file->source_path + " r" + std::to_string(batch.file->revision) +
               " -> " + batch.file->dest;
    std::string cmd;
    for (const auto& a : batch.argv) cmd += (cmd.empty() ? "" : " ") + a;
    return cmd;
}

std::string summary_of(const std::array<std::size_t, wire::kNodeStateCount>& counts,
                       std::size_t pending) {
    std::string out;
    for (std::size_t i = 0; i < wire::kNodeStateCount; ++i) {
        if (counts[i] == 0) continue;
        if (!out.empty()) out += ", ";
        out += std::to_string(counts[i]) + " " + wire::node_state_name(static_cast<NodeState>(i));
    }
    if (pending) out += (out.empty() ? "" : ", ") + std::to_string(pending) + " pending";
    return out.empty() ? "no nodes" : out;
}

bool all_succeeded(const std::array<std::size_t, wire::kNodeStateCount>& counts) {
    for (std::size_t i = 0; i < wire::kNodeStateCount; ++i)
        if (!wire::is_success(static_cast<NodeState>(i)) && counts[i]) return false;
    return true;
}

// Waits until `wanted` nodes have a result, printing each as it arrives
// (text) and a live count on a terminal. Fills `report`. Returns false on
// Ctrl-C.
Result<int> parse_timeout(const std::string& text) {
    auto timeout = parse_count(text, 1, wire::kMaxTimeoutSec);
    if (!timeout)
        return error(Code::invalid_argument,
                     "--timeout must be a whole number of seconds from 1 to " +
                         std::to_string(wire::kMaxTimeoutSec) + ", got " + core::quote(text));
    return *timeout;
}

bool follow_batch(Context& ctx, wire::BatchReport& report, std::size_t wanted) {
    DetachOnInterrupt ctrl_c;
    auto feed = ResultFeed::start(*ctx.bus(), report.batch);
    if (!feed.ok()) {
        Context::fail(feed.status());
        return true;
    }

    std::size_t total = report.batch.targets.size();
    auto progress = [&] {
        if (!ctx.stderr_tty()) return;
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", report.results.size(), total,
                     summary_of(report.counts, total - report.results.size()).c_str());
        std::fflush(stderr);
    };
    progress();
    while (report.results.size() < wanted) {
        if (ctrl_c.interrupted()) {
            if (ctx.stderr_tty()) std::fprintf(stderr, "\r\033[K");
            std::fprintf(stderr,
                         "oasis: detached; batch %s goes on (see `oasis exec get %s`)\n",
                         report.batch.batch_id.c_str(), report.batch.batch_id.c_str());
            return false;
        }
        auto r = (*feed)->next(100ms);
        if (!r) continue;
        report.counts[static_cast<std::size_t>(r->state)]++;
        if (!ctx.json()) {
            if (ctx.stderr_tty()) std::fprintf(stderr, "\r\033[K");
            print_result(*r, ctx.stdout_tty());
            std::fflush(stdout);
            // Printed: keep only the state, so memory does not grow with
            // fleet size times output size.
            r->out.data = std::string();
            r->err.data = std::string();
        }
        report.results.push_back(std::move(*r));
        progress();
    }
    if (ctx.stderr_tty()) std::fprintf(stderr, "\r\033[K");
    std::unordered_set<std::string> done;
    for (const auto& r : report.results) done.insert(r.agent_id);
    report.pending.clear();
    for (const auto& t : report.batch.targets)
        if (!done.count(t)) report.pending.push_back(t);
    return true;
}

}  // namespace oasis::cli
