#include "oasis/wire.h"

#include <catch2/catch.hpp>

using namespace oasis;
using namespace oasis::wire;

TEST_CASE("a control subject carries the group, the verb and the caller", "[wire]") {
    std::string subject = control_subject("exec", "run", "oasis-cli");
    CHECK(subject == "oasis.ctl.exec.run.oasis-cli");
    auto back = parse_control_subject(subject);
    REQUIRE(back.ok());
    CHECK(back->action == "exec.run");
    CHECK(back->caller == "oasis-cli");
}

TEST_CASE("a caller token keeps only letters, digits, '_' and '-'", "[wire]") {
    CHECK(caller_token("oasis-cli") == "oasis-cli");
    CHECK(caller_token("unverified-alice_2") == "unverified-alice_2");
    CHECK(caller_token("") == "");
    CHECK(caller_token("a.b") == "a_b");
    CHECK(caller_token("*") == "_");
    CHECK(caller_token(">") == "_");
    CHECK(caller_token("ops team") == "ops_team");
    CHECK(caller_token("Zürich") == "Z__rich");  // each byte of ü
    CHECK(caller_token(std::string("a\0b", 3)) == "a_b");
    CHECK(caller_token(std::string(10240, 'x')) == std::string(kMaxCallerBytes, 'x'));
    for (const char* raw : {"a.b", "*", ">", "ops team", "\t\n", "Zürich"})
        CHECK(is_valid_caller(caller_token(raw)));
}

TEST_CASE("only 1 to 64 of [A-Za-z0-9_-] is a valid caller", "[wire]") {
    CHECK(is_valid_caller("a"));
    CHECK(is_valid_caller("oasis-cli"));
    CHECK(is_valid_caller(std::string(64, 'x')));
    CHECK_FALSE(is_valid_caller(""));
    CHECK_FALSE(is_valid_caller(std::string(65, 'x')));
    CHECK_FALSE(is_valid_caller("a.b"));
    CHECK_FALSE(is_valid_caller("*"));
    CHECK_FALSE(is_valid_caller(">"));
    CHECK_FALSE(is_valid_caller("a b"));
    CHECK_FALSE(is_valid_caller(std::string("a\0", 2)));
}

TEST_CASE("a control subject of the wrong shape is refused with the reason", "[wire]") {
    auto message = [](std::string_view subject) {
        auto r = parse_control_subject(subject);
        REQUIRE_FALSE(r.ok());
        CHECK(r.status().code() == Code::invalid_argument);
        return r.status().message();
    };
    SECTION("four tokens: a CLI older than the server") {
        CHECK(message("oasis.ctl.exec.run") ==
              "control subject \"oasis.ctl.exec.run\" names no caller: the CLI is older than "
              "this server, which expects oasis.ctl.<group>.<verb>.<caller>; upgrade the CLI");
    }
    SECTION("six tokens: a CLI newer than the server, or garbage") {
        CHECK(message("oasis.ctl.exec.run.alice.extra") ==
              "control subject \"oasis.ctl.exec.run.alice.extra\" has 6 tokens, not 5 "
              "(oasis.ctl.<group>.<verb>.<caller>): the CLI is newer than this server, or the "
              "subject is malformed");
        CHECK_THAT(message("oasis.ctl.exec.run.a.b.c.d"), Catch::Contains("has 8 tokens"));
    }
    SECTION("too few tokens, or not a control subject") {
        for (const char* s : {"", "oasis", "oasis.ctl", "oasis.ctl.", "oasis.ctl.exec",
                              "oasis.task.exec.run.alice", "x.ctl.exec.run.alice"})
            CHECK_THAT(message(s),
                       Catch::EndsWith("is malformed: expected oasis.ctl.<group>.<verb>.<caller>"));
    }
    SECTION("empty tokens") {
        CHECK_THAT(message("oasis.ctl..run.alice"), Catch::Contains("is malformed"));
        CHECK_THAT(message("oasis.ctl.exec..alice"), Catch::Contains("is malformed"));
        CHECK_THAT(message("oasis.ctl.exec.run."), Catch::Contains("caller that is not valid"));
        CHECK_THAT(message("oasis.ctl...."), Catch::Contains("has 6 tokens"));
    }
    SECTION("a caller that is not a token") {
        for (const char* s : {"oasis.ctl.exec.run.*", "oasis.ctl.exec.run.>",
                              "oasis.ctl.exec.run.al ice", "oasis.ctl.exec.run.al$ice"})
            CHECK(message(s) == "control subject \"" + std::string(s) +
                                    "\" names a caller that is not valid: expected 1 to 64 of "
                                    "A-Z a-z 0-9 _ -");
        CHECK_THAT(message("oasis.ctl.exec.run." + std::string(65, 'x')),
                   Catch::Contains("caller that is not valid"));
    }
    SECTION("wildcards in the group or verb are left to the verb table") {
        auto r = parse_control_subject("oasis.ctl.*.>.alice");
        REQUIRE(r.ok());
        CHECK(r->action == "*.>");
    }
    SECTION("10 KB of dots or of one token is refused, and the error stays short") {
        std::string dots = "oasis.ctl." + std::string(10240, '.');
        CHECK(message(dots).size() < 400);
        CHECK_THAT(message(dots), Catch::Contains("has 10243 tokens"));
        std::string long_caller = "oasis.ctl.exec.run." + std::string(10240, 'a');
        CHECK(message(long_caller).size() < 400);
        std::string long_verb = "oasis.ctl.exec." + std::string(10240, 'v') + ".alice";
        auto r = parse_control_subject(long_verb);
        REQUIRE(r.ok());  // unknown to every server: "no such request"
        CHECK(r->caller == "alice");
    }
}
