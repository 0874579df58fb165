#include "oasis/config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace oasis {

namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in
// it when the fixture goes.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "oasis-config-XXXXXX");
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }

    // Writes `text` to `name` in this directory and returns its path.
    std::string write(const std::string& name, const std::string& text) const {
        std::string file = (path_ / name).string();
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }

    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Changes the working directory for one test and back.
class WorkingDir {
public:
    explicit WorkingDir(const fs::path& dir) : old_(fs::current_path()) {
        fs::current_path(dir);
    }
    ~WorkingDir() { fs::current_path(old_); }

private:
    fs::path old_;
};

// The message of a failed load, or "" if it succeeded.
std::string load_error(const std::string& path, const Environment& env = {}) {
    Result<Config> config = load_config(path, env);
    return config.ok() ? "" : config.status().message();
}

const char kFullFile[] = R"(# every key, as system init writes it
[server]
name = "ctl-1"
heartbeat_ttl_sec = 90
task_start_window_sec = 600

[nats]
url = ["tls://10.0.0.1:4222", "tls://10.0.0.2:4222"]

[tls]
certs_dir = "/etc/oasis/certs"

[security]
task_signing_key = "/etc/oasis/keys/task.key"
task_public_key = "/etc/oasis/keys/task.pub"

[telemetry]
log_level = "debug"
log_format = "json"
log_no_ansi = true

[agent]
id = "web-01"
labels = { env = "prod", role = "web" }
groups = ["canary", "web"]
heartbeat_interval_sec = 15
fact_collection_interval_sec = 120
state_dir = "/srv/oasis"
max_concurrent_tasks = 4

[cli]
nats_outage_limit_sec = 90
)";

}  // namespace

TEST_CASE("defaults apply when there is no file and no variable", "[config]") {
    Result<Config> config = load_config("", {});
    REQUIRE(config.ok());

    char host[256] = {};
    REQUIRE(::gethostname(host, sizeof host - 1) == 0);
    std::string short_host = std::string(host).substr(0, std::string(host).find('.'));
    if (is_valid_agent_id(short_host))
        CHECK(config->server.name == short_host);
    else
        CHECK(config->server.name == "oasis-server");
    CHECK(config->server.heartbeat_ttl_sec == 60);
    CHECK(config->server.task_start_window_sec == 300);
    CHECK(config->nats.urls == std::vector<std::string>{"nats://127.0.0.1:4222"});
    CHECK(config->tls.certs_dir.empty());
    CHECK(config->security.task_signing_key.empty());
    CHECK(config->security.task_public_key.empty());
    CHECK_FALSE(config->security.task_signing_key_configured);
    CHECK_FALSE(config->security.task_public_key_configured);
    CHECK(config->telemetry.log_level == "info");
    CHECK(config->telemetry.log_format == "text");
    CHECK_FALSE(config->telemetry.log_no_ansi);
    CHECK(config->agent.id.empty());
    CHECK(config->agent.labels.empty());
    CHECK(config->agent.groups.empty());
    CHECK(config->agent.heartbeat_interval_sec == 30);
    CHECK(config->agent.fact_collection_interval_sec == 300);
    CHECK(config->agent.state_dir == "/var/lib/oasis/agent");
    CHECK(config->agent.max_concurrent_tasks == 8);
    CHECK(config->cli.nats_outage_limit_sec == 60);
    CHECK(config->source.empty());
}

