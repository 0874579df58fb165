// ControlService: answers the CLI's requests on oasis.ctl.<group>.<verb>.<caller>.
//
// Every request gets exactly one reply: the result, or an error object with
// a code and a message that says what to do. Malformed or hostile payloads
// and subjects are errors, never crashes. Thread-safe; handle() may run on many threads.
#pragma once

#include "batch_book.h"
#include "registry.h"

#include "oasis/bus.h"
#include "oasis/config.h"

namespace oasis::server {

class ControlService {
public:
    ControlService(Bus& bus, Registry& registry, BatchBook& book, const Config& config)
        : bus_(bus), registry_(registry), book_(book), config_(config),
          started_at_ms_(wire::now_ms()) {}

    // Returns the reply payload for a request on `subject`.
    std::string handle(std::string_view subject, std::string_view payload);

    // A final state the server gives a node that did not report one.
    struct Settlement {
        std::string agent_id;
        wire::NodeState state;
        std::string reason;
    };
    // Publishes final results for nodes that have none yet, all at once.
    // Returns, per node, whether this one was stored (false: the node
    // already had a result, or NATS failed, which is logged).
    std::vector<bool> finalize(const std::string& batch_id,
                               const std::vector<Settlement>& nodes);
    // Rewrites a batch record (cancel requested, done).
    Status store_record(const wire::Batch& batch);

private:
    // Logs why a request is refused; returns the error reply.
    std::string refuse(std::string_view subject, const std::string& caller, const Status& st);

    Result<std::string> agent_list(std::string_view payload);
    Result<std::string> agent_set(std::string_view payload);
    Result<std::string> exec_run(std::string_view payload);
    Result<std::string> exec_get(std::string_view payload);
    Result<std::string> exec_list(std::string_view payload);
    Result<std::string> exec_cancel(std::string_view payload);
    Result<std::string> system_status(std::string_view payload);

    Result<wire::BatchReport> find_batch(const std::string& batch_id);

    Bus& bus_;
    Registry& registry_;
    BatchBook& book_;
    const Config& config_;
    const std::int64_t started_at_ms_;
};

}  // namespace oasis::server
