#include "oasis/file_wire.h"
#include "oasis/json.h"

#include <catch2/catch.hpp>

using namespace oasis;

namespace {

const std::string kHash(64, 'c');

wire::FileApplyRequest apply_request() {
    wire::FileApplyRequest req;
    req.batch_id = "b-0123456789ab";
    req.selector = "role=web";
    req.timeout_sec = 30;
    req.file.source_path = "/srv/app.conf";
    req.file.sha256 = kHash;
    req.file.size = 5;
    req.file.dest = "/etc/app.conf";
    req.file.mode = 02755;
    req.file.owner = "4242:app";
    return req;
}

// A file task for n1 carrying apply_request()'s file.
wire::Task file_task() {
    wire::Task t;
    t.task_id = "b-0123456789ab.n1";
    t.kind = wire::TaskKind::file;
    t.batch_id = "b-0123456789ab";
    t.agent_id = "n1";
    t.created_at_ms = 1;
    t.start_by_ms = 2;
    t.file = apply_request().file;
    return t;
}

// The apply request's JSON with one field replaced by `value` (raw JSON).
std::string apply_with(const std::string& field, const std::string& value) {
    std::string json = wire::encode(apply_request());
    auto at = json.find("\"" + field + "\":");
    REQUIRE(at != std::string::npos);
    auto start = at + field.size() + 3;
    auto end = json.find_first_of(",}", start);
    if (json[start] == '"') end = json.find('"', start + 1) + 1;
    return json.substr(0, start) + value + json.substr(end);
}

}  // namespace

TEST_CASE("file requests survive encoding and decoding", "[file_wire]") {
    auto back = wire::decode_file_apply_request(wire::encode(apply_request()));
    REQUIRE(back.ok());
    CHECK(back->file.mode == 02755u);
    CHECK(back->file.owner == "4242:app");
    CHECK(back->file.sha256 == kHash);
    CHECK(back->timeout_sec == 30);

    wire::FileRollbackRequest rb{"", "all", 600, "/srv/app.conf", 2, "/etc/app.conf"};
    auto rb_back = wire::decode_file_rollback_request(wire::encode(rb));
    REQUIRE(rb_back.ok());
    CHECK(rb_back->revision == 2);

    wire::FileHistory h{"/srv/app.conf", {}};
    wire::FileRevision r;
    r.number = 1;
    r.sha256 = kHash;
    r.dest = "/etc/app.conf";
    r.batches = {"b-0123456789ab"};
    h.revisions.push_back(r);
    r.number = 2;
    r.mode = 0600;
    r.rollback_of = 1;
    h.revisions.push_back(r);
    auto h_back = wire::decode_file_history(wire::encode(h));
    REQUIRE(h_back.ok());
    REQUIRE(h_back->revisions.size() == 2);
    CHECK_FALSE(h_back->revisions[0].mode.has_value());
    CHECK(h_back->revisions[1].mode == 0600u);
    CHECK(h_back->revisions[1].rollback_of == 1);
}

TEST_CASE("malformed and hostile file requests are refused naming the field", "[file_wire]") {
    struct Bad {
        std::string field, value, says;
    };
    const Bad cases[] = {
        {"sha256", "\"" + std::string(64, 'C') + "\"", "sha256"},
        {"sha256", "\"abc\"", "sha256"},
        {"sha256", "\"" + std::string(65, 'c') + "\"", "sha256"},
        {"dest", "\"etc/app.conf\"", "dest"},
        {"dest", "\"/etc/../shadow\"", "dest"},
        {"dest", "\"/etc/a\\u0000b\"", "dest"},
        {"dest", "\"\"", "dest"},
        {"dest", "\"/" + std::string(5000, 'a') + "\"", "dest"},
        {"mode", "4096", "mode"},
        {"mode", "-1", "mode"},
        {"mode", "644", "mode"},
        {"mode", "\"10000\"", "mode"},
        {"mode", "\"u=rw\"", "mode"},
        {"owner", "\"root\"", "owner"},
        {"owner", "\":root\"", "owner"},
        {"owner", "\"a b:c\"", "owner"},
        {"size", "-5", "size"},
        {"source_path", "\"relative/app.conf\"", "source_path"},
        {"source_path", "\"\"", "source_path"},
        {"selector", "7", "selector"},
        {"timeout_sec", "0", "timeout_sec"},
        {"batch_id", "\"../x\"", "batch_id"},
    };
    for (const auto& bad : cases) {
        auto got = wire::decode_file_apply_request(apply_with(bad.field, bad.value));
        INFO(bad.field << " = " << bad.value.substr(0, 80));
        REQUIRE_FALSE(got.ok());
        CHECK(got.status().code() == Code::invalid_argument);
        CHECK_THAT(got.status().message(), Catch::Contains(bad.says));
    }
    CHECK_FALSE(wire::decode_file_apply_request("").ok());
    CHECK_FALSE(wire::decode_file_apply_request("{\"api\":1}").ok());
    CHECK_FALSE(wire::decode_file_apply_request("[1,2]").ok());
    CHECK_FALSE(wire::decode_file_apply_request(std::string(1 << 20, '{')).ok());
    CHECK_FALSE(wire::decode_file_rollback_request(
                    R"({"api":1,"selector":"all","source_path":"/a","revision":0,"dest":"/b"})")
                    .ok());
    CHECK_FALSE(wire::decode_file_history_request(R"({"api":1,"source_path":"a"})").ok());
    CHECK_FALSE(
        wire::decode_file_history(R"({"api":1,"source_path":"/a","revisions":[{"number":1}]})")
            .ok());
}

