// The Bus against a real nats-server: what the roles rely on.
#include "oasis/bus.h"

#include "support/nats_server.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using oasis::Bus;
using oasis::Code;

namespace {

std::unique_ptr<Bus> connect_to(const oasis::testing::NatsServer& nats) {
    oasis::BusOptions o;
    o.urls = {nats.url()};
    o.name = "bus-test";
    auto bus = Bus::connect(o);
    REQUIRE(bus.ok());
    return std::move(bus).value();
}

oasis::StreamSpec test_stream() {
    oasis::StreamSpec s;
    s.name = "T";
    s.subjects = {"t.>"};
    return s;
}

}  // namespace

TEST_CASE("a request to a subject nobody serves fails at once as unavailable", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    auto start = std::chrono::steady_clock::now();
    auto reply = bus->request("oasis.ctl.nobody.home", "{}", 5s);
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.status().code() == Code::unavailable);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("request and reply round-trip through a queue subscription", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    auto sub = bus->subscribe("svc.echo", "q", [&](oasis::Message&& m) {
        (void)bus->publish(m.reply, "echo:" + m.data);
    });
    REQUIRE(sub.ok());
    auto reply = bus->request("svc.echo", "hi", 5s);
    REQUIRE(reply.ok());
    CHECK(reply->data == "echo:hi");
}

TEST_CASE("connecting where no NATS listens says so and what to do", "[bus]") {
    oasis::BusOptions o;
    o.urls = {"nats://127.0.0.1:1"};
    auto bus = Bus::connect(o);
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
    CHECK_THAT(bus.status().message(), Catch::Contains("nats-server"));
}

TEST_CASE("only the first publish to an empty subject is accepted", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    oasis::PublishOptions first_wins;
    first_wins.only_if_subject_empty = true;

    auto a = bus->js_publish("t.r.1", "first", first_wins);
    REQUIRE(a.ok());
    auto b = bus->js_publish("t.r.1", "second", first_wins);
    REQUIRE_FALSE(b.ok());
    CHECK(b.status().code() == Code::conflict);
    auto c = bus->js_publish("t.r.2", "other", first_wins);
    CHECK(c.ok());

    auto last = bus->get_last("T", "t.r.1");
    REQUIRE(last.ok());
    CHECK(last->data == "first");
    CHECK(last->stream_seq == *a);
    CHECK(last->time_ms > 0);
}

TEST_CASE("direct reads walk a subject filter in order and end with not_found", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    for (int i = 0; i < 5; ++i) {
        REQUIRE(bus->js_publish("t.a", "a" + std::to_string(i)).ok());
        REQUIRE(bus->js_publish("t.b", "b" + std::to_string(i)).ok());
    }
    std::vector<std::string> seen;
    std::uint64_t seq = 1;
    for (;;) {
        auto m = bus->get_next("T", "t.a", seq);
        if (!m.ok()) {
            CHECK(m.status().code() == Code::not_found);
            break;
        }
        seen.push_back(m->data);
        seq = m->stream_seq + 1;
    }
    CHECK(seen == std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"});
    auto state = bus->stream_state("T");
    REQUIRE(state.ok());
    CHECK(state->msgs == 10);
}

TEST_CASE("a subject-scoped read returns what is stored on one subject, in order",
          "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    std::uint64_t third = 0;
    for (int i = 0; i < 5; ++i) {
        auto seq = bus->js_publish("t.a.x", "a" + std::to_string(i));
        REQUIRE(seq.ok());
        if (i == 2) third = *seq;
        REQUIRE(bus->js_publish("t.b", "b" + std::to_string(i)).ok());
    }
    auto all = bus->read_subject("T", "t.a.x", 1, "reader_1", 100);
    REQUIRE(all.ok());
    std::vector<std::string> seen;
    for (const auto& m : *all) {
        seen.push_back(m.data);
        CHECK(m.subject == "t.a.x");
    }
    CHECK(seen == std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"});

    auto from_third = bus->read_subject("T", "t.a.x", third, "reader_1", 100);
    REQUIRE(from_third.ok());
    REQUIRE(from_third->size() == 3);
    CHECK(from_third->front().stream_seq == third);
    CHECK(from_third->front().data == "a2");

    auto limited = bus->read_subject("T", "t.a.x", 1, "reader_1", 2);
    REQUIRE(limited.ok());
    CHECK(limited->size() == 2);

    auto none = bus->read_subject("T", "t.nothing", 1, "reader_1", 100);
    REQUIRE(none.ok());
    CHECK(none->empty());
    auto past_end = bus->read_subject("T", "t.a.x", 1000, "reader_1", 100);
    REQUIRE(past_end.ok());
    CHECK(past_end->empty());

    auto missing = bus->get_last("T", "t.nothing");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == Code::not_found);
}

TEST_CASE("a read through the name of a reader that died starts where it is told", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    for (int i = 0; i < 5; ++i) REQUIRE(bus->js_publish("t.a.x", "a" + std::to_string(i)).ok());

    // The reader that died (an agent killed mid-transfer): its consumer,
    // made as read_subject_each makes one, delivered two messages that were
    // never acknowledged, and nobody deleted it. NATS hands a consumer of
    // the same name and filter back on create, with its position.
    const std::string inbox = bus->new_inbox();
    std::atomic<int> delivered = 0;
    auto dead = bus->subscribe(inbox, "", [&](oasis::Message&&) { ++delivered; });
    REQUIRE(dead.ok());
    auto created = bus->request(
        "$JS.API.CONSUMER.CREATE.T.reader_1.t.a.x",
        R"({"stream_name":"T","config":{"name":"reader_1","deliver_subject":")" + inbox +
            R"(","filter_subject":"t.a.x","deliver_policy":"by_start_sequence",)"
            R"("opt_start_seq":1,"ack_policy":"explicit","ack_wait":30000000000,)"
            R"("max_ack_pending":2,"replay_policy":"instant","mem_storage":true,)"
            R"("inactive_threshold":30000000000}})",
        5s);
    REQUIRE(created.ok());
    REQUIRE(created->data.find("\"error\"") == std::string::npos);
    for (int i = 0; i < 50 && delivered < 2; ++i) std::this_thread::sleep_for(100ms);
    REQUIRE(delivered == 2);
    dead->reset();

    std::vector<std::string> seen;
    auto st = bus->read_subject_each("T", "t.a.x", 1, "reader_1", 2, [&](oasis::Message&& m) {
        seen.push_back(m.data);
        return oasis::Status{};
    });
    REQUIRE(st.ok());
    CHECK(seen == std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"});
}

