// The object store against a real nats-server: round trips, the standard
// layout, and that nothing half-written or damaged is ever passed as good.
#include "oasis/object_store.h"

#include "support/nats_server.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

using namespace std::chrono_literals;
using oasis::Bus;
using oasis::Code;
using oasis::ObjectStore;

namespace {

constexpr std::size_t kChunk = 128 * 1024;

std::unique_ptr<Bus> connect_to(const oasis::testing::NatsServer& nats) {
    oasis::BusOptions o;
    o.urls = {nats.url()};
    o.name = "object-store-test";
    auto bus = Bus::connect(o);
    REQUIRE(bus.ok());
    return std::move(bus).value();
}

// The byte at `offset` of a test object: a pattern no chunk repeats exactly.
char pattern_byte(std::uint64_t offset) {
    return static_cast<char>((offset * 2654435761u) >> 13);
}

// A source of `size` pattern bytes that never holds the object.
oasis::ObjectReader pattern_reader(std::uint64_t size) {
    auto offset = std::make_shared<std::uint64_t>(0);
    return [size, offset](std::span<char> buf) -> oasis::Result<std::size_t> {
        std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - *offset));
        for (std::size_t i = 0; i < n; ++i) buf[i] = pattern_byte(*offset + i);
        *offset += n;
        return n;
    };
}

oasis::ObjectReader string_reader(std::string data) {
    auto offset = std::make_shared<std::size_t>(0);
    return [data = std::move(data), offset](std::span<char> buf) -> oasis::Result<std::size_t> {
        std::size_t n = std::min(buf.size(), data.size() - *offset);
        std::memcpy(buf.data(), data.data() + *offset, n);
        *offset += n;
        return n;
    };
}

std::string get_string(ObjectStore& store, std::string_view bucket, std::string_view name) {
    std::string out;
    auto info = store.get(bucket, name, [&](std::string_view bytes) {
        out.append(bytes);
        return oasis::Status{};
    });
    REQUIRE(info.ok());
    return out;
}

std::uint64_t stored_messages(Bus& bus, std::string_view bucket) {
    auto state = bus.stream_state(oasis::object_stream(bucket));
    REQUIRE(state.ok());
    return state->msgs;
}

struct Fixture {
    oasis::testing::NatsServer nats;
    std::unique_ptr<Bus> bus = connect_to(nats);
    ObjectStore store{*bus};

    Fixture() { REQUIRE(store.ensure_bucket("files").ok()); }
};

}  // namespace

TEST_CASE("objects of every size around a chunk come back byte for byte", "[objects]") {
    Fixture f;
    for (std::uint64_t size :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{kChunk}, std::uint64_t{kChunk + 1}}) {
        DYNAMIC_SECTION("size " << size) {
            auto put = f.store.put("files", "obj", pattern_reader(size));
            REQUIRE(put.ok());
            CHECK(put->size == size);
            CHECK(put->chunks == (size + kChunk - 1) / kChunk);

            std::string back = get_string(f.store, "files", "obj");
            REQUIRE(back.size() == size);
            for (std::uint64_t i = 0; i < size; ++i)
                if (back[i] != pattern_byte(i)) FAIL("byte " << i << " differs");
            // The chunks and one meta, nothing else.
            CHECK(stored_messages(*f.bus, "files") == put->chunks + 1);
        }
    }
}

TEST_CASE("a 64 MiB object round-trips in order with its digest checked", "[objects]") {
    Fixture f;
    const std::uint64_t size = 64ull << 20;
    auto put = f.store.put("files", "big", pattern_reader(size));
    REQUIRE(put.ok());
    CHECK(put->chunks == 512);

    std::uint64_t offset = 0;
    bool same = true;
    auto got = f.store.get("files", "big", [&](std::string_view bytes) {
        for (char c : bytes) same = same && c == pattern_byte(offset++);
        return oasis::Status{};
    });
    REQUIRE(got.ok());
    CHECK(offset == size);
    CHECK(same);
    CHECK(got->digest == put->digest);
}

