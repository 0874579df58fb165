#include "agent/task_gate.h"

#include "oasis/wire.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace oasis;
using namespace oasis::agent;
using Action = TaskGate::Action;

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kNow = 1700000000000;

// An agent's state directory, its journal, and a gate for "n1" that holds
// the public key of `signer`. restart() is an agent restart: a new journal
// and gate over the same directory.
class GateFixture {
public:
    explicit GateFixture(bool with_key = true) {
        std::string pattern = (fs::temp_directory_path() / "oasis-gate-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        dir_ = pattern;
        auto files = make_task_key_files();
        REQUIRE(files.ok());
        auto signer = TaskSigner::from_text(files->secret_text);
        auto verifier = TaskVerifier::from_text(files->public_text);
        REQUIRE(signer.ok());
        REQUIRE(verifier.ok());
        signer_.emplace(std::move(*signer));
        if (with_key) verifier_.emplace(std::move(*verifier));
        restart(kNow);
    }
    ~GateFixture() {
        gate_.reset();
        journal_.reset();
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void restart(std::int64_t now_ms) {
        gate_.reset();
        journal_.reset();
        auto journal = TaskJournal::open(dir_.string(), now_ms);
        REQUIRE(journal.ok());
        journal_ = std::move(*journal);
        gate_.emplace("n1", verifier_ ? &*verifier_ : nullptr, *journal_);
    }

    // A signed exec task for `agent`, due to start within five minutes.
    wire::Task task(const std::string& id = "b-000000000001", const std::string& agent = "n1") {
        wire::Task t;
        t.task_id = id + "." + agent;
        t.batch_id = id;
        t.agent_id = agent;
        t.argv = {"touch", "/tmp/ran"};
        t.timeout_sec = 10;
        t.created_at_ms = kNow;
        t.start_by_ms = kNow + 300 * 1000;
        return signed_(t);
    }

    wire::Task signed_(wire::Task t) {
        t.signature = signer_->sign(t);
        return t;
    }

    // What the gate says of `t`, received live (seq 0) or as stored message seq.
    TaskGate::Verdict check(const wire::Task& t, std::uint64_t seq = 0,
                            std::int64_t now_ms = kNow + 1000) {
        return gate_->check(t, wire::encode(t), seq, now_ms);
    }

    TaskGate& gate() { return *gate_; }

private:
    fs::path dir_;
    std::optional<TaskSigner> signer_;
    std::optional<TaskVerifier> verifier_;
    std::unique_ptr<TaskJournal> journal_;
    std::optional<TaskGate> gate_;
};

}  // namespace

TEST_CASE("a signed task on time runs, once", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();
    CHECK(f.check(t).action == Action::run);

    auto again = f.check(t);
    CHECK(again.action == Action::refuse);
    CHECK(again.reason == "replayed");
}

TEST_CASE("tasks the agent cannot trust are refused with the reason", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();
    std::string reason;

    SECTION("unsigned") {
        t.signature.clear();
        reason = "unsigned";
    }
    SECTION("signed with another key") {
        GateFixture other;
        t = other.task();
        reason = "bad_signature";
    }
    SECTION("changed after signing") {
        t.argv = {"sh", "-c", "curl evil | sh"};
        reason = "bad_signature";
    }
    SECTION("a later deadline") {
        t.start_by_ms += 86400 * 1000;
        reason = "bad_signature";
    }
    SECTION("a truncated signature") {
        t.signature.resize(40);
        reason = "bad_signature";
    }
    SECTION("addressed to another agent, and signed for it") {
        t = f.task("b-000000000001", "n2");
        reason = "wrong_agent";
    }
    SECTION("past its start deadline") {
        t.start_by_ms = kNow - 1;
        t = f.signed_(t);
        reason = "expired";
    }
    auto v = f.check(t);
    CHECK(v.action == Action::refuse);
    CHECK(v.reason == reason);
    CHECK_FALSE(v.message.empty());
}

TEST_CASE("a refused untrusted task claims nothing", "[gate]") {
    GateFixture f;
    wire::Task good = f.task();
    wire::Task forged = good;
    forged.signature.clear();
    CHECK(f.check(forged).reason == "unsigned");
    // The real task with the same id still runs.
    CHECK(f.check(good).action == Action::run);
}

TEST_CASE("a cancel must be signed too", "[gate]") {
    GateFixture f;
    wire::Task c = f.task();
    c.kind = wire::TaskKind::cancel;
    c.task_id += ".cancel";
    c.argv.clear();
    wire::Task unsigned_cancel = c;
    unsigned_cancel.signature.clear();
    CHECK(f.check(unsigned_cancel).reason == "unsigned");
    CHECK(f.check(f.signed_(c)).action == Action::cancel);
}

TEST_CASE("the live and the stored copy of one publish are one task", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();

    SECTION("live first, then stored, then stored again") {
        CHECK(f.check(t, 0).action == Action::run);
        CHECK(f.check(t, 7).action == Action::drop);
        CHECK(f.check(t, 7).action == Action::drop);
    }
    SECTION("stored first (catch-up), then live") {
        CHECK(f.check(t, 7).action == Action::run);
        CHECK(f.check(t, 0).action == Action::drop);
        // A further live copy is a replay.
        CHECK(f.check(t, 0).reason == "replayed");
    }
    SECTION("a live copy long after the catch-up is a replay") {
        CHECK(f.check(t, 7).action == Action::run);
        CHECK(f.check(t, 0, kNow + 1000 + TaskGate::kTwinWindowMs + 1).reason == "replayed");
    }
}

TEST_CASE("a task stored before the subscription has no live copy to come", "[gate]") {
    GateFixture f;
    f.gate().subscribing_after(10);
    wire::Task old = f.task("b-000000000001");
    wire::Task recent = f.task("b-000000000002");
    CHECK(f.check(old, 7).action == Action::run);
    CHECK(f.check(recent, 11).action == Action::run);
    CHECK(f.check(old, 0).reason == "replayed");
    CHECK(f.check(recent, 0).action == Action::drop);
}

TEST_CASE("a live replay is reported once, not again for its stored copy", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();
    CHECK(f.check(t, 0).action == Action::run);
    CHECK(f.check(t, 0).reason == "replayed");
    CHECK(f.check(t, 7).action == Action::drop);  // the original's stored copy
    CHECK(f.check(t, 8).action == Action::drop);  // the replay's
    CHECK(f.check(t, 9).reason == "replayed");    // a replay stored while away
}

TEST_CASE("a second stored copy is a replay", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();
    CHECK(f.check(t, 0).action == Action::run);
    CHECK(f.check(t, 7).action == Action::drop);
    CHECK(f.check(t, 9).reason == "replayed");
}

TEST_CASE("the newest stored copy of live messages lets the cursor move on", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();

    SECTION("a task that ran") {
        CHECK(f.check(t, 0).action == Action::run);
        CHECK(f.gate().handled_live(t, wire::encode(t), 7));
        CHECK(f.check(t, 5).action == Action::drop);  // before it: accounted for
        CHECK(f.check(t, 7).action == Action::drop);
        CHECK(f.check(t, 8).reason == "replayed");
        // A copy stored later and not seen live is left to a catch-up.
        CHECK_FALSE(f.gate().handled_live(t, wire::encode(t), 9));
    }
    SECTION("a task not yet seen live") {
        CHECK_FALSE(f.gate().handled_live(t, wire::encode(t), 7));
        CHECK(f.check(t, 7).action == Action::run);
    }
    SECTION("a refused message, once") {
        wire::Task forged = t;
        forged.signature.clear();
        CHECK(f.check(forged, 0).reason == "unsigned");
        CHECK(f.gate().handled_live(forged, wire::encode(forged), 7));
        CHECK_FALSE(f.gate().handled_live(forged, wire::encode(forged), 8));
    }
    SECTION("a live replay: its copy is the newest") {
        CHECK(f.check(t, 0).action == Action::run);
        CHECK(f.check(t, 0).reason == "replayed");
        CHECK(f.gate().handled_live(t, wire::encode(t), 8));
        f.restart(kNow + 2000);
        CHECK(f.check(t, 7, kNow + 3000).action == Action::drop);  // the original
        CHECK(f.check(t, 9, kNow + 3000).reason == "replayed");    // stored while away
    }
}

TEST_CASE("replays are refused after an agent restart", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();

    SECTION("claimed live, stored copy read before the restart") {
        CHECK(f.check(t, 0).action == Action::run);
        CHECK(f.check(t, 7).action == Action::drop);
        f.restart(kNow + 2000);
        CHECK(f.check(t, 7, kNow + 3000).action == Action::drop);  // read again
        CHECK(f.check(t, 8, kNow + 3000).reason == "replayed");
        CHECK(f.check(t, 0, kNow + 3000).reason == "replayed");
    }
    SECTION("claimed live, stored copy first read after the restart") {
        CHECK(f.check(t, 0).action == Action::run);
        f.restart(kNow + 2000);
        CHECK(f.check(t, 7, kNow + 3000).action == Action::drop);
        CHECK(f.check(t, 8, kNow + 3000).reason == "replayed");
    }
    SECTION("claimed from the stream") {
        CHECK(f.check(t, 7).action == Action::run);
        f.restart(kNow + 2000);
        CHECK(f.check(t, 0, kNow + 3000).reason == "replayed");
    }
    SECTION("an expired task is remembered as well") {
        wire::Task late = t;
        late.start_by_ms = kNow - 1;
        late = f.signed_(late);
        CHECK(f.check(late, 0).reason == "expired");
        f.restart(kNow + 2000);
        CHECK(f.check(late, 0, kNow + 3000).reason == "replayed");
    }
}

TEST_CASE("a claim outlives the batch's expiry by an hour", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();
    t.timeout_sec = 3 * 3600;  // runs long past start_by + 1 h
    t = f.signed_(t);
    CHECK(f.check(t).action == Action::run);
    std::int64_t expiry = wire::expiry_ms(t.start_by_ms, t.timeout_sec);
    f.restart(expiry + 3599 * 1000);
    CHECK(f.check(t, 0, expiry + 3599 * 1000).reason == "replayed");
}

TEST_CASE("the stored copy of a refused live message is not refused twice", "[gate]") {
    GateFixture f;
    wire::Task forged = f.task();
    forged.argv = {"rm", "-rf", "/"};
    CHECK(f.check(forged, 0).reason == "bad_signature");
    CHECK(f.check(forged, 5).action == Action::drop);
    // A copy stored again later (replayed) is refused again.
    CHECK(f.check(forged, 6).reason == "bad_signature");

    // The same bytes twice live: two stored copies to drop.
    CHECK(f.check(forged, 0).reason == "bad_signature");
    CHECK(f.check(forged, 0).reason == "bad_signature");
    CHECK(f.check(forged, 10).action == Action::drop);
    CHECK(f.check(forged, 11).action == Action::drop);
    CHECK(f.check(forged, 12).reason == "bad_signature");
}

TEST_CASE("the memory of live messages is pruned", "[gate]") {
    GateFixture f;
    wire::Task t = f.task();
    CHECK(f.check(t, 7).action == Action::run);  // a live twin may follow
    wire::Task forged = t;
    forged.signature.clear();
    CHECK(f.check(forged, 0).reason == "unsigned");

    f.gate().prune(kNow + 10 * 60 * 1000);
    CHECK(f.check(t, 0, kNow + 10 * 60 * 1000).reason == "replayed");
    CHECK(f.check(forged, 8, kNow + 10 * 60 * 1000).reason == "unsigned");
}

TEST_CASE("without a public key unsigned tasks run, and replays still do not", "[gate]") {
    GateFixture f(/*with_key=*/false);
    wire::Task t = f.task();
    t.signature.clear();
    CHECK(f.check(t).action == Action::run);
    CHECK(f.check(t).reason == "replayed");
    CHECK(f.check(f.task("b-000000000002", "n2")).reason == "wrong_agent");
}

TEST_CASE("a task id the journal cannot hold is not run", "[gate]") {
    GateFixture f(/*with_key=*/false);
    wire::Task t = f.task();
    t.task_id = "x\n9999999999999 b-000000000009.n1";
    auto v = f.check(t);
    CHECK(v.action == Action::fail);
    CHECK(v.message ==
          "the agent cannot record the task in its state directory: a task id with spaces "
          "or control characters");
}
