// ResultFeed: the results of one batch as they are stored, read straight
// from the result stream (from the batch's first possible sequence), one per
// node, so nothing stored before or after the feed started is missed.
#pragma once

#include "oasis/bus.h"
#include "oasis/wire.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_set>

namespace oasis::cli {

class ResultFeed {
public:
    // Starts following; the Bus must outlive the feed.
    static Result<std::unique_ptr<ResultFeed>> start(Bus& bus, const wire::Batch& batch);

    // The next node's result, or nullopt when none arrived within `timeout`.
    std::optional<wire::TaskResult> next(std::chrono::milliseconds timeout);

private:
    ResultFeed() = default;
    void on_message(Message&& m);

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<wire::TaskResult> ready_;
    std::unordered_set<std::string> seen_;
    std::string batch_id_;
    std::unordered_set<std::string> targets_;
    std::unique_ptr<Subscription> sub_;
};

}  // namespace oasis::cli