TEST_CASE("a full file sets every key", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", kFullFile);

    Result<Config> config = load_config(path, {});
    REQUIRE(config.ok());
    CHECK(config->server.name == "ctl-1");
    CHECK(config->server.heartbeat_ttl_sec == 90);
    CHECK(config->server.task_start_window_sec == 600);
    CHECK(config->nats.urls == std::vector<std::string>{"tls://10.0.0.1:4222",
                                                        "tls://10.0.0.2:4222"});
    CHECK(config->tls.certs_dir == "/etc/oasis/certs");
    CHECK(config->security.task_signing_key == "/etc/oasis/keys/task.key");
    CHECK(config->security.task_public_key == "/etc/oasis/keys/task.pub");
    CHECK(config->security.task_signing_key_configured);
    CHECK(config->security.task_public_key_configured);
    CHECK(config->telemetry.log_level == "debug");
    CHECK(config->telemetry.log_format == "json");
    CHECK(config->telemetry.log_no_ansi);
    CHECK(config->agent.id == "web-01");
    CHECK(config->agent.labels == StringMap{{"env", "prod"}, {"role", "web"}});
    CHECK(config->agent.groups == std::vector<std::string>{"canary", "web"});
    CHECK(config->agent.heartbeat_interval_sec == 15);
    CHECK(config->agent.fact_collection_interval_sec == 120);
    CHECK(config->agent.state_dir == "/srv/oasis");
    CHECK(config->agent.max_concurrent_tasks == 4);
    CHECK(config->cli.nats_outage_limit_sec == 90);
    CHECK(config->source == path);
}

TEST_CASE("environment variables win over the file", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", kFullFile);
    Environment env{
            {"OASIS__SERVER__HEARTBEAT_TTL_SEC", "120"},
            {"OASIS__NATS__URL", "nats://127.0.0.1:14222"},
            {"OASIS__TLS__CERTS_DIR", ""},
            {"OASIS__TELEMETRY__LOG_FORMAT", "text"},
            {"OASIS__TELEMETRY__LOG_NO_ANSI", "false"},
            {"OASIS__AGENT__HEARTBEAT_INTERVAL_SEC", "5"},
            {"OASIS__AGENT__STATE_DIR", "/tmp/agent"},
            {"OASIS__agent__Max_Concurrent_Tasks", "2"},
            {"OASIS__CLI__NATS_OUTAGE_LIMIT_SEC", "3"},
            {"OASIS_CONFIG", "ignored by load_config"},
            {"PATH", "/usr/bin"},
    };

    Result<Config> config = load_config(path, env);
    REQUIRE(config.ok());
    CHECK(config->server.heartbeat_ttl_sec == 120);
    CHECK(config->server.task_start_window_sec == 600);
    CHECK(config->nats.urls == std::vector<std::string>{"nats://127.0.0.1:14222"});
    CHECK(config->tls.certs_dir.empty());
    CHECK(config->telemetry.log_format == "text");
    CHECK_FALSE(config->telemetry.log_no_ansi);
    CHECK(config->agent.heartbeat_interval_sec == 5);
    CHECK(config->agent.state_dir == "/tmp/agent");
    CHECK(config->agent.max_concurrent_tasks == 2);
    CHECK(config->cli.nats_outage_limit_sec == 3);
}

TEST_CASE("task keys default to their files in certs_dir", "[config][security]") {
    SECTION("both keys") {
        Result<Config> config = load_config("", {{"OASIS__TLS__CERTS_DIR", "/etc/oasis/certs"}});
        REQUIRE(config.ok());
        CHECK(config->security.task_signing_key == "/etc/oasis/certs/task-signing.key");
        CHECK(config->security.task_public_key == "/etc/oasis/certs/task-signing.pub");
        CHECK_FALSE(config->security.task_signing_key_configured);
        CHECK_FALSE(config->security.task_public_key_configured);
    }

    SECTION("a trailing slash is not doubled") {
        Result<Config> config = load_config("", {{"OASIS__TLS__CERTS_DIR", "certs/"}});
        REQUIRE(config.ok());
        CHECK(config->security.task_public_key == "certs/task-signing.pub");
    }

    SECTION("a configured key keeps its path; the other one still defaults") {
        TempDir dir;
        std::string path = dir.write("oasis.toml", "[tls]\ncerts_dir = \"/c\"\n"
                                                   "[security]\ntask_public_key = \"/k/p\"\n");
        Result<Config> config = load_config(path, {});
        REQUIRE(config.ok());
        CHECK(config->security.task_public_key == "/k/p");
        CHECK(config->security.task_public_key_configured);
        CHECK(config->security.task_signing_key == "/c/task-signing.key");
        CHECK_FALSE(config->security.task_signing_key_configured);
    }

    SECTION("a variable wins over the file") {
        TempDir dir;
        std::string path = dir.write("oasis.toml", "[security]\ntask_signing_key = \"/a\"\n");
        Result<Config> config =
            load_config(path, {{"OASIS__SECURITY__TASK_SIGNING_KEY", "/b"}});
        REQUIRE(config.ok());
        CHECK(config->security.task_signing_key == "/b");
        CHECK(config->security.task_signing_key_configured);
        CHECK(config->security.task_public_key.empty());
    }
}

