#include "oasis/signing.h"

#include "oasis/json.h"
#include "oasis/pki.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace oasis;

namespace {

namespace fs = std::filesystem;

// A key pair made once with OpenSSL (`openssl pkeyutl -sign -rawin`) from
// the seed 01 02 ... 20, and its signature of known_task(), computed over
// bytes built by a separate Python encoder: a check against an
// implementation that shares no code with this one.
constexpr const char* kKnownSecret =
    "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZA==";
constexpr const char* kKnownPublic = "ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=";
constexpr const char* kKnownSignature =
    "+OW+N9SeqpOcxlyFWhWhSOhckVtMlxNDIEhHAfV+dScCm8ebiBpmT2L6lqWWg6FTeySC6+tMR3l74qcZkfxkAA==";

wire::Task known_task() {
    wire::Task t;
    t.task_id = "b-0123456789ab.agent-1";
    t.batch_id = "b-0123456789ab";
    t.agent_id = "agent-1";
    t.argv = {"sh", "-c", "echo hi", "Zürich"};
    t.timeout_sec = 5;
    t.created_at_ms = 1700000000000;
    t.start_by_ms = 1700000300000;
    return t;
}

std::string hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

TaskSigner fresh_signer(std::string* public_text = nullptr) {
    auto files = make_task_key_files();
    REQUIRE(files.ok());
    if (public_text) *public_text = files->public_text;
    auto signer = TaskSigner::from_text(files->secret_text);
    REQUIRE(signer.ok());
    return std::move(*signer);
}

TaskVerifier verifier_of(const std::string& public_text) {
    auto verifier = TaskVerifier::from_text(public_text);
    REQUIRE(verifier.ok());
    return std::move(*verifier);
}

std::string error_of(std::string_view secret_text) {
    auto signer = TaskSigner::from_text(secret_text);
    return signer.ok() ? "" : signer.status().message();
}

std::string public_error_of(std::string_view public_text) {
    auto verifier = TaskVerifier::from_text(public_text);
    return verifier.ok() ? "" : verifier.status().message();
}

// A fresh directory under the temp dir, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "oasis-signing-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    std::string write(const std::string& name, std::string_view text, unsigned mode) const {
        std::string file = (path / name).string();
        REQUIRE(write_file_atomically(file, text, mode).ok());
        return file;
    }
};

}  // namespace

TEST_CASE("the signed bytes follow the documented layout", "[signing]") {
    wire::Task t;
    t.task_id = "b-1.n1.cancel";
    t.kind = wire::TaskKind::cancel;
    t.batch_id = "b-1";
    t.agent_id = "n1";
    t.created_at_ms = 5;
    t.start_by_ms = 9;
    t.timeout_sec = 60;
    std::string bytes = task_signing_bytes(t);
    CHECK(bytes.size() == 81);
    CHECK(hex(bytes) ==
          "6f617369732d7461736b2d7631"          // oasis-task-v1
          "0000000d622d312e6e312e63616e63656c"  // task_id
          "0000000663616e63656c"                // kind
          "00000003622d31"                      // batch_id
          "000000026e31"                        // agent_id
          "0000000000000005"                    // created_at_ms
          "0000000000000009"                    // start_by_ms
          "000000000000003c"                    // timeout_sec
          "00000000");                          // no argv
}

TEST_CASE("the signed bytes do not depend on JSON field order or the signature", "[signing]") {
    auto a = wire::decode_task(
        R"({"api":1,"task_id":"b-1.n1","kind":"exec","batch_id":"b-1","agent_id":"n1",)"
        R"("argv":["echo","a b"],"timeout_sec":7,"created_at_ms":1,"start_by_ms":2})");
    auto b = wire::decode_task(
        R"({"start_by_ms":2,"created_at_ms":1,"argv":["echo","a\u0020b"],"timeout_sec":7,)"
        R"("agent_id":"n1","sig":"AAAA","batch_id":"b-1","kind":"exec",)"
        R"("task_id":"b-1.n1","api":1})");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(task_signing_bytes(*a) == task_signing_bytes(*b));
}

TEST_CASE("length prefixes keep neighbouring fields apart", "[signing]") {
    wire::Task a = known_task();
    wire::Task b = a;
    a.argv = {"ab", "c"};
    b.argv = {"a", "bc"};
    CHECK(task_signing_bytes(a) != task_signing_bytes(b));
    b.argv = {"abc"};
    CHECK(task_signing_bytes(a) != task_signing_bytes(b));
    a.argv = {};
    b.argv = {""};
    CHECK(task_signing_bytes(a) != task_signing_bytes(b));
}

