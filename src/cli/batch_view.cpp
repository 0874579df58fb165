// Following a batch and showing its results, for `exec` and `file`.
#include "batch_view.h"

#include "interrupt.h"
#include "result_feed.h"

#include "config_values.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#include <unordered_set>
#include <utility>

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

Result<int> parse_timeout(const std::string& text) {
    auto timeout = parse_count(text, 1, wire::kMaxTimeoutSec);
    if (!timeout)
        return error(Code::invalid_argument,
                     "--timeout must be a whole number of seconds from 1 to " +
                         std::to_string(wire::kMaxTimeoutSec) + ", got " + core::quote(text));
    return *timeout;
}

namespace {

using Clock = std::chrono::steady_clock;

// The results of a batch as they come, through outages of NATS. A short
// one, such as NATS restarting, must not end the command: the batch goes
// on, and nats.c resumes the feed after a reconnect. A long one must, or
// the command waits for ever: after [cli] nats_outage_limit_sec in a row
// without NATS (or without a feed) it gives up.
class Follower {
public:
    // `redraw` puts the live count back after a line on stderr.
    Follower(Context& ctx, Bus& bus, const wire::Batch& batch, std::function<void()> redraw)
        : ctx_(ctx), bus_(bus), batch_(batch), redraw_(std::move(redraw)),
          limit_(ctx.config().cli.nats_outage_limit_sec) {}

    // The next result within about `wait`, or nullopt. Sets `exit` when the
    // command must end: NATS stayed away too long, or the feed failed.
    std::optional<wire::TaskResult> next(std::chrono::milliseconds wait,
                                         std::optional<int>& exit);

private:
    // Starts the feed; false (with `exit` set) when that failed for good.
    bool start_feed(std::optional<int>& exit);
    // A line on stderr, then the live count again unless the command ends.
    void say(const std::string& line, bool ending = false);
    std::string give_up_message() const;

    Context& ctx_;
    Bus& bus_;
    const wire::Batch& batch_;
    std::function<void()> redraw_;
    const std::chrono::seconds limit_;
    std::unique_ptr<ResultFeed> feed_;
    Clock::time_point next_start_{};          // when to try the feed again
    Status feed_error_;                       // why it last failed to start
    std::optional<Clock::time_point> stuck_;  // since when nothing can arrive
    bool said_lost_ = false;                  // "lost the connection" was printed
};

bool Follower::start_feed(std::optional<int>& exit) {
    auto feed = ResultFeed::start(bus_, batch_);
    if (feed.ok()) {
        feed_ = std::move(*feed);
        feed_error_ = Status{};
        return true;
    }
    Code code = feed.status().code();
    if (code != Code::unavailable && code != Code::timeout) {
        exit = Context::fail(feed.status());
        return false;
    }
    // NATS went away meanwhile, or JetStream is not ready yet after a
    // restart: try again in a second.
    feed_error_ = feed.status();
    next_start_ = Clock::now() + std::chrono::seconds(1);
    return true;
}

void Follower::say(const std::string& line, bool ending) {
    if (ctx_.stderr_tty()) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "%s\n", line.c_str());
    if (!ending) redraw_();
}

std::string Follower::give_up_message() const {
    const std::string& id = batch_.batch_id;
    std::string seconds = std::to_string(limit_.count()) + " s";
    std::string what =
        "NATS at " + ctx_.config().nats.urls.front() + " has been unreachable for " + seconds;
    if (bus_.connected() && !feed_error_.ok())
        what = "could not follow batch " + id + " for " + seconds + " (" +
               feed_error_.message() + ")";
    return "oasis: error: " + what + "; batch " + id +
           " may still be running: see `oasis exec get " + id + "` once NATS is back";
}

std::optional<wire::TaskResult> Follower::next(std::chrono::milliseconds wait,
                                               std::optional<int>& exit) {
    if (!feed_ && bus_.connected() && Clock::now() >= next_start_ && !start_feed(exit))
        return std::nullopt;

    // Said once an outage, on a terminal or not: a plain line, never the
    // NATS library's own reports (see on_async_error in bus.cpp).
    bool connected = bus_.connected();
    if (!connected && !said_lost_) {
        said_lost_ = true;
        say("oasis: lost the connection to NATS at " + ctx_.config().nats.urls.front() +
            "; retrying for up to " + std::to_string(limit_.count()) + " s");
    } else if (connected && feed_ && said_lost_) {
        said_lost_ = false;
        say("oasis: reconnected to NATS; following batch " + batch_.batch_id + " again");
    }

    auto now = Clock::now();
    if (connected && feed_) {
        stuck_.reset();
    } else if (!stuck_) {
        stuck_ = now;
    } else if (now - *stuck_ >= limit_) {
        say(give_up_message(), true);
        // Ending the feed would wait for NATS to delete its consumer.
        bus_.close();
        exit = kUnavailable;
        return std::nullopt;
    }

    if (!feed_) {
        std::this_thread::sleep_for(wait);
        return std::nullopt;
    }
    return feed_->next(wait);
}

}  // namespace

std::optional<int> follow_batch(Context& ctx, wire::BatchReport& report, std::size_t wanted) {
    DetachOnInterrupt ctrl_c;
    Bus* bus = ctx.bus();  // connected by the request that made or found the batch
    if (!bus) return kUnavailable;

    std::size_t total = report.batch.targets.size();
    auto progress = [&] {
        if (!ctx.stderr_tty()) return;
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", report.results.size(), total,
                     summary_of(report.counts, total - report.results.size()).c_str());
        std::fflush(stderr);
    };
    Follower follower(ctx, *bus, report.batch, progress);
    progress();
    while (report.results.size() < wanted) {
        if (ctrl_c.interrupted()) {
            if (ctx.stderr_tty()) std::fprintf(stderr, "\r\033[K");
            std::fprintf(stderr,
                         "oasis: detached; batch %s goes on (see `oasis exec get %s`)\n",
                         report.batch.batch_id.c_str(), report.batch.batch_id.c_str());
            if (!bus->connected()) bus->close();  // see Follower::next
            return kInterrupted;
        }
        std::optional<int> exit;
        auto r = follower.next(100ms, exit);
        if (exit) return exit;
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
    return std::nullopt;
}

}  // namespace oasis::cli
