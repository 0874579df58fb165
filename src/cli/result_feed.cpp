#include "result_feed.h"

namespace oasis::cli {

Result<std::unique_ptr<ResultFeed>> ResultFeed::start(Bus& bus, const wire::Batch& batch) {
    std::unique_ptr<ResultFeed> feed(new ResultFeed);
    ResultFeed* self = feed.get();
    feed->batch_id_ = batch.batch_id;
    feed->targets_.insert(batch.targets.begin(), batch.targets.end());
    auto sub = bus.follow(
        wire::kResultStream, wire::results_of_batch_subject(batch.batch_id),
        Replay::from_sequence, [self](Message&& m) { self->on_message(std::move(m)); },
        batch.results_from_seq);
    if (!sub.ok()) return sub.status().with_context("follow results");
    feed->sub_ = std::move(*sub);
    return feed;
}

void ResultFeed::on_message(Message&& m) {
    auto r = wire::decode_task_result(m.data);
    if (!r.ok()) return;
    if (!wire::on_own_subject(*r, m.subject)) {
        // It took its node's only result slot: that node failed.
        auto verdict = wire::forged_result_verdict(m.subject);
        if (!verdict || verdict->batch_id != batch_id_) return;
        *r = std::move(*verdict);
    }
    // A node the batch does not target may store a result under its own
    // name for any batch id it learns: it counts for nothing.
    if (!targets_.count(r->agent_id)) return;
    std::lock_guard lock(mu_);
    if (!seen_.insert(r->agent_id).second) return;
    ready_.push_back(std::move(*r));
    cv_.notify_one();
}

std::optional<wire::TaskResult> ResultFeed::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !ready_.empty(); })) return std::nullopt;
    wire::TaskResult r = std::move(ready_.front());
    ready_.pop_front();
    return r;
}

}  // namespace oasis::cli