TEST_CASE("the meta follows the standard layout on a base64url subject", "[objects]") {
    Fixture f;
    CHECK(oasis::object_meta_subject("files", "a") == "$O.files.M.YQ==");
    const std::string name = "etc/nginx/my site ü.conf";
    auto put = f.store.put("files", name, string_reader("server {}\n"));
    REQUIRE(put.ok());

    auto meta = f.bus->get_last("OBJ_files", oasis::object_meta_subject("files", name));
    REQUIRE(meta.ok());
    CHECK(meta->subject == "$O.files.M.ZXRjL25naW54L215IHNpdGUgw7wuY29uZg==");
    CHECK_THAT(meta->data, Catch::Contains(R"("name":"etc/nginx/my site ü.conf")"));
    CHECK_THAT(meta->data, Catch::Contains(R"("digest":"SHA-256=)"));
    CHECK_THAT(meta->data, Catch::Contains(R"("options":{"max_chunk_size":131072})"));
    CHECK(get_string(f.store, "files", name) == "server {}\n");

    auto info = f.store.info("files", name);
    REQUIRE(info.ok());
    CHECK(info->nuid == put->nuid);
    CHECK(info->time_ms > 0);
}

TEST_CASE("an overwrite purges the chunks of the object it replaces", "[objects]") {
    Fixture f;
    REQUIRE(f.store.put("files", "cfg", pattern_reader(3 * kChunk)).ok());
    CHECK(stored_messages(*f.bus, "files") == 4);

    REQUIRE(f.store.put("files", "cfg", string_reader("small")).ok());
    CHECK(stored_messages(*f.bus, "files") == 2);
    CHECK(get_string(f.store, "files", "cfg") == "small");
}

TEST_CASE("a meta that does not decode is reported and can be replaced", "[objects]") {
    Fixture f;
    oasis::PublishOptions rollup;
    rollup.headers = {{"Nats-Rollup", "sub"}};
    REQUIRE(f.bus->js_publish(oasis::object_meta_subject("files", "cfg"), "not json", rollup).ok());
    CHECK(f.store.info("files", "cfg").status().code() == Code::data_loss);
    auto listed = f.store.list("files");
    REQUIRE(listed.ok());
    CHECK(listed->empty());

    REQUIRE(f.store.put("files", "cfg", string_reader("fixed")).ok());
    CHECK(get_string(f.store, "files", "cfg") == "fixed");
}

TEST_CASE("a chunk changed behind the store's back fails the get as data_loss", "[objects]") {
    Fixture f;
    auto put = f.store.put("files", "cfg", string_reader("hello"));
    REQUIRE(put.ok());
    const std::string chunks = oasis::object_chunk_subject("files", put->nuid);

    SECTION("same size, other bytes: the digest differs") {
        REQUIRE(f.bus->purge_subject("OBJ_files", chunks).ok());
        REQUIRE(f.bus->js_publish(chunks, "jello").ok());
        auto got = f.store.get("files", "cfg", [](std::string_view) { return oasis::Status{}; });
        REQUIRE_FALSE(got.ok());
        CHECK(got.status().code() == Code::data_loss);
        CHECK_THAT(got.status().message(), Catch::Contains("does not match its meta"));
    }
    SECTION("a chunk added") {
        REQUIRE(f.bus->js_publish(chunks, "!").ok());
        auto got = f.store.get("files", "cfg", [](std::string_view) { return oasis::Status{}; });
        REQUIRE_FALSE(got.ok());
        CHECK(got.status().code() == Code::data_loss);
    }
    SECTION("the chunks gone") {
        REQUIRE(f.bus->purge_subject("OBJ_files", chunks).ok());
        auto got = f.store.get("files", "cfg", [](std::string_view) { return oasis::Status{}; });
        REQUIRE_FALSE(got.ok());
        CHECK(got.status().code() == Code::data_loss);
    }
}

TEST_CASE("a removed object is gone with its chunks and is not listed", "[objects]") {
    Fixture f;
    REQUIRE(f.store.put("files", "a", string_reader("1")).ok());
    REQUIRE(f.store.put("files", "b", pattern_reader(2 * kChunk)).ok());
    REQUIRE(f.store.put("files", "c", string_reader("3")).ok());

    REQUIRE(f.store.remove("files", "b").ok());
    CHECK(f.store.info("files", "b").status().code() == Code::not_found);
    auto got = f.store.get("files", "b", [](std::string_view) { return oasis::Status{}; });
    CHECK(got.status().code() == Code::not_found);
    CHECK(f.store.remove("files", "b").code() == Code::not_found);
    // a and c: a chunk and a meta each; b: its deleted meta only.
    CHECK(stored_messages(*f.bus, "files") == 5);

    auto listed = f.store.list("files");
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].name == "a");
    CHECK((*listed)[1].name == "c");
    CHECK((*listed)[1].size == 1);
}

