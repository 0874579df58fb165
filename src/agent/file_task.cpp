#include "file_task.h"

#include "file_writer.h"

#include "oasis/file_spec.h"
#include "oasis/object_store.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace oasis::agent {

namespace {

// Hands chunks on to `sink` on a thread of its own, at most kQueued behind
// the fetch, so that writing to disk overlaps reading from NATS instead of
// following it (docs/benchmarks.md, section 11).
class PipedSink {
public:
    static constexpr std::size_t kQueued = 8;  // 1 MiB of 128 KiB chunks

    explicit PipedSink(const ContentSink& sink) : sink_(sink), thread_([this] { run(); }) {}
    ~PipedSink() { (void)finish(); }

    // Queues a copy of `bytes`; waits while kQueued chunks wait. The
    // writer's error, once it has one.
    Status push(std::string_view bytes) {
        std::unique_lock lock(mu_);
        room_.wait(lock, [this] { return queue_.size() < kQueued || !failed_.ok(); });
        if (!failed_.ok()) return failed_;
        queue_.emplace_back(bytes);
        ready_.notify_one();
        return {};
    }

    // Waits until every queued chunk is written; the writer's status.
    Status finish() {
        {
            std::lock_guard lock(mu_);
            closed_ = true;
            ready_.notify_one();
        }
        if (thread_.joinable()) thread_.join();
        return failed_;
    }

private:
    void run() {
        std::unique_lock lock(mu_);
        for (;;) {
            ready_.wait(lock, [this] { return !queue_.empty() || closed_; });
            if (queue_.empty()) return;
            std::string chunk = std::move(queue_.front());
            queue_.pop_front();
            room_.notify_one();
            lock.unlock();
            Status st = sink_(chunk);
            lock.lock();
            if (!st.ok()) {
                failed_ = std::move(st);
                queue_.clear();
                room_.notify_all();
                return;
            }
        }
    }

    const ContentSink& sink_;
    std::mutex mu_;
    std::condition_variable ready_, room_;
    std::deque<std::string> queue_;
    bool closed_ = false;
    Status failed_;
    std::thread thread_;  // last: starts once the rest is set up
};

Result<FileTarget> target_of(const wire::FileWrite& file) {
    FileTarget target;
    target.dest = file.dest;
    target.mode = file.mode;
    target.sha256_hex = file.sha256;
    target.size = file.size;
    if (!file.owner.empty()) {
        auto owner = parse_owner(file.owner);
        if (!owner.ok()) return owner.status();
        target.owner = std::move(*owner);
    }
    return target;
}

}  // namespace

wire::TaskResult run_file_task(Bus& bus, const wire::Task& task, const StopReason& stop) {
    using namespace std::chrono;
    const auto started = system_clock::now();
    const auto clock = steady_clock::now();
    wire::TaskResult result;
    result.batch_id = task.batch_id;
    result.agent_id = task.agent_id;
    result.reported_by = "agent";
    result.started_at_ms = duration_cast<milliseconds>(started.time_since_epoch()).count();

    ObjectStoreOptions options;
    options.reader_name = wire::file_fetch_consumer(task.agent_id);
    // write_file hashes what it writes and compares it with the task's
    // digest, which the server signed: the store need not hash it again.
    options.verify_digest = false;
    ObjectStore store(bus, options);
    std::string stopped;
    auto fetch = [&](const ContentSink& sink) -> Status {
        if (task.content) return task.content->empty() ? Status{} : sink(*task.content);
        PipedSink piped(sink);
        auto got = store.get(wire::kFileBucket, wire::file_object_name(task.file.sha256),
                             [&](std::string_view bytes) -> Status {
                                 if (stopped = stop(); !stopped.empty())
                                     return error(Code::conflict, stopped);
                                 return piped.push(bytes);
                             });
        // The writer's own error says more than the fetch it stopped.
        if (Status written = piped.finish(); !written.ok()) return written;
        return got.status();
    };

    auto target = target_of(task.file);
    auto outcome = target.ok() ? write_file(*target, fetch) : Result<WriteOutcome>(target.status());
    if (outcome.ok()) {
        result.state = *outcome == WriteOutcome::written ? wire::NodeState::written
                                                         : wire::NodeState::unchanged;
    } else {
        bool cancelled = !stopped.empty();
        result.state = cancelled ? wire::NodeState::cancelled : wire::NodeState::failed;
        result.error = cancelled ? stopped + "; " + task.file.dest + " was left as it was"
                                 : outcome.status().message();
    }
    result.duration_ms = duration_cast<milliseconds>(steady_clock::now() - clock).count();
    return result;
}

}  // namespace oasis::agent
