// BatchBook: what the server knows of every batch in the batch stream, and
// which nodes of the open ones have their final state.
//
// The result stream is the truth; the book is a summary built from it (and
// rebuilt from it after a restart), used for listing, counting, sweeping
// and cancelling. Thread-safe.
#pragma once

#include "oasis/wire.h"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace oasis::server {

class BatchBook {
public:
    // Adds a batch or replaces its record (a cancel or done rewrite). Never
    // turns a done record back into an open one.
    void on_record(const wire::Batch& batch);
    // Records a node's final state. Results for unknown batches are kept
    // aside until their record arrives.
    void on_result(const std::string& batch_id, const std::string& agent_id,
                   wire::NodeState state);

    // The report of one batch without results (counts and pending only).
    std::optional<wire::BatchReport> report(std::string_view batch_id) const;
    // The newest `limit` batches, newest first, without results.
    std::vector<wire::BatchReport> recent(std::size_t limit) const;

    // Open batches past their expiry, with the nodes still pending.
    std::vector<wire::BatchReport> expired(std::int64_t now_ms) const;
    // Open batches where every node has its final state: ready to be
    // rewritten as done (with final counts filled in).
    std::vector<wire::Batch> completed() const;

    // For each node of a file batch with a final state, whether it holds
    // the file; nullopt for an unknown batch. A done batch answers from its
    // record (failed_nodes, which only file batches keep), an open one from
    // the results seen.
    std::optional<std::unordered_map<std::string, bool>> successes(
        std::string_view batch_id) const;

    // The lowest results_from_seq over open batches, or 0 when none is open.
    std::uint64_t oldest_open_results_seq() const;

private:
    struct Entry {
        wire::Batch batch;
        std::unordered_map<std::string, wire::NodeState> finals;
    };

    wire::BatchReport report_of(const Entry& e) const;

    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> batches_;
    // Results that arrived before their batch record (another server's batch).
    std::unordered_map<std::string, std::unordered_map<std::string, wire::NodeState>> early_;
};

}  // namespace oasis::server