TEST_CASE("a put whose source fails midway leaves no meta and no chunks", "[objects]") {
    Fixture f;
    std::uint64_t served = 0;
    auto failing = [&](std::span<char> buf) -> oasis::Result<std::size_t> {
        if (served >= 5 * kChunk) return oasis::error(Code::io_error, "disk went away");
        std::memset(buf.data(), 'x', buf.size());
        served += buf.size();
        return buf.size();
    };

    SECTION("a new object") {
        auto put = f.store.put("files", "half", failing);
        REQUIRE_FALSE(put.ok());
        CHECK(put.status().code() == Code::io_error);
        CHECK_THAT(put.status().message(), Catch::Contains("disk went away"));
        CHECK(f.store.info("files", "half").status().code() == Code::not_found);
        CHECK(stored_messages(*f.bus, "files") == 0);
    }
    SECTION("an overwrite keeps the old object whole") {
        REQUIRE(f.store.put("files", "half", string_reader("old")).ok());
        REQUIRE_FALSE(f.store.put("files", "half", failing).ok());
        CHECK(get_string(f.store, "files", "half") == "old");
        CHECK(stored_messages(*f.bus, "files") == 2);
    }
}

TEST_CASE("a sink that fails ends the get with its error", "[objects]") {
    Fixture f;
    REQUIRE(f.store.put("files", "big", pattern_reader(10 * kChunk)).ok());
    int calls = 0;
    auto got = f.store.get("files", "big", [&](std::string_view) {
        return ++calls == 3 ? oasis::error(Code::io_error, "no space left") : oasis::Status{};
    });
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == Code::io_error);
    CHECK(calls == 3);
}

TEST_CASE("hostile names and buckets are refused before anything is sent", "[objects]") {
    Fixture f;
    auto refused = [](const oasis::Status& st) { return st.code() == Code::invalid_argument; };
    CHECK(refused(f.store.put("files", "", string_reader("x")).status()));
    CHECK(refused(f.store.put("files", std::string(100 * 1024, 'n'), string_reader("x")).status()));
    CHECK(refused(f.store.put("files", "bad\xff", string_reader("x")).status()));
    for (const char* bucket : {"a.b", "a*", "a>", "", "with space"}) {
        CHECK(refused(f.store.ensure_bucket(bucket)));
        CHECK(refused(f.store.put(bucket, "x", string_reader("x")).status()));
        CHECK(refused(f.store.info(bucket, "x").status()));
        CHECK(refused(f.store.list(bucket).status()));
    }
    CHECK(stored_messages(*f.bus, "files") == 0);
}

namespace {

// The stream "T" on subjects t.>, for the streamed-read cases.
void make_stream_t(oasis::Bus& bus) {
    oasis::StreamSpec spec;
    spec.name = "T";
    spec.subjects = {"t.>"};
    REQUIRE(bus.ensure_stream(spec).ok());
}

}  // namespace

TEST_CASE("a streamed read delivers a subject in order through a small window", "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    make_stream_t(*bus);
    for (int i = 0; i < 100; ++i) {
        REQUIRE(bus->js_publish("t.mine", std::to_string(i)).ok());
        REQUIRE(bus->js_publish("t.other", "x").ok());
    }
    std::vector<std::string> seen;
    auto st = bus->read_subject_each("T", "t.mine", 1, "reader", 2, [&](oasis::Message&& m) {
        seen.push_back(m.data);
        CHECK(m.subject == "t.mine");
        CHECK(m.time_ms > 0);
        return oasis::Status{};
    });
    REQUIRE(st.ok());
    REQUIRE(seen.size() == 100);
    CHECK(seen.front() == "0");
    CHECK(seen.back() == "99");
}

// nats.c 3.4.1 could crash its read loop when a read stopped early destroyed
// its subscription while deliveries for it were still being handed over
// (nats.c issue 637): a cancelled or timed-out file transfer killed the agent.
TEST_CASE("reads stopped early with deliveries in flight leave the connection working",
          "[bus]") {
    oasis::testing::NatsServer nats;
    auto bus = connect_to(nats);
    make_stream_t(*bus);
    const std::string chunk(kChunk, 'c');
    for (int i = 0; i < 64; ++i) REQUIRE(bus->js_publish("t.big", chunk).ok());
    for (int round = 0; round < 150; ++round) {
        auto st = bus->read_subject_each("T", "t.big", 1, "reader", 32, [&](oasis::Message&&) {
            // Let the window's deliveries pile up in the socket, as behind a
            // slow disk or a stopped process, then stop.
            std::this_thread::sleep_for(2ms);
            return oasis::error(Code::conflict, "stopped");
        });
        REQUIRE(st.code() == Code::conflict);
    }
    std::size_t seen = 0;
    REQUIRE(bus->read_subject_each("T", "t.big", 1, "reader", 32, [&](oasis::Message&&) {
                   ++seen;
                   return oasis::Status{};
               }).ok());
    CHECK(seen == 64);
}
