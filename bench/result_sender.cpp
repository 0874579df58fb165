#include "result_sender.h"

#include "oasis/work_queue.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace oasis::bench {

namespace {

using namespace std::chrono_literals;

// The agent's own publish: wait for the ack, first writer wins.
Code store_first_wins(Bus& bus, const PendingResult& r) {
    PublishOptions first_wins;
    first_wins.only_if_subject_empty = true;
    auto seq = bus.js_publish(r.subject, r.payload, first_wins, 60s);
    return seq.ok() ? Code::ok : seq.status().code();
}

class InlineSender final : public ResultSender {
public:
    InlineSender(std::vector<Bus*> buses, ResultDone done)
        : buses_(std::move(buses)), done_(std::move(done)) {}

    void send(PendingResult r) override { done_(r, store_first_wins(*buses_[r.connection], r)); }

private:
    std::vector<Bus*> buses_;
    ResultDone done_;
};

class PoolSender final : public ResultSender {
public:
    PoolSender(std::vector<Bus*> buses, int publishers, ResultDone done)
        : buses_(std::move(buses)), done_(std::move(done)), workers_(publishers) {}

    void send(PendingResult r) override {
        workers_.post(
            [this, r = std::move(r)] { done_(r, store_first_wins(*buses_[r.connection], r)); });
    }

private:
    std::vector<Bus*> buses_;
    ResultDone done_;
    WorkQueue workers_;  // last: joined before the rest goes away
};

// One queue and one thread per connection. The thread takes whatever has
// queued up while its previous round was in flight, so batches grow with
// the load and a lone result still leaves at once.
class BatchSender final : public ResultSender {
public:
    BatchSender(std::vector<Bus*> buses, ResultDone done)
        : buses_(std::move(buses)), done_(std::move(done)), lanes_(buses_.size()) {
        for (std::size_t i = 0; i < lanes_.size(); ++i)
            lanes_[i].thread = std::thread([this, i] { drain(i); });
    }

    ~BatchSender() override {
        for (auto& lane : lanes_) {
            {
                std::lock_guard lock(lane.mu);
                lane.stopping = true;
            }
            lane.cv.notify_one();
        }
        for (auto& lane : lanes_) lane.thread.join();
    }

    void send(PendingResult r) override {
        Lane& lane = lanes_[r.connection];
        {
            std::lock_guard lock(lane.mu);
            lane.queue.push_back(std::move(r));
        }
        lane.cv.notify_one();
    }

private:
    struct Lane {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<PendingResult> queue;  // guarded by mu
        bool stopping = false;            // guarded by mu
        std::thread thread;
    };

    void drain(std::size_t index) {
        Lane& lane = lanes_[index];
        for (;;) {
            std::deque<PendingResult> round;
            {
                std::unique_lock lock(lane.mu);
                lane.cv.wait(lock, [&] { return lane.stopping || !lane.queue.empty(); });
                if (lane.queue.empty()) return;  // stopping, nothing left
                round.swap(lane.queue);
            }
            std::vector<std::pair<std::string, std::string>> messages;
            messages.reserve(round.size());
            for (const auto& r : round) messages.emplace_back(r.subject, r.payload);
            auto failed = buses_[index]->js_publish_all(messages, 60s);
            // js_publish_all says how many failed, not which: count the first
            // ones as failed so the totals are right.
            std::size_t bad = failed.ok() ? *failed : round.size();
            for (const auto& r : round) {
                done_(r, bad ? Code::unavailable : Code::ok);
                if (bad) --bad;
            }
        }
    }

    std::vector<Bus*> buses_;
    ResultDone done_;
    std::vector<Lane> lanes_;
};

}  // namespace

std::unique_ptr<ResultSender> ResultSender::make(ResultMode mode, std::vector<Bus*> buses,
                                                 int publishers, ResultDone done) {
    switch (mode) {
        case ResultMode::inline_sync:
            return std::make_unique<InlineSender>(std::move(buses), std::move(done));
        case ResultMode::pool:
            return std::make_unique<PoolSender>(std::move(buses), publishers, std::move(done));
        case ResultMode::batch:
            break;
    }
    return std::make_unique<BatchSender>(std::move(buses), std::move(done));
}

}  // namespace oasis::bench