TEST_CASE("a known key signs a known task as OpenSSL does", "[signing]") {
    auto signer = TaskSigner::from_text(kKnownSecret);
    REQUIRE(signer.ok());
    CHECK(signer->public_text() == std::string(kKnownPublic) + "\n");
    wire::Task t = known_task();
    CHECK(signer->sign(t) == kKnownSignature);

    t.signature = kKnownSignature;
    CHECK(verifier_of(kKnownPublic).verify(t) == TaskTrust::signed_ok);
}

TEST_CASE("a signed task survives the wire and verifies", "[signing]") {
    std::string public_text;
    TaskSigner signer = fresh_signer(&public_text);
    wire::Task t = known_task();
    t.signature = signer.sign(t);
    CHECK(t.signature.size() == 88);

    auto back = wire::decode_task(wire::encode(t));
    REQUIRE(back.ok());
    CHECK(back->signature == t.signature);
    CHECK(verifier_of(public_text).verify(*back) == TaskTrust::signed_ok);
}

TEST_CASE("a change to any signed field breaks the signature", "[signing]") {
    std::string public_text;
    TaskSigner signer = fresh_signer(&public_text);
    TaskVerifier verifier = verifier_of(public_text);
    wire::Task t = known_task();
    t.signature = signer.sign(t);
    REQUIRE(verifier.verify(t) == TaskTrust::signed_ok);

    wire::Task changed = t;
    SECTION("task_id") {
        changed.task_id += "x";
    }
    SECTION("kind") {
        changed.kind = wire::TaskKind::cancel;
    }
    SECTION("batch_id") {
        changed.batch_id = "b-0123456789ac";
    }
    SECTION("agent_id") {
        changed.agent_id = "agent-2";
    }
    SECTION("created_at_ms") {
        changed.created_at_ms++;
    }
    SECTION("start_by_ms") {
        changed.start_by_ms += 3600 * 1000;
    }
    SECTION("timeout_sec") {
        changed.timeout_sec = 6;
    }
    SECTION("an argv element") {
        changed.argv[2] = "rm -rf /";
    }
    SECTION("one more argv element") {
        changed.argv.push_back("");
    }
    SECTION("one argv element fewer") {
        changed.argv.pop_back();
    }
    CHECK(verifier.verify(changed) == TaskTrust::bad_signature);
}

TEST_CASE("unsigned, forged and garbled signatures are told apart", "[signing]") {
    std::string public_text;
    TaskSigner signer = fresh_signer(&public_text);
    TaskVerifier verifier = verifier_of(public_text);
    wire::Task t = known_task();
    std::string good = signer.sign(t);

    t.signature = "";
    CHECK(verifier.verify(t) == TaskTrust::unsigned_task);

    t.signature = fresh_signer().sign(t);  // another key
    CHECK(verifier.verify(t) == TaskTrust::bad_signature);

    for (std::string bad :
         {good.substr(0, 86), good.substr(0, 44), good + "AAAA", std::string("!!!not base64!!!"),
          std::string(88, 'A'), std::string(100000, 'A'), std::string("=")}) {
        t.signature = bad;
        CHECK(verifier.verify(t) == TaskTrust::bad_signature);
    }
}

TEST_CASE("every key pair is new, and each half reads back", "[signing]") {
    auto a = make_task_key_files();
    auto b = make_task_key_files();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->secret_text != b->secret_text);
    CHECK(a->secret_text.size() == 89);  // 88 characters of base64 and a newline
    CHECK(a->public_text.size() == 45);
    auto signer = TaskSigner::from_text(a->secret_text);
    REQUIRE(signer.ok());
    CHECK(signer->public_text() == a->public_text);
}