TEST_CASE("many publishes are acknowledged together", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    std::vector<std::pair<std::string, std::string>> msgs;
    for (int i = 0; i < 2000; ++i) msgs.emplace_back("t.m." + std::to_string(i), "x");
    auto failed = bus->js_publish_all(msgs, 10s);
    REQUIRE(failed.ok());
    CHECK(*failed == 0);
    CHECK(bus->stream_state("T")->msgs == 2000);
}

TEST_CASE("publishing many at once reports each message's own outcome", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    REQUIRE(bus->js_publish("t.taken", "first").ok());

    std::vector<Bus::Outgoing> msgs;
    for (int i = 0; i < 500; ++i) {
        Bus::Outgoing m{"t.each." + std::to_string(i), "x", {}};
        m.options.only_if_subject_empty = true;
        msgs.push_back(m);
    }
    Bus::Outgoing taken{"t.taken", "second", {}};
    taken.options.only_if_subject_empty = true;
    msgs.insert(msgs.begin() + 250, taken);
    msgs.push_back({"t.plain", "a", {}});
    msgs.push_back({"t.plain", "b", {}});  // the same subject twice

    auto outcomes = bus->js_publish_each(msgs, 10s);
    REQUIRE(outcomes.ok());
    REQUIRE(outcomes->size() == msgs.size());
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        INFO(msgs[i].subject);
        if (i == 250)
            CHECK((*outcomes)[i].code() == Code::conflict);
        else
            CHECK((*outcomes)[i].ok());
    }
    CHECK(bus->get_last("T", "t.taken")->data == "first");
    CHECK(bus->get_last("T", "t.plain")->data == "b");
}

TEST_CASE("a follower replays what is stored and then what arrives", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    REQUIRE(bus->js_publish("t.f.1", "old").ok());
    REQUIRE(bus->js_publish("t.f.1", "newer").ok());
    REQUIRE(bus->js_publish("t.f.2", "two").ok());

    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> got;
    auto sub = bus->follow("T", "t.f.>", oasis::Replay::last_per_subject, [&](oasis::Message&& m) {
        std::lock_guard lock(mu);
        got.push_back(m.data);
        cv.notify_all();
    });
    REQUIRE(sub.ok());
    REQUIRE(bus->js_publish("t.f.3", "live").ok());
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, 5s, [&] { return got.size() >= 3; }));
    CHECK(got == std::vector<std::string>{"newer", "two", "live"});
}

TEST_CASE("a subscription's handler never runs after its destructor returns", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    std::atomic<int> calls{0};
    auto sub = bus->subscribe("t.flood", "", [&](oasis::Message&&) {
        std::this_thread::sleep_for(1ms);
        calls++;
    });
    REQUIRE(sub.ok());
    for (int i = 0; i < 200; ++i) (void)bus->publish("t.flood", "x");
    REQUIRE(bus->flush(2s).ok());
    std::this_thread::sleep_for(20ms);
    sub->reset();
    int after = calls.load();
    std::this_thread::sleep_for(100ms);
    CHECK(calls.load() == after);
}

TEST_CASE("key-value puts are read back and a missing key is not_found", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_kv_bucket("kvtest", 1).ok());
    REQUIRE(bus->ensure_kv_bucket("kvtest", 1).ok());  // idempotent
    REQUIRE(bus->kv_put("kvtest", "k1", "v1").ok());
    REQUIRE(bus->kv_put("kvtest", "k1", "v2").ok());
    auto v = bus->kv_get("kvtest", "k1");
    REQUIRE(v.ok());
    CHECK(*v == "v2");
    CHECK(bus->kv_get("kvtest", "nope").status().code() == Code::not_found);
}

TEST_CASE("publishes made while NATS restarts are delivered after it returns", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    nats.restart();
    auto seq = bus->js_publish("t.after", "x", {}, 15s);
    REQUIRE(seq.ok());
    CHECK(bus->get_last("T", "t.after")->data == "x");
}

TEST_CASE("a follower ends at once when its connection is closed while NATS is away", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    REQUIRE(bus->ensure_stream(test_stream()).ok());
    auto sub = bus->follow("T", "t.>", oasis::Replay::new_only, [](oasis::Message&&) {});
    REQUIRE(sub.ok());
    nats.stop();
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (bus->connected() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    REQUIRE_FALSE(bus->connected());

    // Without close() ending the follower would wait for NATS to delete
    // its consumer (5 s).
    bus->close();
    CHECK(bus->closed());
    auto started = std::chrono::steady_clock::now();
    sub->reset();
    CHECK(std::chrono::steady_clock::now() - started < 1s);
}
