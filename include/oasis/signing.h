// Signed tasks (issue 3): the server signs every task it publishes with an
// Ed25519 key (libsodium), and an agent holding the public half runs only
// tasks whose signature checks out, so that being able to publish on NATS
// is not being able to run commands on every node.
//
// The signature covers canonical bytes built from the decoded Task, not its
// JSON, whose field order and escapes may vary on the way:
//
//   "oasis-task-v1"                         the domain tag, 13 bytes
//   task_id, kind, batch_id, agent_id       each a u32 length, then the bytes
//   created_at_ms, start_by_ms, timeout_sec each an i64 (two's complement)
//   the number of argv elements             u32
//   each argv element                       a u32 length, then the bytes
//
// A file task (kind "file") goes on with its FileWrite: source_path, as text;
// revision, as i64; sha256, text; size, i64; dest, text; mode, i64 (-1 when
// none is given); owner, text. Exec and cancel tasks end after argv.
//
// Integers are big-endian; kind is "exec", "cancel" or "file". A cancel task of
// batch "b-1" for agent "n1" with id "b-1.n1.cancel", created at 5, start
// by 9 and timeout 60 is "oasis-task-v1", 0000000d "b-1.n1.cancel",
// 00000006 "cancel", 00000003 "b-1", 00000002 "n1", 0000000000000005,
// 0000000000000009, 000000000000003c, 00000000 (no argv): 81 bytes.
//
// Key files hold one line of standard base64 (padded): the secret key file
// libsodium's 64-byte secret key (the seed, then the public key), the
// public key file the 32-byte public key. No libsodium type crosses this
// header. Signers and verifiers may be used from any thread.
#pragma once

#include "oasis/config.h"
#include "oasis/status.h"
#include "oasis/wire.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace oasis {

inline constexpr std::string_view kTaskSigningDomain = "oasis-task-v1";

// What `oasis system init` writes as certs/task-signing.key and .pub.
struct TaskKeyFiles {
    std::string secret_text;  // secret: the file must be mode 0600
    std::string public_text;
};

// A fresh key pair, as the text of its two files.
Result<TaskKeyFiles> make_task_key_files();

// The bytes a task's signature covers (the layout above). Every field but
// Task::signature counts; strings must be shorter than 4 GiB, which the
// wire decoders guarantee.
std::string task_signing_bytes(const wire::Task& task);

// Signs tasks. Holds the secret key in memory libsodium guards (locked,
// read-only, wiped when freed). Move-only.
class TaskSigner {
public:
    // From the text of a secret key file. invalid_argument, saying what is
    // wrong, for anything but base64 of a well-formed 64-byte secret key
    // (32 bytes, say, is likely the public key file given by mistake).
    static Result<TaskSigner> from_text(std::string_view text);

    // From a secret key file: a regular file of at most 4 KiB that only its
    // owner may read (mode 0600 or stricter; permission_denied otherwise).
    // Errors name the file.
    static Result<TaskSigner> load(const std::string& path);

    TaskSigner(TaskSigner&&) noexcept = default;
    TaskSigner& operator=(TaskSigner&&) noexcept = default;
    ~TaskSigner();

    // The base64 signature of `task`, for Task::signature. Never fails.
    std::string sign(const wire::Task& task) const;

    // The text of the matching public key file.
    std::string public_text() const;

private:
    struct Free {
        void operator()(unsigned char* key) const;
    };
    explicit TaskSigner(std::unique_ptr<unsigned char, Free> secret) : secret_(std::move(secret)) {}

    std::unique_ptr<unsigned char, Free> secret_;  // 64 bytes, read-only
};

// Why a verifier does (not) trust a task.
enum class TaskTrust { signed_ok, unsigned_task, bad_signature };

// Checks task signatures against one public key.
// TODO: one key only, so replacing the pair must reach the server and every
// agent at once; accepting the next key as well would allow a rollover.
class TaskVerifier {
public:
    // From the text of a public key file: base64 of 32 bytes.
    static Result<TaskVerifier> from_text(std::string_view text);

    // From a public key file (a regular file of at most 4 KiB). Errors name
    // the file.
    static Result<TaskVerifier> load(const std::string& path);

    // signed_ok only when Task::signature is the base64 of a valid
    // signature of task_signing_bytes(task) by this key; unsigned_task when
    // it is empty; bad_signature for anything else (another key, a changed
    // field, a truncated or garbled signature).
    TaskTrust verify(const wire::Task& task) const;

private:
    TaskVerifier() = default;

    std::array<unsigned char, 32> public_key_{};
};

// The server's signer, from [security] task_signing_key. nullopt when that
// path is only the default from [tls] certs_dir and no file is there (no
// signing); any other failure to load is an error that names the file and
// the setting.
Result<std::optional<TaskSigner>> load_task_signer(const SecurityConfig& config);

// The agent's verifier, from [security] task_public_key, likewise.
Result<std::optional<TaskVerifier>> load_task_verifier(const SecurityConfig& config);

}  // namespace oasis
