#include "file_task.h"

#include "file_writer.h"

#include "oasis/file_spec.h"
#include "oasis/object_store.h"

#include <chrono>

namespace oasis::agent {

namespace {

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
    ObjectStore store(bus, options);
    std::string stopped;
    auto fetch = [&](const ContentSink& sink) -> Status {
        auto got = store.get(wire::kFileBucket, wire::file_object_name(task.file.sha256),
                             [&](std::string_view bytes) -> Status {
                                 if (stopped = stop(); !stopped.empty())
                                     return error(Code::conflict, stopped);
                                 return sink(bytes);
                             });
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
