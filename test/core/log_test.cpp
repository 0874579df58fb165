#include "oasis/log.h"

#include <catch2/catch.hpp>
#include <simdjson.h>
#include <string>
#include <thread>
#include <vector>

namespace oasis::log {

namespace {

// 2026-12-04T16:00:00.123Z
const std::chrono::system_clock::time_point kTime =
        std::chrono::system_clock::time_point(std::chrono::seconds(1796400000)) +
        std::chrono::milliseconds(123);

// Collects the lines the logger writes while it lives, then puts the logger
// back on stderr in its pre-init state.
class Capture {
public:
    explicit Capture(bool terminal = false) {
        set_sink_for_testing(TestSink{
                [this](std::string_view line) { lines.emplace_back(line); },
                kTime, terminal});
    }
    ~Capture() { set_sink_for_testing({}); }

    std::vector<std::string> lines;
};

TelemetryConfig telemetry(std::string level, std::string format,
                          bool no_ansi = false) {
    TelemetryConfig cfg;
    cfg.log_level = std::move(level);
    cfg.log_format = std::move(format);
    cfg.log_no_ansi = no_ansi;
    return cfg;
}

// The field `key` of the JSON object in `line`, parsed back with simdjson.
std::string json_field(const std::string& line, const char* key) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    std::string_view value;
    REQUIRE(doc[key].get(value) == simdjson::SUCCESS);
    return std::string(value);
}

}  // namespace

TEST_CASE("a json event is one object on one line", "[log]") {
    Capture capture;
    REQUIRE(init(telemetry("info", "json"), "server").ok());

    info("exec", "batch.created", {{"batch_id", "b-1"}, {"targets", "3"}});

    REQUIRE(capture.lines.size() == 1);
    CHECK(capture.lines[0] ==
          R"({"ts":"2026-12-04T16:00:00.123Z","level":"info","role":"server",)"
          R"("cat":"exec","event":"batch.created","batch_id":"b-1",)"
          R"("targets":"3"})");
    CHECK(json_field(capture.lines[0], "targets") == "3");
}

TEST_CASE("a text event reads left to right", "[log]") {
    Capture capture;
    REQUIRE(init(telemetry("debug", "text"), "agent").ok());

    info("exec", "batch.created", {{"batch_id", "b-1"}, {"targets", "3"}});
    debug("bus", "connected");
    warn("registry", "agent.offline", {{"agent_id", "web-01"}});
    error("exec", "task.failed", {{"reason", "exit code 2"}});

    CHECK(capture.lines == std::vector<std::string>{
            "2026-12-04T16:00:00.123Z INFO  agent exec batch.created "
            "batch_id=b-1 targets=3",
            "2026-12-04T16:00:00.123Z DEBUG agent bus connected",
            "2026-12-04T16:00:00.123Z WARN  agent registry agent.offline "
            "agent_id=web-01",
            "2026-12-04T16:00:00.123Z ERROR agent exec task.failed "
            "reason=\"exit code 2\"",
    });
}

TEST_CASE("text values with spaces, quotes or controls are quoted", "[log]") {
    Capture capture;
    REQUIRE(init(telemetry("info", "text"), "cli").ok());

    info("cli", "escape", {{"plain", "a=b"},
                           {"empty", ""},
                           {"quote", "say \"hi\""},
                           {"newline", "a\nb"},
                           {"bell", "\a"},
                           {"utf8", "Zürich"},
                           {"broken", "a\xff"}});

    REQUIRE(capture.lines.size() == 1);
    CHECK(capture.lines[0] ==
          "2026-12-04T16:00:00.123Z INFO  cli cli escape plain=a=b empty=\"\" "
          "quote=\"say \\\"hi\\\"\" newline=\"a\\nb\" bell=\"\\u0007\" "
          "utf8=Zürich broken=\"a\xef\xbf\xbd\"");
}

TEST_CASE("json escapes every string, control characters and bad UTF-8",
          "[log]") {
    Capture capture;
    REQUIRE(init(telemetry("info", "json"), "server").ok());

    std::string nasty = "q\"b\\n\n\r\t\x01\x1f\x7f Zürich \xff\xc3 end";
    info("cat\n", "ev\"", {{"k\"ey", nasty}, {"overlong", "\xc0\xaf"},
                           {"surrogate", "\xed\xa0\x80"}});

    REQUIRE(capture.lines.size() == 1);
    const std::string& line = capture.lines[0];
    CHECK(line ==
          R"({"ts":"2026-12-04T16:00:00.123Z","level":"info","role":"server",)"
          R"("cat":"cat\n","event":"ev\"","k\"ey":"q\"b\\n\n\r\t\u0001\u001f)"
          "\\u007f Zürich \\ufffd\\ufffd end\","
          R"("overlong":"\ufffd\ufffd","surrogate":"\ufffd\ufffd\ufffd"})");
    CHECK(line.find('\n') == std::string::npos);
    CHECK(json_field(line, "cat") == "cat\n");
    CHECK(json_field(line, "k\"ey") ==
          "q\"b\\n\n\r\t\x01\x1f\x7f Zürich \xef\xbf\xbd\xef\xbf\xbd end");
}