TEST_CASE("key text that is not a key is refused with the reason", "[signing]") {
    auto files = make_task_key_files();
    REQUIRE(files.ok());

    CHECK(error_of("") == "empty; expected an Ed25519 secret key (64 bytes)");
    CHECK(error_of(" \n\t") == "empty; expected an Ed25519 secret key (64 bytes)");
    CHECK(error_of("not base64 at all!") ==
          "not base64 text; expected an Ed25519 secret key (64 bytes)");
    CHECK(error_of(std::string(1 << 20, 'A')) ==
          "not base64 text; expected an Ed25519 secret key (64 bytes)");
    CHECK(error_of(files->public_text) ==
          "holds 32 bytes, not the 64 of an Ed25519 secret key (64 bytes) (is it the "
          "public key?)");
    CHECK(error_of(base64_encode(std::string(63, 'x'))) ==
          "holds 63 bytes, not the 64 of an Ed25519 secret key (64 bytes)");
    CHECK(error_of("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n") ==
          "not base64 text; expected an Ed25519 secret key (64 bytes)");

    // 64 bytes whose second half is not the first half's public key.
    std::string damaged;
    REQUIRE(base64_decode(kKnownSecret, damaged));
    damaged[40] ^= 1;
    CHECK(error_of(base64_encode(damaged)) ==
          "not a well-formed Ed25519 secret key: its public half does not belong to its "
          "seed (the file is damaged)");

    CHECK(public_error_of("") == "empty; expected an Ed25519 public key (32 bytes)");
    CHECK(public_error_of("%%%") == "not base64 text; expected an Ed25519 public key (32 bytes)");
    CHECK(public_error_of(files->secret_text) ==
          "holds 64 bytes, not the 32 of an Ed25519 public key (32 bytes) (is it the "
          "secret key?)");
    CHECK(public_error_of(base64_encode(std::string(31, 'x'))) ==
          "holds 31 bytes, not the 32 of an Ed25519 public key (32 bytes)");

    // Surrounding blank space, as editors leave it, is fine.
    CHECK(error_of("\n  " + files->secret_text + "\r\n\n").empty());
    CHECK(public_error_of(" " + files->public_text + "\n").empty());
}

TEST_CASE("key files load, and bad ones are refused naming the file", "[signing]") {
    TempDir dir;
    auto files = make_task_key_files();
    REQUIRE(files.ok());

    SECTION("the files init writes") {
        std::string secret = dir.write("task-signing.key", files->secret_text, 0600);
        std::string pub = dir.write("task-signing.pub", files->public_text, 0644);
        auto signer = TaskSigner::load(secret);
        REQUIRE(signer.ok());
        auto verifier = TaskVerifier::load(pub);
        REQUIRE(verifier.ok());
        wire::Task t = known_task();
        t.signature = signer->sign(t);
        CHECK(verifier->verify(t) == TaskTrust::signed_ok);
    }

    SECTION("a secret key others may read") {
        std::string secret = dir.write("task-signing.key", files->secret_text, 0640);
        auto signer = TaskSigner::load(secret);
        REQUIRE_FALSE(signer.ok());
        CHECK(signer.status().code() == Code::permission_denied);
        CHECK(signer.status().message() ==
              secret +
                  ": others may read this secret key (mode 640); make it readable by "
                  "its owner only: chmod 600 " +
                  secret);
    }

    SECTION("a missing file") {
        std::string missing = (dir.path / "nope.key").string();
        auto signer = TaskSigner::load(missing);
        REQUIRE_FALSE(signer.ok());
        CHECK(signer.status().code() == Code::not_found);
        CHECK(signer.status().message() ==
              "cannot read " + missing + ": No such file or directory");
    }

    SECTION("a directory") {
        auto verifier = TaskVerifier::load(dir.path.string());
        REQUIRE_FALSE(verifier.ok());
        CHECK(verifier.status().message() == dir.path.string() + ": not a regular file");
    }

    SECTION("a huge file") {
        std::string big = dir.write("big.pub", std::string(1 << 20, 'A'), 0644);
        auto verifier = TaskVerifier::load(big);
        REQUIRE_FALSE(verifier.ok());
        CHECK(verifier.status().message() == big + ": larger than 4 KiB; not a key file");
    }

    SECTION("the halves swapped") {
        std::string pub = dir.write("task-signing.pub", files->secret_text, 0600);
        auto verifier = TaskVerifier::load(pub);
        REQUIRE_FALSE(verifier.ok());
        CHECK(verifier.status().message() ==
              pub +
                  ": holds 64 bytes, not the 32 of an Ed25519 public key (32 bytes) (is "
                  "it the secret key?)");
    }
}