TEST_CASE("malformed task key settings are refused", "[config][security]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", "[security]\n"
                                               "task_signing_key = 7\n"
                                               "task_public_key = \"\"\n"
                                               "task_signing_keys = \"/x\"\n"
                                               "[tls]\n"
                                               "certs_dir = \"/c\"\n");
    Environment env{
            {"OASIS__SECURITY__TASK_PUBLIC_KEY", "/a\nb"},
            {"OASIS__SECURITY__PUBLIC_KEY", "/p"},
    };
    std::string p = path + ":";
    CHECK(load_error(path, env) ==
          p + "2: [security] task_signing_key must be a string, got 7\n" +
          p + "3: [security] task_public_key must not be empty\n" +
          p + "4: unknown key \"task_signing_keys\" in [security]; did you mean "
              "\"task_signing_key\"?\n"
              "OASIS__SECURITY__PUBLIC_KEY: unknown key \"public_key\" in [security]; "
              "expected one of task_signing_key, task_public_key\n"
              "OASIS__SECURITY__TASK_PUBLIC_KEY: must not contain control characters, "
              "got \"/a\\x0ab\"");

    CHECK(load_error("", {{"OASIS__SECURITY__TASK_SIGNING_KEY", ""}}) ==
          "OASIS__SECURITY__TASK_SIGNING_KEY: must not be empty");
    CHECK(load_error("", {{"OASIS__SECURITY", "x"}}) ==
          "OASIS__SECURITY: unknown variable; expected OASIS__<SECTION>__<KEY>, "
          "OASIS__AGENT_ID, OASIS__AGENT_LABELS or OASIS__AGENT_GROUPS");
}

TEST_CASE("the agent's short variables set its id, labels and groups",
          "[config]") {
    Environment env{
            {"OASIS__AGENT_ID", "db-7"},
            {"OASIS__AGENT_LABELS", "env=prod, role=db"},
            {"OASIS__AGENT_GROUPS", "prod,db"},
            {"OASIS__AGENT__FACT_COLLECTION_INTERVAL_SEC", "600"},
    };

    Result<Config> config = load_config("", env);
    REQUIRE(config.ok());
    CHECK(config->agent.id == "db-7");
    CHECK(config->agent.labels == StringMap{{"env", "prod"}, {"role", "db"}});
    CHECK(config->agent.groups == std::vector<std::string>{"prod", "db"});
    CHECK(config->agent.fact_collection_interval_sec == 600);

    SECTION("empty label and group variables mean none") {
        Result<Config> none = load_config(
                "", {{"OASIS__AGENT_LABELS", ""}, {"OASIS__AGENT_GROUPS", " "}});
        REQUIRE(none.ok());
        CHECK(none->agent.labels.empty());
        CHECK(none->agent.groups.empty());
    }

    SECTION("the short and long forms may not disagree") {
        CHECK(load_error("", {{"OASIS__AGENT_ID", "a"},
                              {"OASIS__AGENT__ID", "b"}}) ==
              "OASIS__AGENT__ID: conflicts with OASIS__AGENT_ID; set only "
              "one of them");
        CHECK(load_error("", {{"OASIS__AGENT_ID", "a"},
                              {"OASIS__AGENT__ID", "a"}}) == "");
    }
}

TEST_CASE("labels and groups in the file may also be strings", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", "[agent]\n"
                                               "labels = \"env=dev,zone=b\"\n"
                                               "groups = \"dev\"\n");
    Result<Config> config = load_config(path, {});
    REQUIRE(config.ok());
    CHECK(config->agent.labels == StringMap{{"env", "dev"}, {"zone", "b"}});
    CHECK(config->agent.groups == std::vector<std::string>{"dev"});
}