TEST_CASE("events below the configured level are dropped", "[log]") {
    Capture capture;

    SECTION("before init, info and above go out as text") {
        CHECK_FALSE(enabled(Level::debug));
        CHECK(enabled(Level::info));
        debug("bus", "hidden");
        info("bus", "shown");
        REQUIRE(capture.lines.size() == 1);
        CHECK(capture.lines[0] == "2026-12-04T16:00:00.123Z INFO  - bus shown");
    }

    SECTION("at warn, only warn and error") {
        REQUIRE(init(telemetry("warn", "text"), "server").ok());
        CHECK_FALSE(enabled(Level::info));
        CHECK(enabled(Level::warn));
        debug("a", "one");
        info("a", "two");
        warn("a", "three");
        error("a", "four");
        REQUIRE(capture.lines.size() == 2);
        CHECK(capture.lines[0].ends_with("WARN  server a three"));
        CHECK(capture.lines[1].ends_with("ERROR server a four"));
    }

    SECTION("at debug, everything") {
        REQUIRE(init(telemetry("DEBUG", "text"), "server").ok());
        debug("a", "one");
        CHECK(capture.lines.size() == 1);
    }
}

TEST_CASE("the level is coloured only on a terminal without log_no_ansi",
          "[log]") {
    SECTION("terminal") {
        Capture capture(true);
        REQUIRE(init(telemetry("info", "text"), "server").ok());
        info("a", "b");
        error("a", "c");
        CHECK(capture.lines == std::vector<std::string>{
                "2026-12-04T16:00:00.123Z \x1b[32mINFO\x1b[0m  server a b",
                "2026-12-04T16:00:00.123Z \x1b[1;31mERROR\x1b[0m server a c",
        });
    }

    SECTION("terminal with log_no_ansi") {
        Capture capture(true);
        REQUIRE(init(telemetry("info", "text", true), "server").ok());
        info("a", "b");
        CHECK(capture.lines[0] == "2026-12-04T16:00:00.123Z INFO  server a b");
    }

    SECTION("terminal with json") {
        Capture capture(true);
        REQUIRE(init(telemetry("info", "json"), "server").ok());
        info("a", "b");
        CHECK(capture.lines[0].find('\x1b') == std::string::npos);
    }
}

TEST_CASE("init rejects bad settings and keeps the old ones", "[log]") {
    Capture capture;
    REQUIRE(init(telemetry("info", "json"), "server").ok());

    Status level = init(telemetry("verbose", "text"), "server");
    CHECK(level.code() == Code::invalid_argument);
    CHECK(level.message() ==
          "log_level must be debug, info, warn or error, got \"verbose\"");
    CHECK(init(telemetry("info", "yaml"), "server").message() ==
          "log_format must be json or text, got \"yaml\"");
    CHECK(init(telemetry("info", "text"), "Server 1").message() ==
          "log role must be 1 to 32 characters of a-z 0-9 _ -, got \"Server 1\"");

    info("a", "b");
    REQUIRE(capture.lines.size() == 1);
    CHECK(capture.lines[0].starts_with("{"));
}

TEST_CASE("parse_level accepts the four names in any case", "[log]") {
    CHECK(parse_level("debug") == Level::debug);
    CHECK(parse_level("Info") == Level::info);
    CHECK(parse_level("WARN") == Level::warn);
    CHECK(parse_level("error") == Level::error);
    CHECK_FALSE(parse_level("warning"));
    CHECK_FALSE(parse_level(""));
}

TEST_CASE("events from many threads arrive as whole lines", "[log]") {
    Capture capture;
    REQUIRE(init(telemetry("info", "json"), "server").ok());

    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([t] {
            for (int i = 0; i < 100; ++i)
                info("test", "tick", {{"thread", std::to_string(t)},
                                      {"i", std::to_string(i)}});
        });
    }
    for (std::thread& thread : threads) thread.join();

    REQUIRE(capture.lines.size() == 800);
    for (const std::string& line : capture.lines)
        CHECK(json_field(line, "event") == "tick");
}

}  // namespace oasis::log