TEST_CASE("keys come from the configuration; only a default may be absent", "[signing][config]") {
    TempDir dir;
    SecurityConfig config;

    SECTION("nothing configured: no key") {
        auto signer = load_task_signer(config);
        REQUIRE(signer.ok());
        CHECK_FALSE(signer->has_value());
        auto verifier = load_task_verifier(config);
        REQUIRE(verifier.ok());
        CHECK_FALSE(verifier->has_value());
    }

    SECTION("a default path with no file there: no key") {
        config.task_signing_key = (dir.path / "task-signing.key").string();
        config.task_public_key = (dir.path / "task-signing.pub").string();
        auto signer = load_task_signer(config);
        REQUIRE(signer.ok());
        CHECK_FALSE(signer->has_value());
        auto verifier = load_task_verifier(config);
        REQUIRE(verifier.ok());
        CHECK_FALSE(verifier->has_value());
    }

    SECTION("a configured path with no file there: an error that says what to do") {
        config.task_public_key = (dir.path / "task-signing.pub").string();
        config.task_public_key_configured = true;
        auto verifier = load_task_verifier(config);
        REQUIRE_FALSE(verifier.ok());
        CHECK(verifier.status().code() == Code::not_found);
        CHECK(verifier.status().message() ==
              "cannot read " + config.task_public_key +
                  ": No such file or directory; point [security] task_public_key (or "
                  "OASIS__SECURITY__TASK_PUBLIC_KEY) at the task-signing.pub that `oasis "
                  "system init` wrote");
    }

    SECTION("a default path with a bad file there: an error, not silence") {
        config.task_signing_key = dir.write("task-signing.key", "garbage\n", 0600);
        auto signer = load_task_signer(config);
        REQUIRE_FALSE(signer.ok());
        CHECK(signer.status().message() ==
              config.task_signing_key +
                  ": not base64 text; expected an Ed25519 secret key (64 bytes); this is the "
                  "default from [tls] certs_dir: put the task-signing.key that `oasis system "
                  "init` wrote there, or set [security] task_signing_key");
    }

    SECTION("good files") {
        auto files = make_task_key_files();
        REQUIRE(files.ok());
        config.task_signing_key = dir.write("k", files->secret_text, 0600);
        config.task_public_key = dir.write("p", files->public_text, 0644);
        config.task_signing_key_configured = config.task_public_key_configured = true;
        auto signer = load_task_signer(config);
        auto verifier = load_task_verifier(config);
        REQUIRE(signer.ok());
        REQUIRE(verifier.ok());
        REQUIRE(signer->has_value());
        REQUIRE(verifier->has_value());
        wire::Task t = known_task();
        t.signature = (*signer)->sign(t);
        CHECK((*verifier)->verify(t) == TaskTrust::signed_ok);
    }
}

namespace {

wire::Task known_file_task() {
    wire::Task t = known_task();
    t.kind = wire::TaskKind::file;
    t.argv.clear();
    t.file.source_path = "/srv/app.conf";
    t.file.revision = 3;
    t.file.sha256 = std::string(64, 'a');
    t.file.size = 12;
    t.file.dest = "/etc/app/app.conf";
    t.file.mode = 0640;
    t.file.owner = "app:app";
    return t;
}

}  // namespace

TEST_CASE("a file task's signed bytes end with its file fields", "[signing]") {
    wire::Task t = known_file_task();
    std::string bytes = task_signing_bytes(t);
    // After the empty argv: each text field length-prefixed, each number
    // an i64, mode 0640 = 0x1a0.
    const std::size_t file_fields = 4 + 13 + 8 + 4 + 64 + 8 + 4 + 17 + 8 + 4 + 7;
    std::string tail = hex(bytes.substr(bytes.size() - file_fields));
    CHECK(tail.substr(0, 8) == "0000000d");
    CHECK(tail.find("00000000000001a0") != std::string::npos);
    wire::Task none = t;
    none.file.mode.reset();
    CHECK(hex(task_signing_bytes(none)).find("ffffffffffffffff") != std::string::npos);
    // An exec task's bytes are what they were before file tasks existed.
    CHECK(task_signing_bytes(known_task()).find("/etc/app") == std::string::npos);
}

TEST_CASE("a change to any field of a file task breaks the signature", "[signing]") {
    std::string public_text;
    TaskSigner signer = fresh_signer(&public_text);
    TaskVerifier verifier = verifier_of(public_text);
    wire::Task t = known_file_task();
    t.signature = signer.sign(t);
    REQUIRE(verifier.verify(t) == TaskTrust::signed_ok);
    auto json = wire::encode(t);
    auto back = wire::decode_task(json);
    REQUIRE(back.ok());
    REQUIRE(verifier.verify(*back) == TaskTrust::signed_ok);

    wire::Task changed = t;
    SECTION("kind") {
        changed.kind = wire::TaskKind::exec;
        changed.argv = {"true"};
    }
    SECTION("source_path") {
        changed.file.source_path = "/srv/other.conf";
    }
    SECTION("revision") {
        changed.file.revision = 4;
    }
    SECTION("sha256") {
        changed.file.sha256[0] = 'b';
    }
    SECTION("size") {
        changed.file.size = 13;
    }
    SECTION("dest") {
        changed.file.dest = "/etc/shadow";
    }
    SECTION("mode") {
        changed.file.mode = 04755;
    }
    SECTION("no mode") {
        changed.file.mode.reset();
    }
    SECTION("owner") {
        changed.file.owner = "root:root";
    }
    CHECK(verifier.verify(changed) == TaskTrust::bad_signature);
}
