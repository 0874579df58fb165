#include "server/audit_trail.h"

#include "server/control.h"

#include <catch2/catch.hpp>

#include <map>

using namespace oasis;
using namespace oasis::server;

namespace {

// An audit stream in memory: sequence -> stored message; missing ones are
// gaps. Counts reads, so a test can see the page stop.
struct FakeStream {
    std::map<std::uint64_t, Message> messages;
    std::size_t reads = 0;

    void add_record(std::uint64_t seq, const std::string& action, const std::string& caller) {
        wire::AuditRecord r;
        r.time_ms = static_cast<std::int64_t>(seq);
        r.caller = caller;
        r.action = action;
        r.outcome = "ok";
        r.server = "srv";
        add(seq, wire::audit_subject(action), wire::encode(r));
    }
    void add(std::uint64_t seq, std::string subject, std::string data) {
        messages[seq] = Message{std::move(subject), std::move(data), "", seq,
                                static_cast<std::int64_t>(seq) * 1000};
    }
    StreamState state() const {
        if (messages.empty()) return {};
        return {messages.begin()->first, messages.rbegin()->first, messages.size()};
    }
    StoredReader reader() {
        return [this](std::uint64_t seq) -> Result<Message> {
            ++reads;
            auto it = messages.find(seq);
            if (it == messages.end()) return error(Code::not_found, "no message");
            return it->second;
        };
    }
};

std::vector<std::uint64_t> seqs(const wire::AuditListReply& page) {
    std::vector<std::uint64_t> out;
    for (const auto& e : page.entries) out.push_back(e.seq);
    return out;
}

const std::size_t kRoomy = 1 << 20;

}  // namespace

TEST_CASE("the verb table says which requests are recorded", "[audit]") {
    CHECK(ControlService::is_mutating("exec.run"));
    CHECK(ControlService::is_mutating("exec.cancel"));
    CHECK(ControlService::is_mutating("agent.set"));
    for (const char* read_only :
         {"exec.get", "exec.list", "agent.list", "system.status", "audit.list", "exec.nope", ""})
        CHECK_FALSE(ControlService::is_mutating(read_only));
}

TEST_CASE("an audit page reads newest first and passes over gaps", "[audit]") {
    FakeStream s;
    for (std::uint64_t seq : {3, 4, 6, 9}) s.add_record(seq, "exec.run", "alice");

    auto page = read_audit_page(s.state(), {50, 0}, kRoomy, s.reader());
    REQUIRE(page.ok());
    CHECK(seqs(*page) == std::vector<std::uint64_t>{9, 6, 4, 3});
    CHECK(page->next_before_seq == 0);
    CHECK(page->skipped.empty());
    CHECK(page->entries[0].stored_ms == 9000);
}

TEST_CASE("an audit page stops at the limit and says where to go on", "[audit]") {
    FakeStream s;
    for (std::uint64_t seq = 1; seq <= 10; ++seq) s.add_record(seq, "agent.set", "alice");

    auto first = read_audit_page(s.state(), {3, 0}, kRoomy, s.reader());
    REQUIRE(first.ok());
    CHECK(seqs(*first) == std::vector<std::uint64_t>{10, 9, 8});
    CHECK(first->next_before_seq == 8);

    auto second = read_audit_page(s.state(), {3, first->next_before_seq}, kRoomy, s.reader());
    REQUIRE(second.ok());
    CHECK(seqs(*second) == std::vector<std::uint64_t>{7, 6, 5});

    SECTION("the last entries leave nothing to go on to") {
        auto last = read_audit_page(s.state(), {50, 3}, kRoomy, s.reader());
        REQUIRE(last.ok());
        CHECK(seqs(*last) == std::vector<std::uint64_t>{2, 1});
        CHECK(last->next_before_seq == 0);
    }
    SECTION("before the first sequence there is nothing") {
        auto none = read_audit_page(s.state(), {50, 1}, kRoomy, s.reader());
        REQUIRE(none.ok());
        CHECK(none->entries.empty());
        CHECK(none->next_before_seq == 0);
    }
}

