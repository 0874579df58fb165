// Reading nats.c's permission-violation texts (the Bus's private half).
#include "core/bus_impl.h"

#include <catch2/catch.hpp>

using oasis::parse_permission_violation;
using Kind = oasis::PermissionViolation::Kind;

TEST_CASE("a permission violation text names what was refused", "[bus][permissions]") {
    SECTION("a publish") {
        auto v = parse_permission_violation("Permissions Violation for Publish to \"a.b\"");
        REQUIRE(v);
        CHECK(v->kind == Kind::publish);
        CHECK(v->subject == "a.b");
    }
    SECTION("a queue subscription") {
        auto v = parse_permission_violation(
            "Permissions Violation for Subscription to \"x.>\" using queue \"q\"");
        REQUIRE(v);
        CHECK(v->kind == Kind::subscribe);
        CHECK(v->subject == "x.>");
    }
    SECTION("other errors are not violations") {
        CHECK_FALSE(parse_permission_violation("Authorization Violation"));
        CHECK_FALSE(parse_permission_violation("Permissions Violation for Publish to \"\""));
        CHECK_FALSE(parse_permission_violation("Permissions Violation for Publish to \"a"));
        CHECK_FALSE(parse_permission_violation(""));
    }
}

TEST_CASE("a refusal names the identity, the subject and where to look", "[bus][permissions]") {
    oasis::PermissionViolation v{Kind::subscribe, "_INBOX.x"};
    CHECK(oasis::refusal_message(v, "the certificate /c/cli.pem (CN=oasis-cli)") ==
          "NATS refused the certificate /c/cli.pem (CN=oasis-cli) permission to subscribe to "
          "_INBOX.x: check that this certificate belongs to this role, and nats-auth.conf");
}
