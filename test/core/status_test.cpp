#include "oasis/status.h"

#include <catch2/catch.hpp>

using oasis::Code;

TEST_CASE("a default Status is ok and carries no message", "[status]") {
    oasis::Status st;
    REQUIRE(st.ok());
    REQUIRE(st.message().empty());
}

TEST_CASE("with_context prefixes the message and keeps the code", "[status]") {
    auto st = oasis::error(Code::not_found, "no such batch").with_context("exec get");
    REQUIRE(st.code() == Code::not_found);
    REQUIRE(st.message() == "exec get: no such batch");
}

TEST_CASE("code names round-trip and unknown names map to internal", "[status]") {
    REQUIRE(oasis::code_from_name(oasis::code_name(Code::conflict)) == Code::conflict);
    REQUIRE(oasis::code_from_name("nonsense") == Code::internal);
}

TEST_CASE("a Result holds either a value or an error", "[status]") {
    oasis::Result<int> good = 42;
    REQUIRE(good.ok());
    REQUIRE(*good == 42);
    oasis::Result<int> bad = oasis::error(Code::timeout, "slow");
    REQUIRE_FALSE(bad.ok());
    REQUIRE(bad.status().code() == Code::timeout);
}
