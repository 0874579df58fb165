// Task signatures with libsodium's Ed25519 (crypto_sign_*), and the key
// files they come from (see oasis/signing.h for the signed bytes).
#include "oasis/signing.h"

#include "oasis/json.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace oasis {

namespace {

constexpr std::size_t kSecretBytes = crypto_sign_SECRETKEYBYTES;  // 64
constexpr std::size_t kPublicBytes = crypto_sign_PUBLICKEYBYTES;  // 32
constexpr std::size_t kSignatureBytes = crypto_sign_BYTES;        // 64
constexpr std::size_t kMaxKeyFileBytes = 4096;

static_assert(kPublicBytes == 32 && kSecretBytes == 64);

Status sodium_ready() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) return error(Code::internal, "libsodium could not initialise");
    return {};
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

void put_i64(std::string& out, std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((u >> shift) & 0xFF);
}

void put_text(std::string& out, std::string_view text) {
    put_u32(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

std::string_view trim_space(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n";
    auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// The bytes of a key file's text, or an error for what it is not.
Result<std::string> key_bytes(std::string_view text, std::string_view what, std::size_t want) {
    std::string_view body = trim_space(text);
    std::string bytes;
    if (body.empty()) return error(Code::invalid_argument, "empty; expected " + std::string(what));
    if (body.size() > kMaxKeyFileBytes || !base64_decode(body, bytes))
        return error(Code::invalid_argument, "not base64 text; expected " + std::string(what));
    if (bytes.size() != want) {
        std::string message = "holds " + std::to_string(bytes.size()) + " bytes, not the " +
                              std::to_string(want) + " of " + std::string(what);
        if (bytes.size() == kPublicBytes) message += " (is it the public key?)";
        if (bytes.size() == kSecretBytes) message += " (is it the secret key?)";
        sodium_memzero(bytes.data(), bytes.size());
        return error(Code::invalid_argument, message);
    }
    return bytes;
}

Status io_error(const std::string& path, int err) {
    return error(err == ENOENT ? Code::not_found : Code::io_error,
                 "cannot read " + path + ": " + std::strerror(err));
}

// The text of a small key file; `secret` also requires that only its owner
// can read it.
Result<std::string> read_key_file(const std::string& path, bool secret) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return io_error(path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        return io_error(path, err);
    }
    Status bad;
    if (!S_ISREG(st.st_mode))
        bad = error(Code::invalid_argument, path + ": not a regular file");
    else if (static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes)
        bad = error(Code::invalid_argument, path + ": larger than 4 KiB; not a key file");
    else if (secret && (st.st_mode & 077) != 0)
        bad = error(Code::permission_denied,
                    path + ": others may read this secret key (mode " +
                        std::to_string((st.st_mode >> 6) & 7) +
                        std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
                        "); make it readable by its owner only: chmod 600 " + path);
    if (!bad.ok()) {
        ::close(fd);
        return bad;
    }

    std::string text(kMaxKeyFileBytes + 1, '\0');
    std::size_t used = 0;
    while (used < text.size()) {
        ssize_t n = ::read(fd, text.data() + used, text.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return io_error(path, err);
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (used > kMaxKeyFileBytes)
        return error(Code::invalid_argument, path + ": larger than 4 KiB; not a key file");
    text.resize(used);
    return text;
}

// What to do about a key that would not load: `setting` names it, `file`
// is what `oasis system init` calls it.
std::string what_to_do(bool configured, std::string_view setting, std::string_view file) {
    std::string variable = "OASIS__SECURITY__";
    for (char c : setting)
        variable += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (configured)
        return "; point [security] " + std::string(setting) + " (or " + variable + ") at the " +
               std::string(file) + " that `oasis system init` wrote";
    return "; this is the default from [tls] certs_dir: put the " + std::string(file) +
           " that `oasis system init` wrote there, or set [security] " + std::string(setting);
}

// The key at `path` loaded with `load`, nullopt when the default file is
// absent, or an error naming the setting.
template <typename Key, typename Load>
Result<std::optional<Key>> load_optional(const std::string& path, bool configured,
                                         std::string_view setting, std::string_view file,
                                         Load load) {
    if (path.empty()) return std::optional<Key>();
    auto key = load(path);
    if (key.ok()) return std::optional<Key>(std::move(*key));
    Status st = key.status();
    if (!configured && st.code() == Code::not_found) return std::optional<Key>();
    if (st.code() == Code::permission_denied) return st;  // it says what to do
    return error(st.code(), st.message() + what_to_do(configured, setting, file));
}

// Only file tasks carry these, after the (empty) argv: see the header.
void put_file_write(std::string& out, const wire::FileWrite& file) {
    put_text(out, file.source_path);
    put_i64(out, static_cast<std::int64_t>(file.revision));
    put_text(out, file.sha256);
    put_i64(out, static_cast<std::int64_t>(file.size));
    put_text(out, file.dest);
    put_i64(out, file.mode ? static_cast<std::int64_t>(*file.mode) : -1);
    put_text(out, file.owner);
}

}  // namespace

Result<TaskKeyFiles> make_task_key_files() {
    OASIS_RETURN_IF_ERROR(sodium_ready());
    unsigned char pk[kPublicBytes];
    unsigned char sk[kSecretBytes];
    crypto_sign_keypair(pk, sk);
    TaskKeyFiles files;
    files.secret_text = base64_encode({reinterpret_cast<const char*>(sk), sizeof sk}) + "\n";
    files.public_text = base64_encode({reinterpret_cast<const char*>(pk), sizeof pk}) + "\n";
    sodium_memzero(sk, sizeof sk);
    return files;
}

std::string task_signing_bytes(const wire::Task& task) {
    std::size_t size = kTaskSigningDomain.size() + 4 * 4 + 3 * 8 + 4 + task.task_id.size() +
                       task.batch_id.size() + task.agent_id.size() + 6;
    for (const auto& arg : task.argv) size += 4 + arg.size();
    std::string out;
    out.reserve(size);
    out.append(kTaskSigningDomain);
    put_text(out, task.task_id);
    put_text(out, wire::task_kind_name(task.kind));
    put_text(out, task.batch_id);
    put_text(out, task.agent_id);
    put_i64(out, task.created_at_ms);
    put_i64(out, task.start_by_ms);
    put_i64(out, task.timeout_sec);
    put_u32(out, static_cast<std::uint32_t>(task.argv.size()));
    for (const auto& arg : task.argv) put_text(out, arg);
    if (task.kind == wire::TaskKind::file) put_file_write(out, task.file);
    return out;
}

// ---- TaskSigner -----------------------------------------------------------

void TaskSigner::Free::operator()(unsigned char* key) const {
    sodium_free(key);  // wipes it first
}

TaskSigner::~TaskSigner() = default;

Result<TaskSigner> TaskSigner::from_text(std::string_view text) {
    OASIS_RETURN_IF_ERROR(sodium_ready());
    auto bytes = key_bytes(text, "an Ed25519 secret key (64 bytes)", kSecretBytes);
    if (!bytes.ok()) return bytes.status();

    std::unique_ptr<unsigned char, Free> secret(
        static_cast<unsigned char*>(sodium_malloc(kSecretBytes)));
    if (!secret) return error(Code::internal, "cannot allocate guarded memory for the key");
    std::memcpy(secret.get(), bytes->data(), kSecretBytes);
    sodium_memzero(bytes->data(), bytes->size());

    // The second half is the public key of the first (the seed): a file
    // damaged in either half would sign tasks no agent accepts.
    unsigned char pk[kPublicBytes];
    unsigned char sk[kSecretBytes];
    crypto_sign_seed_keypair(pk, sk, secret.get());
    sodium_memzero(sk, sizeof sk);
    if (sodium_memcmp(pk, secret.get() + (kSecretBytes - kPublicBytes), kPublicBytes) != 0)
        return error(Code::invalid_argument,
                     "not a well-formed Ed25519 secret key: its public half does not belong "
                     "to its seed (the file is damaged)");
    sodium_mprotect_readonly(secret.get());
    return TaskSigner(std::move(secret));
}

Result<TaskSigner> TaskSigner::load(const std::string& path) {
    auto text = read_key_file(path, /*secret=*/true);
    if (!text.ok()) return text.status();
    auto signer = from_text(*text);
    sodium_memzero(text->data(), text->size());
    if (!signer.ok()) return signer.status().with_context(path);
    return signer;
}

std::string TaskSigner::sign(const wire::Task& task) const {
    std::string bytes = task_signing_bytes(task);
    unsigned char sig[kSignatureBytes];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                         bytes.size(), secret_.get());
    return base64_encode({reinterpret_cast<const char*>(sig), sizeof sig});
}

std::string TaskSigner::public_text() const {
    const auto* pk = secret_.get() + (kSecretBytes - kPublicBytes);
    return base64_encode({reinterpret_cast<const char*>(pk), kPublicBytes}) + "\n";
}

// ---- TaskVerifier ---------------------------------------------------------

Result<TaskVerifier> TaskVerifier::from_text(std::string_view text) {
    OASIS_RETURN_IF_ERROR(sodium_ready());
    auto bytes = key_bytes(text, "an Ed25519 public key (32 bytes)", kPublicBytes);
    if (!bytes.ok()) return bytes.status();
    TaskVerifier verifier;
    std::memcpy(verifier.public_key_.data(), bytes->data(), kPublicBytes);
    return verifier;
}

Result<TaskVerifier> TaskVerifier::load(const std::string& path) {
    auto text = read_key_file(path, /*secret=*/false);
    if (!text.ok()) return text.status();
    auto verifier = from_text(*text);
    if (!verifier.ok()) return verifier.status().with_context(path);
    return verifier;
}

TaskTrust TaskVerifier::verify(const wire::Task& task) const {
    if (task.signature.empty()) return TaskTrust::unsigned_task;
    std::string sig;
    if (task.signature.size() > 2 * kSignatureBytes || !base64_decode(task.signature, sig) ||
        sig.size() != kSignatureBytes)
        return TaskTrust::bad_signature;
    std::string bytes = task_signing_bytes(task);
    int rc = crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                         reinterpret_cast<const unsigned char*>(bytes.data()),
                                         bytes.size(), public_key_.data());
    return rc == 0 ? TaskTrust::signed_ok : TaskTrust::bad_signature;
}

// ---- From the configuration -----------------------------------------------

Result<std::optional<TaskSigner>> load_task_signer(const SecurityConfig& config) {
    return load_optional<TaskSigner>(config.task_signing_key, config.task_signing_key_configured,
                                     "task_signing_key", "task-signing.key", TaskSigner::load);
}

Result<std::optional<TaskVerifier>> load_task_verifier(const SecurityConfig& config) {
    return load_optional<TaskVerifier>(config.task_public_key, config.task_public_key_configured,
                                       "task_public_key", "task-signing.pub", TaskVerifier::load);
}

}  // namespace oasis