TEST_CASE("a clear must be confirmed on the wire too", "[file_wire]") {
    auto req = wire::decode_file_clear_request(R"({"api":1})");
    REQUIRE(req.ok());
    CHECK_FALSE(req->confirm);
    CHECK(wire::decode_file_clear_request(wire::encode(wire::FileClearRequest{true}))->confirm);
}

TEST_CASE("history keys are short, fixed and differ per path", "[file_wire]") {
    std::string long_path = "/" + std::string(4000, 'x');
    CHECK(wire::file_history_key(long_path).size() == 65);
    CHECK(wire::file_history_key("/a") == wire::file_history_key("/a"));
    CHECK(wire::file_history_key("/a") != wire::file_history_key("/a/"));
    CHECK(wire::file_history_key("/a.b c\n")[0] == 'p');
}

TEST_CASE("a file task and a file batch carry their file", "[file_wire]") {
    wire::Task t = file_task();
    auto back = wire::decode_task(wire::encode(t));
    REQUIRE(back.ok());
    CHECK(back->kind == wire::TaskKind::file);
    CHECK(back->file.dest == "/etc/app.conf");
    CHECK(back->file.mode == 02755u);
    // A file task without its file is refused, not run with empty fields.
    CHECK_FALSE(
        wire::decode_task(R"({"api":1,"task_id":"x","kind":"file","batch_id":"b-0123456789ab",)"
                          R"("agent_id":"n1","created_at_ms":1,"start_by_ms":2})")
            .ok());

    wire::Batch b;
    b.batch_id = "b-0123456789ab";
    b.kind = "file";
    b.file = t.file;
    b.done = true;
    b.failed_nodes = {"n2"};
    auto b_back = wire::decode_batch(wire::encode(b));
    REQUIRE(b_back.ok());
    REQUIRE(b_back->file.has_value());
    CHECK(b_back->failed_nodes == std::vector<std::string>{"n2"});
    CHECK(wire::is_success(wire::NodeState::written));
    CHECK(wire::is_success(wire::NodeState::unchanged));
    CHECK_FALSE(wire::is_success(wire::NodeState::refused));
    CHECK(*wire::node_state_from_name("unchanged") == wire::NodeState::unchanged);
}

TEST_CASE("a small file's content travels in its task, checked for size", "[file_wire]") {
    wire::Task t = file_task();  // size 5
    auto back = wire::decode_task(wire::encode(t));
    REQUIRE(back.ok());
    CHECK_FALSE(back->content);  // none given: the node fetches

    t.content = std::string("a\0b\r\n", 5);
    back = wire::decode_task(wire::encode(t));
    REQUIRE(back.ok());
    REQUIRE(back->content);
    CHECK(*back->content == std::string("a\0b\r\n", 5));

    t.file.size = 0;
    t.content = "";
    back = wire::decode_task(wire::encode(t));
    REQUIRE(back.ok());
    CHECK(back->content == std::string());

    // Hostile: not base64, not the file's size, past the inline limit.
    auto with_content = [&](const std::string& b64, std::uint64_t size) {
        wire::Task bad = t;
        bad.file.size = size;
        bad.content = std::nullopt;
        std::string json = wire::encode(bad);
        json.insert(json.rfind('}'), R"(,"content_b64":")" + b64 + "\"");
        return wire::decode_task(json);
    };
    CHECK(with_content("YWJj", 3).ok());
    CHECK_THAT(with_content("!!!!", 3).status().message(), Catch::Contains("not valid base64"));
    CHECK_THAT(with_content("YWJj", 4).status().message(),
               Catch::Contains("holds 3 bytes, not the file's 4"));
    std::string big = base64_encode(std::string(wire::kMaxInlineFileBytes + 1, 'x'));
    CHECK_FALSE(with_content(big, wire::kMaxInlineFileBytes + 1).ok());
    std::string most = base64_encode(std::string(wire::kMaxInlineFileBytes, 'x'));
    CHECK(with_content(most, wire::kMaxInlineFileBytes).ok());
}