TEST_CASE("an audit page stays under its byte budget", "[audit]") {
    FakeStream s;
    for (std::uint64_t seq = 1; seq <= 20; ++seq) s.add_record(seq, "exec.run", "alice");
    wire::AuditListReply one;
    one.entries.push_back(*wire::audit_entry_from(s.messages[1].subject, s.messages[1].data, 1, 0));
    std::size_t entry_bytes = wire::encode(one).size();

    auto page = read_audit_page(s.state(), {50, 0}, entry_bytes * 4, s.reader());
    REQUIRE(page.ok());
    CHECK(page->entries.size() >= 3);
    CHECK(page->entries.size() <= 4);
    CHECK(wire::encode(*page).size() <= entry_bytes * 4);
    CHECK(page->next_before_seq == page->entries.back().seq);

    SECTION("a budget smaller than one entry still returns that entry") {
        auto tiny = read_audit_page(s.state(), {50, 0}, 10, s.reader());
        REQUIRE(tiny.ok());
        CHECK(seqs(*tiny) == std::vector<std::uint64_t>{20});
        CHECK(tiny->next_before_seq == 20);
    }
}

TEST_CASE("malformed audit messages are skipped with a note", "[audit]") {
    FakeStream s;
    s.add_record(1, "exec.run", "alice");
    s.add(2, "oasis.audit.exec.run", "not json");
    s.add(3, "oasis.audit.agent.set", "{\"api\":1}");
    wire::Alert forged{"task_refused", "agent-2", "", "", "claims to be agent-2", 5};
    s.add(4, wire::stored_alert_subject("agent-1"), wire::encode(forged));
    s.add_record(5, "exec.cancel", "bob");

    auto page = read_audit_page(s.state(), {50, 0}, kRoomy, s.reader());
    REQUIRE(page.ok());
    CHECK(seqs(*page) == std::vector<std::uint64_t>{5, 1});
    REQUIRE(page->skipped.size() == 3);
    CHECK(page->skipped[0].seq == 4);
    CHECK(page->skipped[0].reason == "an alert of agent \"agent-2\" on oasis.audit.alert.agent-1");
    CHECK(page->skipped[1].seq == 3);
    CHECK(page->skipped[1].reason == "field \"time_ms\": is required");
    CHECK(page->skipped[2].seq == 2);
    CHECK_THAT(page->skipped[2].reason, Catch::StartsWith("malformed JSON"));
}

TEST_CASE("an audit page reads a bounded number of messages", "[audit]") {
    FakeStream s;
    s.add_record(1, "exec.run", "alice");
    s.add_record(5000, "exec.run", "alice");  // 4998 sequences of gap between

    auto page = read_audit_page(s.state(), {50, 0}, kRoomy, s.reader());
    REQUIRE(page.ok());
    CHECK(seqs(*page) == std::vector<std::uint64_t>{5000});
    CHECK(s.reads == kMaxReadsPerPage);
    CHECK(page->next_before_seq == 5000 - kMaxReadsPerPage + 1);
}

TEST_CASE("an audit page ends with the error of a failed read", "[audit]") {
    FakeStream s;
    s.add_record(1, "exec.run", "alice");
    StoredReader broken = [](std::uint64_t) -> Result<Message> {
        return error(Code::unavailable, "no JetStream");
    };
    auto page = read_audit_page(s.state(), {50, 0}, kRoomy, broken);
    REQUIRE_FALSE(page.ok());
    CHECK(page.status().message() == "read the audit stream at 1: no JetStream");
}

TEST_CASE("records keep a short summary of each request", "[audit]") {
    SECTION("exec run: argv and selector cut as exec list shows them") {
        wire::ExecRunRequest req{
            "b-0123456789ab", std::string(300, 's'), {"echo", std::string(300, 'x'), "tail"}, 30};
        auto s = summarize(req);
        CHECK(s.batch_id == "b-0123456789ab");
        CHECK(s.selector == std::string(wire::kAuditTextBytes, 's') + "...");
        REQUIRE(s.argv.size() == 3);
        CHECK(s.argv[1] == std::string(wire::kAuditTextBytes - 4, 'x') + "...");
        CHECK(s.argv[2] == "...");
        CHECK(s.timeout_sec == 30);
        CHECK(s.shortened);
    }
    SECTION("a short exec run is kept whole") {
        auto s = summarize(wire::ExecRunRequest{"", "all", {"uptime"}, 60});
        CHECK(s.argv == std::vector<std::string>{"uptime"});
        CHECK_FALSE(s.shortened);
    }
    SECTION("agent set: at most 32 labels and groups") {
        wire::AgentSetRequest req;
        req.agent_id = "agent-1";
        req.change.labels.emplace();
        for (int i = 0; i < 40; ++i) (*req.change.labels)["k" + std::to_string(100 + i)] = "v";
        auto s = summarize(req);
        CHECK(s.agent_id == "agent-1");
        REQUIRE(s.labels);
        CHECK(s.labels->size() == wire::kAuditListItems);
        CHECK_FALSE(s.groups);
        CHECK(s.shortened);
    }
}