TEST_CASE("nats url may be a comma-separated list", "[config]") {
    SECTION("in a variable") {
        Result<Config> config = load_config(
                "", {{"OASIS__NATS__URL",
                      "tls://a.example:4222, tls://b.example:4222,tls://[::1]"}});
        REQUIRE(config.ok());
        CHECK(config->nats.urls ==
              std::vector<std::string>{"tls://a.example:4222",
                                       "tls://b.example:4222", "tls://[::1]"});
    }

    SECTION("in the file") {
        TempDir dir;
        std::string path = dir.write(
                "oasis.toml", "[nats]\nurl = \"nats://a:1,nats://user:pw@b\"\n");
        Result<Config> config = load_config(path, {});
        REQUIRE(config.ok());
        CHECK(config->nats.urls ==
              std::vector<std::string>{"nats://a:1", "nats://user:pw@b"});
    }

    SECTION("bad URLs are named, with credentials hidden") {
        CHECK(load_error("", {{"OASIS__NATS__URL",
                               "http://a, nats://u:secret@b:0,,"}}) ==
              "OASIS__NATS__URL: URL 3 of 4 is empty\n"
              "OASIS__NATS__URL: URL 4 of 4 is empty\n"
              "OASIS__NATS__URL: \"http://a\" is not a NATS URL; expected "
              "nats://HOST[:PORT] or tls://HOST[:PORT]\n"
              "OASIS__NATS__URL: \"nats://***@b:0\" is not a NATS URL; "
              "expected nats://HOST[:PORT] or tls://HOST[:PORT]");
        CHECK(load_error("", {{"OASIS__NATS__URL", ""}}) ==
              "OASIS__NATS__URL: must name at least one NATS server");
    }
}

TEST_CASE("every validation problem is reported together", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", R"([server]
name = "-ctl"
heartbeat_ttl_sec = "abc"
task_start_window_sec = 0

[telemetry]
log_level = "verbose"
log_format = "yaml"
log_no_ansi = "maybe"

[agent]
id = 5
labels = "=v,k=,env=prod,env=dev"
groups = ["web", "web", "b c"]
heartbeat_interval_sec = 1.5
state_dir = ""
max_concurrent_tasks = 100000
)");
    Environment env{
            {"OASIS__AGENT__HEARTBEAT_INTERVAL_SEC", "0"},
            {"OASIS__SERVER__TASK_START_WINDOW_SEC", "86401"},
    };

    Result<Config> config = load_config(path, env);
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().code() == Code::invalid_argument);
    std::string p = path + ":";
    CHECK(config.status().message() ==
          p + "2: [server] name must be 1 to 64 characters of A-Z a-z 0-9 . "
              "_ - not starting with '.' or '-', "
              "not ending with '.', without '..', got \"-ctl\"\n" +
          p + "3: [server] heartbeat_ttl_sec must be a whole number from 1 "
              "to 86400, got \"abc\"\n" +
          p + "4: [server] task_start_window_sec must be a whole number "
              "from 1 to 86400, got 0\n" +
          p + "7: [telemetry] log_level must be debug, info, warn or error, "
              "got \"verbose\"\n" +
          p + "8: [telemetry] log_format must be json or text, got "
              "\"yaml\"\n" +
          p + "9: [telemetry] log_no_ansi must be true or false, got "
              "\"maybe\"\n" +
          p + "12: [agent] id must be 1 to 64 characters of A-Z a-z 0-9 . _ "
              "- not starting with '.' or '-', not ending with '.', without '..', got 5\n" +
          p + "13: [agent] labels: label \"=v\" has an empty key\n" +
          p + "13: [agent] labels: label \"k=\" has an empty value\n" +
          p + "13: [agent] labels: label key \"env\" appears twice\n" +
          p + "14: [agent] groups: group \"web\" appears twice\n" +
          p + "14: [agent] groups: group \"b c\" must be 1 to 63 characters "
              "of A-Z a-z 0-9 . _ / -\n" +
          p + "15: [agent] heartbeat_interval_sec must be a whole number "
              "from 1 to 86400, got 1.5\n" +
          p + "16: [agent] state_dir must not be empty\n" +
          p + "17: [agent] max_concurrent_tasks must be a whole number from "
              "1 to 1024, got 100000\n"
              "OASIS__AGENT__HEARTBEAT_INTERVAL_SEC: must be a whole number "
              "from 1 to 86400, got \"0\"\n"
              "OASIS__SERVER__TASK_START_WINDOW_SEC: must be a whole number "
              "from 1 to 86400, got \"86401\"");
}

