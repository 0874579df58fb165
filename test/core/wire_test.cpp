#include "oasis/wire.h"

#include "oasis/json.h"

#include <catch2/catch.hpp>

using namespace oasis;
using namespace oasis::wire;

TEST_CASE("a task survives encoding and decoding unchanged", "[wire]") {
    Task t;
    t.task_id = "b-0123456789ab.agent-1";
    t.batch_id = "b-0123456789ab";
    t.agent_id = "agent-1";
    t.argv = {"sh", "-c", "echo \"hi\"\n\ttab", "Zürich"};
    t.timeout_sec = 5;
    t.created_at_ms = 1700000000000;
    t.start_by_ms = 1700000300000;
    auto back = decode_task(encode(t));
    REQUIRE(back.ok());
    CHECK(back->argv == t.argv);
    CHECK(back->task_id == t.task_id);
    CHECK(back->start_by_ms == t.start_by_ms);
    CHECK(back->kind == TaskKind::exec);
}

TEST_CASE("output that is not UTF-8 is carried byte for byte", "[wire]") {
    TaskResult r;
    r.batch_id = "b-0123456789ab";
    r.agent_id = "a";
    r.state = NodeState::succeeded;
    r.exit_code = 0;
    r.out.data = std::string("\xff\xfe\0zero\x80", 8);
    r.out.total_bytes = 8;
    r.err.data = "plain text\n";
    auto json = encode(r);
    CHECK(json.find("stdout_b64") != std::string::npos);
    CHECK(json.find("\"stderr\":\"plain text\\n\"") != std::string::npos);
    auto back = decode_task_result(json);
    INFO(back.status().message());
    REQUIRE(back.ok());
    CHECK(back->out.data == r.out.data);
    CHECK(back->err.data == r.err.data);
    CHECK(back->state == NodeState::succeeded);
}

TEST_CASE("malformed and hostile messages are refused with the reason", "[wire]") {
    SECTION("not JSON") {
        auto r = decode_exec_run_request("{nope");
        REQUIRE_FALSE(r.ok());
        CHECK(r.status().code() == Code::invalid_argument);
        CHECK_THAT(r.status().message(), Catch::StartsWith("malformed JSON"));
    }
    SECTION("empty") {
        CHECK_FALSE(decode_exec_run_request("").ok());
    }
    SECTION("an array, not an object") {
        CHECK(decode_exec_run_request("[1,2]").status().message() ==
              "malformed message: expected a JSON object");
    }
    SECTION("missing api") {
        CHECK(decode_exec_run_request(R"({"selector":"all","argv":["true"]})").status().message() ==
              "field \"api\": is required");
    }
    SECTION("a newer api") {
        CHECK_THAT(decode_exec_run_request(R"({"api":99,"selector":"all","argv":["true"]})")
                       .status()
                       .message(),
                   Catch::Contains("upgrade"));
    }
    SECTION("wrong types") {
        CHECK(decode_exec_run_request(R"({"api":1,"selector":5,"argv":["true"]})")
                  .status()
                  .message() == "field \"selector\": expected a string");
        CHECK(decode_exec_run_request(R"({"api":1,"selector":"all","argv":"true"})")
                  .status()
                  .message() == "field \"argv\": expected an array of strings");
        CHECK(decode_exec_run_request(R"({"api":1,"selector":"all","argv":[1]})")
                  .status()
                  .message() == "field \"argv\": expected an array of strings");
    }
    SECTION("out of range timeout") {
        CHECK(decode_exec_run_request(R"({"api":1,"selector":"all","argv":["x"],"timeout_sec":0})")
                  .status()
                  .message() == "field \"timeout_sec\": must be from 1 to 604800, got 0");
    }
    SECTION("an empty command") {
        CHECK(
            decode_exec_run_request(R"({"api":1,"selector":"all","argv":[]})").status().message() ==
            "field \"argv\": the command is empty");
    }
    SECTION("a huge command") {
        std::string big(200000, 'x');
        auto r = decode_exec_run_request(R"({"api":1,"selector":"all","argv":[")" + big + "\"]}");
        CHECK_THAT(r.status().message(), Catch::Contains("longer than"));
    }
    SECTION("deep nesting") {
        std::string deep =
            R"({"api":1,"x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
        CHECK_FALSE(decode_exec_run_request(deep).ok());
    }
    SECTION("a batch id that could break a subject") {
        CHECK_FALSE(decode_batch_id_request(R"({"api":1,"batch_id":"b-*.>"})").ok());
        CHECK_FALSE(decode_batch_id_request(R"({"api":1,"batch_id":"x"})").ok());
    }
}

TEST_CASE("an error reply decodes to the same code and message", "[wire]") {
    auto json = encode_error(error(Code::not_found, "no batch b-1"));
    auto r = decode_batch_report(json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::not_found);
    CHECK(r.status().message() == "no batch b-1");
}

TEST_CASE("new batch ids are valid and differ", "[wire]") {
    auto a = new_batch_id(), b = new_batch_id();
    CHECK(is_valid_batch_id(a));
    CHECK(a != b);
    CHECK(a.size() == 14);
}

TEST_CASE("the JSON writer escapes control characters and replaces broken UTF-8", "[json]") {
    std::string out;
    append_json_string(out, std::string("a\"\\\x01\x7f\xc3(\xe2\x82\xac", 10));
    CHECK(out == "\"a\\\"\\\\\\u0001\\u007f\\ufffd(\xe2\x82\xac\"");
}

TEST_CASE("base64 round-trips any bytes and rejects garbage", "[json]") {
    std::string bytes("\0\1\2\xff", 4), back;
    REQUIRE(base64_decode(base64_encode(bytes), back));
    CHECK(back == bytes);
    CHECK_FALSE(base64_decode("!!!", back));
}

TEST_CASE("a result's state reads without its output", "[wire]") {
    TaskResult r;
    r.batch_id = "b-0123456789ab";
    r.agent_id = "agent-1";
    r.state = NodeState::timed_out;
    r.out.data = std::string("\xff\xfe", 2);
    auto back = decode_task_result_state(encode(r));
    REQUIRE(back.ok());
    CHECK(back->state == NodeState::timed_out);
    CHECK(back->agent_id == "agent-1");
    CHECK(back->out.data.empty());
    CHECK_FALSE(
        decode_task_result_state(R"({"api":1,"batch_id":"b","agent_id":"a","state":"odd"})").ok());
}

TEST_CASE("a task's signature travels as sig, and only when there is one", "[wire]") {
    Task t;
    t.task_id = "b-0123456789ab.agent-1";
    t.batch_id = "b-0123456789ab";
    t.agent_id = "agent-1";
    t.argv = {"true"};
    CHECK(encode(t).find("\"sig\"") == std::string::npos);
    auto back = decode_task(encode(t));
    REQUIRE(back.ok());
    CHECK(back->signature.empty());

    t.signature = std::string(86, 'A') + "==";
    back = decode_task(encode(t));
    REQUIRE(back.ok());
    CHECK(back->signature == t.signature);

    t.signature = std::string(2000, 'A');
    back = decode_task(encode(t));
    REQUIRE_FALSE(back.ok());
    CHECK(back.status().message().find("\"sig\"") != std::string::npos);
}
