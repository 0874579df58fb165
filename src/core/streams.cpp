#include "oasis/streams.h"

#include "oasis/audit.h"
#include "oasis/object_store.h"
#include "oasis/wire.h"

namespace oasis {

std::vector<StreamSpec> oasis_streams() {
    using std::chrono::hours;
    std::vector<StreamSpec> specs;

    // Tasks wait here for agents that are offline; an agent reads its own
    // subject back from where it stopped. Older tasks are past any deadline.
    StreamSpec tasks;
    tasks.name = wire::kTaskStream;
    tasks.subjects = {"oasis.task.>"};
    tasks.max_age = hours(24 * 7);
    tasks.max_msgs_per_subject = 10000;
    tasks.max_bytes = std::int64_t{1} << 30;
    specs.push_back(tasks);

    // One final result per node and batch (first writer wins).
    StreamSpec results;
    results.name = wire::kResultStream;
    results.subjects = {"oasis.result.>"};
    results.max_age = hours(24 * 30);
    results.max_bytes = std::int64_t{4} << 30;
    specs.push_back(results);

    // The batch records; the newest per batch is the truth.
    StreamSpec batches;
    batches.name = wire::kBatchStream;
    batches.subjects = {"oasis.batch.>"};
    batches.max_age = hours(24 * 30);
    batches.max_msgs_per_subject = 1;
    batches.max_msgs = 10000;
    specs.push_back(batches);

    // The last heartbeat of every agent: the registry a restarted server
    // reads back. An agent silent for 30 days is forgotten.
    StreamSpec heartbeats;
    heartbeats.name = wire::kHeartbeatStream;
    heartbeats.subjects = {"oasis.hb.>"};
    heartbeats.max_age = hours(24 * 30);
    heartbeats.max_msgs_per_subject = 1;
    specs.push_back(heartbeats);

    // Who changed what (records of mutating control requests, by the server
    // that handled them) and what agents alerted about (stored by a server,
    // checked and rate-limited: src/server/alert_recorder.h), kept a year.
    // Full, it drops its oldest entries rather than refuse new ones.
    StreamSpec audit;
    audit.name = wire::kAuditStream;
    audit.subjects = {"oasis.audit.>"};
    audit.max_age = hours(24 * 365);
    audit.max_bytes = std::int64_t{1} << 30;
    specs.push_back(audit);
    return specs;
}

Status ensure_oasis_streams(Bus& bus) {
    for (const auto& spec : oasis_streams()) OASIS_RETURN_IF_ERROR(bus.ensure_stream(spec));
    OASIS_RETURN_IF_ERROR(bus.ensure_kv_bucket(wire::kAgentOverrideBucket, 1));
    OASIS_RETURN_IF_ERROR(ObjectStore(bus).ensure_bucket(wire::kFileBucket));
    OASIS_RETURN_IF_ERROR(bus.ensure_kv_bucket(wire::kFileRevisionBucket, 1));
    return bus.ensure_kv_bucket("oasis_leader", 1);
}

}  // namespace oasis
