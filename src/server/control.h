// ControlService: answers the CLI's requests on oasis.ctl.<group>.<verb>.<caller>.
//
// Every request gets exactly one reply: the result, or an error object with
// a code and a message that says what to do. Malformed or hostile payloads
// and subjects are errors, never crashes. A request to a mutating verb is
// written to the audit trail once its outcome is decided, before the reply.
// Thread-safe; handle() may run on many threads.
#pragma once

#include "batch_book.h"
#include "registry.h"

#include "oasis/audit.h"
#include "oasis/bus.h"
#include "oasis/config.h"
#include "oasis/file_wire.h"
#include "oasis/signing.h"

#include <functional>
#include <optional>
#include <span>
#include <string>

namespace oasis::server {

// The server's own TLS certificate, as `system status` shows it.
struct OwnCertificate {
    std::string path;
    std::string common_name;
    std::int64_t not_after_ms = 0;
};

class ControlService {
public:
    // `signer` (borrowed, may be null: tasks go unsigned) signs every task;
    // `certificate` is the server's own, for `system status`.
    ControlService(Bus& bus, Registry& registry, BatchBook& book, const Config& config,
                   const TaskSigner* signer,
                   std::optional<OwnCertificate> certificate = std::nullopt)
        : bus_(bus),
          registry_(registry),
          book_(book),
          config_(config),
          signer_(signer),
          certificate_(std::move(certificate)),
          started_at_ms_(wire::now_ms()) {}

    // Returns the reply payload for a request on `subject`.
    std::string handle(std::string_view subject, std::string_view payload);

    // Whether requests to `action` ("exec.run") change something, and so
    // are recorded in the audit trail. False for unknown actions.
    static bool is_mutating(std::string_view action);

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
    // A handler fills in what the audit record keeps of its request
    // (request summary, batch id); mutating ones only.
    using Handler = Result<std::string> (ControlService::*)(std::string_view payload,
                                                            wire::AuditRecord& audit);
    struct Verb {
        std::string_view action;  // "<group>.<verb>"
        Handler handler;
        bool mutating;  // recorded in the audit trail, whatever the outcome
    };
    static std::span<const Verb> verbs();

    // Logs why a request is refused; returns the error reply.
    std::string refuse(std::string_view subject, const std::string& caller, const Status& st);
    // Fills in and stores the audit record of a request that `outcome` ended.
    void record(wire::AuditRecord& audit, const wire::ControlSubject& subject,
                const Status& outcome);

    Result<std::string> agent_list(std::string_view payload, wire::AuditRecord&);
    Result<std::string> agent_set(std::string_view payload, wire::AuditRecord& audit);
    Result<std::string> exec_run(std::string_view payload, wire::AuditRecord& audit);
    Result<std::string> exec_get(std::string_view payload, wire::AuditRecord&);
    Result<std::string> exec_list(std::string_view payload, wire::AuditRecord&);
    Result<std::string> exec_cancel(std::string_view payload, wire::AuditRecord& audit);
    Result<std::string> system_status(std::string_view payload, wire::AuditRecord&);
    Result<std::string> audit_list(std::string_view payload, wire::AuditRecord&);

    Result<std::string> file_apply(std::string_view payload, wire::AuditRecord& audit);
    // A file.apply request checked, selector included, before the CLI
    // stores its content: a typo costs no upload. Changes nothing.
    Result<std::string> file_check(std::string_view payload, wire::AuditRecord& audit);
    Result<std::string> file_rollback(std::string_view payload, wire::AuditRecord& audit);
    Result<std::string> file_history(std::string_view payload, wire::AuditRecord&);
    Result<std::string> file_clear(std::string_view payload, wire::AuditRecord& audit);

    // The agents `selector` picks; not_found, ending in `nothing_done`,
    // for unknown ids or no match. Counts the targets into `audit`.
    Result<Selection> pick(const std::string& selector, wire::AuditRecord& audit,
                           std::string_view nothing_done);
    // invalid_argument when a batch `batch_id` is stored already.
    Status check_new_batch_id(const std::string& batch_id);
    // Targets `picked`, stores the batch record (once per id), and queues one
    // task per node, each filled in by `fill` (kind and payload) and signed.
    Result<wire::ExecRunReply> dispatch(wire::Batch batch, const Selection& picked,
                                        wire::AuditRecord& audit,
                                        const std::function<void(wire::Task&)>& fill);
    // Adds `candidate` (its number given here) to the history of
    // `source_path`, or `batch_id` to the newest revision when that one
    // already ships the same content to the same place in the same way.
    Result<wire::FileApplyReply> record_revision(const std::string& source_path,
                                                 wire::FileRevision candidate,
                                                 const std::string& batch_id);
    // not_found unless content `sha256` of `size` bytes is in the file store.
    Status check_stored_content(const std::string& sha256, std::uint64_t size);
    // The content of `file` when it is small enough to go in each task
    // (wire::kMaxInlineFileBytes), read once from the store; nullopt when
    // larger or unreadable (nodes then fetch it themselves).
    std::optional<std::string> inline_content(const wire::FileWrite& file);
    // Starts the file batch that writes `file` on `picked`.
    Result<std::string> start_file_batch(wire::FileApplyReply revision, wire::FileWrite file,
                                         const std::string& selector, int timeout_sec,
                                         const Selection& picked, wire::AuditRecord& audit);

    Result<wire::BatchReport> find_batch(const std::string& batch_id);
    // The task's JSON, signed when there is a signer.
    std::string encode_task(wire::Task& task) const;

    Bus& bus_;
    Registry& registry_;
    BatchBook& book_;
    const Config& config_;
    const TaskSigner* signer_;
    const std::optional<OwnCertificate> certificate_;  // none without TLS
    const std::int64_t started_at_ms_;
};

}  // namespace oasis::server
