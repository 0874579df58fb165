#include "server/batch_book.h"

#include <catch2/catch.hpp>

using namespace oasis;
using oasis::server::BatchBook;
using wire::NodeState;

namespace {

wire::Batch batch(std::string id, std::vector<std::string> targets, std::int64_t created = 1000) {
    wire::Batch b;
    b.batch_id = std::move(id);
    b.targets = std::move(targets);
    b.created_at_ms = created;
    b.start_by_ms = created + 300'000;
    b.timeout_sec = 10;
    b.results_from_seq = 7;
    return b;
}

std::size_t count(const wire::BatchReport& r, NodeState s) {
    return r.counts[static_cast<std::size_t>(s)];
}

}  // namespace

TEST_CASE("a batch counts final states and lists pending nodes", "[batches]") {
    BatchBook book;
    book.on_record(batch("b-1", {"a", "b", "c"}));
    book.on_result("b-1", "a", NodeState::succeeded);
    book.on_result("b-1", "b", NodeState::failed);
    auto r = book.report("b-1");
    REQUIRE(r);
    CHECK(r->total == 3);
    CHECK(count(*r, NodeState::succeeded) == 1);
    CHECK(count(*r, NodeState::failed) == 1);
    CHECK(r->pending == std::vector<std::string>{"c"});
}

TEST_CASE("the first final state of a node is the one that counts", "[batches]") {
    BatchBook book;
    book.on_record(batch("b-1", {"a"}));
    book.on_result("b-1", "a", NodeState::cancelled);
    book.on_result("b-1", "a", NodeState::succeeded);
    CHECK(count(*book.report("b-1"), NodeState::cancelled) == 1);
    CHECK(count(*book.report("b-1"), NodeState::succeeded) == 0);
}

TEST_CASE("results that arrive before their batch record are kept", "[batches]") {
    BatchBook book;
    book.on_result("b-1", "a", NodeState::succeeded);
    CHECK_FALSE(book.report("b-1"));
    book.on_record(batch("b-1", {"a", "b"}));
    CHECK(count(*book.report("b-1"), NodeState::succeeded) == 1);
}

TEST_CASE("a batch past its expiry with silent nodes is reported for sweeping", "[batches]") {
    BatchBook book;
    auto b = batch("b-1", {"a", "b"});
    book.on_record(b);
    book.on_result("b-1", "a", NodeState::succeeded);
    CHECK(book.expired(wire::batch_expiry_ms(b) - 1).empty());
    auto due = book.expired(wire::batch_expiry_ms(b));
    REQUIRE(due.size() == 1);
    CHECK(due[0].pending == std::vector<std::string>{"b"});
}

TEST_CASE("a complete batch becomes done once, with its counts", "[batches]") {
    BatchBook book;
    book.on_record(batch("b-1", {"a", "b"}));
    CHECK(book.completed().empty());
    book.on_result("b-1", "a", NodeState::succeeded);
    book.on_result("b-1", "b", NodeState::timed_out);
    auto done = book.completed();
    REQUIRE(done.size() == 1);
    CHECK(done[0].done);
    CHECK(done[0].final_counts[static_cast<std::size_t>(NodeState::timed_out)] == 1);

    book.on_record(done[0]);
    CHECK(book.completed().empty());
    CHECK(book.oldest_open_results_seq() == 0);
    auto r = book.report("b-1");
    CHECK(r->pending.empty());
    CHECK(count(*r, NodeState::succeeded) == 1);

    SECTION("a stale open record does not reopen it") {
        book.on_record(batch("b-1", {"a", "b"}));
        CHECK(book.report("b-1")->batch.done);
    }
}

TEST_CASE("recent batches come newest first and respect the limit", "[batches]") {
    BatchBook book;
    book.on_record(batch("b-old", {"a"}, 1000));
    book.on_record(batch("b-new", {"a"}, 3000));
    book.on_record(batch("b-mid", {"a"}, 2000));
    auto r = book.recent(2);
    REQUIRE(r.size() == 2);
    CHECK(r[0].batch.batch_id == "b-new");
    CHECK(r[1].batch.batch_id == "b-mid");
    CHECK(book.oldest_open_results_seq() == 7);
}

TEST_CASE("a file batch says which nodes hold the file, open and once done", "[batches]") {
    BatchBook book;
    wire::Batch b = batch("b-f", {"a", "b", "c", "d"});
    b.kind = "file";
    b.file = wire::FileWrite{};
    book.on_record(b);
    book.on_result("b-f", "a", NodeState::written);
    book.on_result("b-f", "b", NodeState::unchanged);
    book.on_result("b-f", "c", NodeState::failed);
    auto open = book.successes("b-f");
    REQUIRE(open);
    CHECK(open->size() == 3);
    CHECK(open->at("a"));
    CHECK(open->at("b"));
    CHECK_FALSE(open->at("c"));
    CHECK(book.completed().empty());

    book.on_result("b-f", "d", NodeState::timed_out);
    auto done = book.completed();
    REQUIRE(done.size() == 1);
    CHECK(done[0].failed_nodes == std::vector<std::string>{"c", "d"});
    // A restarted server knows the batch from its done record alone.
    BatchBook restarted;
    restarted.on_record(done[0]);
    auto again = restarted.successes("b-f");
    REQUIRE(again);
    CHECK(again->size() == 4);
    CHECK(again->at("a"));
    CHECK_FALSE(again->at("d"));
    CHECK_FALSE(restarted.successes("b-none"));
}