TEST_CASE("values of the wrong type name what they got", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", R"([server]
name = ["a"]
[nats]
url = 4222
[tls]
certs_dir = false
[agent]
labels = ["env=prod"]
groups = [1, 2]
max_concurrent_tasks = true
)");
    std::string p = path + ":";
    CHECK(load_error(path) ==
          p + "2: [server] name must be 1 to 64 characters of A-Z a-z 0-9 . "
              "_ - not starting with '.' or '-', "
              "not ending with '.', without '..', got an array\n" +
          p + "4: [nats] url must be a URL, a comma-separated list of URLs "
              "or an array of them, got 4222\n" +
          p + "6: [tls] certs_dir must be a string, got false\n" +
          p + "8: [agent] labels must be a table of strings or a "
              "\"key=value,...\" string, got an array\n" +
          p + "9: [agent] groups must be an array of strings or a "
              "\"a,b,...\" string, got an array holding a non-string\n" +
          p + "10: [agent] max_concurrent_tasks must be a whole number from "
              "1 to 1024, got true");
}

TEST_CASE("numbers and booleans may be quoted", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", "[server]\n"
                                               "heartbeat_ttl_sec = \"45\"\n"
                                               "[telemetry]\n"
                                               "log_no_ansi = \"yes\"\n"
                                               "log_level = \"WARN\"\n");
    Result<Config> config = load_config(path, {});
    REQUIRE(config.ok());
    CHECK(config->server.heartbeat_ttl_sec == 45);
    CHECK(config->telemetry.log_no_ansi);
    CHECK(config->telemetry.log_level == "warn");
}

TEST_CASE("unknown sections, keys and variables are errors", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", R"(debug = true
[sever]
name = "x"
[server]
heartbeat_ttl = 60
listen = ":4222"
[tls]
cert_dir = "/etc"
[nats.jetstream]
)");
    Environment env{
            {"OASIS__NATS__URLS", "nats://a"},
            {"OASIS__FOO", "1"},
            {"OASIS__LOGGING__LEVEL", "debug"},
            {"OASIS_CONFIG", "/etc/oasis/oasis.toml"},
    };
    std::string p = path + ":";
    CHECK(load_error(path, env) ==
          p + "1: key \"debug\" must be inside a section such as [server]\n" +
          p + "2: unknown section \"sever\"; did you mean \"server\"?\n" +
          p + "5: unknown key \"heartbeat_ttl\" in [server]; expected one "
              "of name, heartbeat_ttl_sec, task_start_window_sec\n" +
          p + "6: unknown key \"listen\" in [server]; expected one of name, "
              "heartbeat_ttl_sec, task_start_window_sec\n" +
          p + "8: unknown key \"cert_dir\" in [tls]; did you mean "
              "\"certs_dir\"?\n" +
          p + "9: unknown key \"jetstream\" in [nats]; expected one of url\n"
              "OASIS__FOO: unknown variable; expected "
              "OASIS__<SECTION>__<KEY>, OASIS__AGENT_ID, OASIS__AGENT_LABELS "
              "or OASIS__AGENT_GROUPS\n"
              "OASIS__LOGGING__LEVEL: unknown section \"logging\"; expected "
              "one of server, nats, tls, security, telemetry, agent, cli\n"
              "OASIS__NATS__URLS: unknown key \"urls\" in [nats]; did you "
              "mean \"url\"?");
}

TEST_CASE("a TOML syntax error names the file, line and column", "[config]") {
    TempDir dir;
    std::string path = dir.write("oasis.toml", "[server]\n"
                                               "name = \"ctl\"\n"
                                               "heartbeat_ttl_sec 60\n");
    Result<Config> config = load_config(path, {});
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().code() == Code::invalid_argument);
    CHECK(config.status().message() ==
          path + ":3:19: invalid TOML: Error while parsing key-value pair: "
                 "expected '=', saw '6'");
}

