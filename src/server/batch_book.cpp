#include "batch_book.h"

#include <algorithm>

namespace oasis::server {

void BatchBook::on_record(const wire::Batch& batch) {
    std::lock_guard lock(mu_);
    auto [it, added] = batches_.try_emplace(batch.batch_id);
    Entry& e = it->second;
    bool was_done = !added && e.batch.done;
    e.batch = batch;
    if (was_done) e.batch.done = true;
    if (auto early = early_.find(batch.batch_id); early != early_.end()) {
        e.finals.merge(early->second);
        early_.erase(early);
    }
    if (e.batch.done) e.finals.clear();  // final_counts hold the summary now
}

void BatchBook::on_result(const std::string& batch_id, const std::string& agent_id,
                          wire::NodeState state) {
    std::lock_guard lock(mu_);
    auto it = batches_.find(batch_id);
    if (it == batches_.end()) {
        early_[batch_id].emplace(agent_id, state);
        return;
    }
    if (it->second.batch.done) return;
    // The stream keeps only the first result per node; so does the book.
    it->second.finals.emplace(agent_id, state);
}

wire::BatchReport BatchBook::report_of(const Entry& e) const {
    wire::BatchReport r;
    r.batch = e.batch;
    r.total = e.batch.targets.size();
    if (e.batch.done) {
        r.counts = e.batch.final_counts;
        return r;
    }
    for (const auto& id : e.batch.targets) {
        auto f = e.finals.find(id);
        if (f == e.finals.end())
            r.pending.push_back(id);
        else
            r.counts[static_cast<std::size_t>(f->second)]++;
    }
    return r;
}

std::optional<wire::BatchReport> BatchBook::report(std::string_view batch_id) const {
    std::lock_guard lock(mu_);
    auto it = batches_.find(std::string(batch_id));
    if (it == batches_.end()) return std::nullopt;
    return report_of(it->second);
}

std::vector<wire::BatchReport> BatchBook::recent(std::size_t limit) const {
    std::lock_guard lock(mu_);
    std::vector<const Entry*> all;
    all.reserve(batches_.size());
    for (const auto& [id, e] : batches_) all.push_back(&e);
    auto newer = [](const Entry* a, const Entry* b) {
        if (a->batch.created_at_ms != b->batch.created_at_ms)
            return a->batch.created_at_ms > b->batch.created_at_ms;
        return a->batch.batch_id > b->batch.batch_id;
    };
    std::size_t n = std::min(limit, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), newer);
    std::vector<wire::BatchReport> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(report_of(*all[i]));
    return out;
}

std::vector<wire::BatchReport> BatchBook::expired(std::int64_t now_ms) const {
    std::lock_guard lock(mu_);
    std::vector<wire::BatchReport> out;
    for (const auto& [id, e] : batches_) {
        if (e.batch.done || now_ms < wire::batch_expiry_ms(e.batch)) continue;
        auto r = report_of(e);
        if (!r.pending.empty()) out.push_back(std::move(r));
    }
    return out;
}

std::vector<wire::Batch> BatchBook::completed() const {
    std::lock_guard lock(mu_);
    std::vector<wire::Batch> out;
    for (const auto& [id, e] : batches_) {
        if (e.batch.done || e.finals.size() < e.batch.targets.size()) continue;
        auto r = report_of(e);
        if (!r.pending.empty()) continue;
        wire::Batch done = e.batch;
        done.done = true;
        done.final_counts = r.counts;
        if (done.file)
            for (const auto& [agent, state] : e.finals)
                if (!wire::is_success(state)) done.failed_nodes.push_back(agent);
        std::sort(done.failed_nodes.begin(), done.failed_nodes.end());
        out.push_back(std::move(done));
    }
    return out;
}

std::optional<std::unordered_map<std::string, bool>> BatchBook::successes(
    std::string_view batch_id) const {
    std::lock_guard lock(mu_);
    auto it = batches_.find(std::string(batch_id));
    if (it == batches_.end()) return std::nullopt;
    const Entry& e = it->second;
    std::unordered_map<std::string, bool> out;
    if (!e.batch.done) {
        for (const auto& [agent, state] : e.finals) out.emplace(agent, wire::is_success(state));
        return out;
    }
    for (const auto& agent : e.batch.targets) out.emplace(agent, true);
    for (const auto& agent : e.batch.failed_nodes) out[agent] = false;
    return out;
}

std::uint64_t BatchBook::oldest_open_results_seq() const {
    std::lock_guard lock(mu_);
    std::uint64_t oldest = 0;
    for (const auto& [id, e] : batches_) {
        if (e.batch.done) continue;
        if (oldest == 0 || e.batch.results_from_seq < oldest) oldest = e.batch.results_from_seq;
    }
    return oldest;
}

}  // namespace oasis::server