TEST_CASE("hostile files give a clear error", "[config]") {
    TempDir dir;

    SECTION("a missing explicit file") {
        std::string path = (dir.path() / "nope.toml").string();
        Result<Config> config = load_config(path, {});
        REQUIRE_FALSE(config.ok());
        CHECK(config.status().code() == Code::not_found);
        CHECK(config.status().message() ==
              "cannot read configuration file " + path +
                      ": No such file or directory");
    }

    SECTION("a directory") {
        CHECK(load_error(dir.path().string()) ==
              dir.path().string() + ": not a regular file; expected oasis.toml");
    }

    SECTION("ten megabytes") {
        std::string path = dir.write("big.toml", std::string(10 << 20, '#'));
        CHECK(load_error(path) == path + ": larger than 1 MiB; is this oasis.toml?");
    }

    SECTION("binary data") {
        std::string bytes = "\x7f" "ELF\x02\x01\x01";
        bytes += std::string(64, '\0');
        std::string path = dir.write("oasis", bytes);
        CHECK(load_error(path) ==
              path + ": binary data (a NUL byte at offset 7); expected TOML text");
    }

    SECTION("malformed UTF-8") {
        std::string path = dir.write("oasis.toml", "[agent]\nid = \"\xff\"\n");
        CHECK(load_error(path) ==
              path + ":2:6: invalid TOML: Encountered invalid utf-8 sequence");
    }

    SECTION("input that trips toml++ 3.3's internal checks") {
        // Each of these aborted the process while toml++ asserts were on.
        for (const char* text : {"[[[a]]]", "[@]", "x = [}", "[ =]"}) {
            std::string path = dir.write("oasis.toml", text);
            Result<Config> config = load_config(path, {});
            REQUIRE_FALSE(config.ok());
            CHECK(config.status().message().starts_with(path + ":1:"));
        }
    }

    SECTION("deep nesting") {
        std::string path = dir.write("oasis.toml", "[agent]\ngroups = " +
                                                           std::string(5000, '['));
        CHECK(load_error(path).starts_with(path + ":2:"));
    }

    SECTION("control characters and long values are escaped and cut") {
        std::string path = dir.write(
                "oasis.toml", "[tls]\ncerts_dir = \"a\\u001bb\"\n[agent]\nid = \"" +
                                      std::string(100, 'x') + "\"\n");
        CHECK(load_error(path) ==
              path + ":2: [tls] certs_dir must not contain control "
                     "characters, got \"a\\x1bb\"\n" +
              path + ":4: [agent] id must be 1 to 64 characters of A-Z a-z "
                     "0-9 . _ - not starting with '.' or '-', "
                     "not ending with '.', without '..', got \"" +
              std::string(64, 'x') + "...\"");
    }
}

TEST_CASE("find_config_file prefers the flag, then $OASIS_CONFIG, then ./",
          "[config]") {
    TempDir dir;
    WorkingDir cwd(dir.path());

    CHECK(find_config_file("/x/flag.toml", {{"OASIS_CONFIG", "/x/env.toml"}}) ==
          "/x/flag.toml");
    CHECK(find_config_file("", {{"OASIS_CONFIG", "/x/env.toml"}}) ==
          "/x/env.toml");

    bool etc = fs::exists("/etc/oasis/oasis.toml");
    CHECK(find_config_file("", {{"OASIS_CONFIG", ""}}) ==
          (etc ? "/etc/oasis/oasis.toml" : ""));

    dir.write("oasis.toml", "");
    CHECK(find_config_file("", {}) == "oasis.toml");
}

TEST_CASE("current_environment copies the process environment", "[config]") {
    REQUIRE(::setenv("OASIS_CONFIG_TEST_VAR", "a=b", 1) == 0);
    Environment env = current_environment();
    ::unsetenv("OASIS_CONFIG_TEST_VAR");
    CHECK(env.at("OASIS_CONFIG_TEST_VAR") == "a=b");
}

}  // namespace oasis
