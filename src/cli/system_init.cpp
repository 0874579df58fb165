// `oasis system init` and `oasis system issue-agent-cert`: the CA, the
// certificates of NATS, the server, the CLI and each agent, the key pair
// that signs tasks, and the files that run NATS with mutual TLS and
// JetStream (see issue 3).
//
// init plans every file in memory first and writes only when all of them
// could be made, so a refusal or a failure leaves the directory as it was.
// Paths in the generated files are absolute: the same nats-server.conf works
// on the host and in the container, which mounts the directory at the same
// path.
#include "cli.h"
#include "context.h"

#include "oasis/config.h"
#include "oasis/nats_permissions.h"
#include "oasis/pki.h"
#include "oasis/signing.h"

#include "config_values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <vector>

namespace oasis::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultDir = "oasis";
constexpr int kCaDays = 3650;   // ten years: replacing a CA means re-issuing everything
constexpr int kLeafDays = 825;  // about two years and three months

// A file that init makes, relative to the directory.
struct Planned {
    std::string path;
    std::string content;
    unsigned mode;
};

// The absolute form of --dir. It is written into TOML, YAML and the NATS
// configuration as a quoted string, so characters that need escaping in
// any of them are refused rather than escaped three ways.
Result<std::string> absolute_dir(const cxxopts::ParseResult& args) {
    std::string dir = args.count("dir") ? args["dir"].as<std::string>() : kDefaultDir;
    if (dir.empty()) return error(Code::invalid_argument, "--dir must not be empty");
    std::error_code ec;
    fs::path abs = fs::absolute(dir, ec);
    if (ec) return error(Code::invalid_argument, "--dir " + dir + ": " + ec.message());
    std::string text = abs.lexically_normal().string();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    for (char c : text) {
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
            return error(Code::invalid_argument,
                         "--dir: the path may not hold quotes, backslashes or control "
                         "characters, got \"" +
                             dir + "\"");
    }
    return text;
}

bool is_ip(const std::string& host) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A DNS name as a certificate may carry it: labels of [A-Za-z0-9-], not
// starting or ending with '-', 1 to 63 bytes each, 253 in all; the first
// may be "*" (a wildcard certificate).
bool is_host_name(const std::string& host) {
    if (host.empty() || host.size() > 253) return false;
    std::size_t start = 0;
    for (;;) {
        std::size_t dot = host.find('.', start);
        std::string label = host.substr(start, dot == std::string::npos ? dot : dot - start);
        bool wildcard = start == 0 && label == "*" && dot != std::string::npos;
        if (!wildcard) {
            if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
                return false;
            for (char c : label)
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        }
        if (dot == std::string::npos) return true;
        start = dot + 1;
    }
}

void add_once(std::vector<std::string>& items, const std::string& item) {
    if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
}

// The nats-server certificate: localhost, 127.0.0.1 and each --nats-host,
// as an IP SAN when it is an address and a DNS SAN otherwise.
Result<CertRequest> nats_server_request(const cxxopts::ParseResult& args) {
    CertRequest req;
    req.common_name = "nats-server";
    req.dns_names = {"localhost"};
    req.ip_addresses = {"127.0.0.1"};
    req.days = kLeafDays;
    req.server_auth = true;
    if (!args.count("nats-host")) return req;
    for (const auto& host : args["nats-host"].as<std::vector<std::string>>()) {
        if (!is_ip(host) && !is_host_name(host))
            return error(Code::invalid_argument,
                         "--nats-host: " + core::quote(host) +
                             " is not a host name (letters, digits, '-' and '.', e.g. "
                             "nats.example.org, no port or scheme) or an IP address");
        add_once(is_ip(host) ? req.ip_addresses : req.dns_names, host);
    }
    return req;
}

CertRequest client_request(std::string common_name) {
    CertRequest req;
    req.common_name = std::move(common_name);
    req.days = kLeafDays;
    req.client_auth = true;
    return req;
}

// `text` with every "@DIR@" replaced by `dir`.
std::string with_dir(std::string text, const std::string& dir) {
    const std::string_view mark = "@DIR@";
    for (auto at = text.find(mark); at != std::string::npos; at = text.find(mark, at + dir.size()))
        text.replace(at, mark.size(), dir);
    return text;
}

constexpr const char* kNatsConf = R"(# nats-server configuration made by `oasis system init`.
# Every client must present a certificate from the Oasis CA; its SAN (or
# subject) is its user in nats-auth.conf, and a certificate without a user
# is refused.
# Other hosts reach NATS only if `listen` names an address they can reach
# (e.g. 0.0.0.0:4222) and the certificate covers it (--nats-host).
listen: "127.0.0.1:4222"

jetstream {
  store_dir: "@DIR@/jetstream"
}

tls {
  cert_file: "@DIR@/certs/nats-server.pem"
  key_file: "@DIR@/certs/nats-server-key.pem"
  ca_file: "@DIR@/certs/ca.pem"
  verify_and_map: true
  timeout: 2
}

# Who may do what: one user per certificate, with the least rights its
# role needs. `oasis system issue-agent-cert` rewrites that file as agents
# are added; reload NATS then (nats-server --signal reload, or send the
# container a HUP). The path is relative to this file.
include "nats-auth.conf"
)";

constexpr const char* kOasisToml =
    R"(# Oasis configuration made by `oasis system init`; the server and the CLI
# read it with --config or OASIS_CONFIG=@DIR@/oasis.toml.
[nats]
url = "tls://127.0.0.1:4222"

[tls]
# ca.pem, and server.pem/server-key.pem or cli.pem/cli-key.pem by role.
# The server signs tasks with task-signing.key from here too; an agent
# checks them with task-signing.pub beside its certificate ([security]).
certs_dir = "@DIR@/certs"
)";

constexpr const char* kDockerCompose =
    R"(# Runs NATS with TLS and JetStream from the files `oasis system init` made.
# Host networking, so NATS listens exactly where nats-server.conf says; the
# directory is mounted at the same path, so the paths in it hold here too.
services:
  nats:
    image: nats:2.9
    restart: unless-stopped
    network_mode: host
    command: ["-c", "@DIR@/nats-server.conf"]
    volumes:
      - "@DIR@:@DIR@"
)";

// nats-auth.conf: the rights of the server, the operator and `agent_ids`.
std::string auth_file(const std::vector<std::string>& agent_ids) {
    return "# Made by `oasis system init` and rewritten by `oasis system issue-agent-cert`\n"
           "# from the agents in certs/agents/; changes made by hand are lost.\n" +
           nats_authorization(agent_ids);
}

// The agents that have a certificate bundle in `agents_dir`: each
// directory <id> holding <id>.pem.
std::vector<std::string> issued_agents(const std::string& agents_dir) {
    std::vector<std::string> ids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(agents_dir, ec)) {
        std::string id = entry.path().filename().string();
        if (entry.is_directory(ec) && is_valid_agent_id(id) &&
            fs::exists(entry.path() / (id + ".pem"), ec))
            ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

void plan_pem(std::vector<Planned>& plan, const std::string& name, const Issued& issued) {
    plan.push_back({"certs/" + name + ".pem", issued.cert_pem, 0644});
    plan.push_back({"certs/" + name + "-key.pem", issued.key_pem, 0600});
}

// Every file of a fresh setup in `dir`, made in memory.
Result<std::vector<Planned>> plan_setup(const std::string& dir, const CertRequest& nats_req) {
    auto ca = make_ca("oasis-ca", kCaDays);
    if (!ca.ok()) return ca.status();
    std::vector<Planned> plan;
    plan_pem(plan, "ca", *ca);

    const std::pair<std::string, CertRequest> leaves[] = {
        {"nats-server", nats_req},
        {"server", client_request("oasis-server")},
        {"cli", client_request("oasis-cli")},
    };
    for (const auto& [name, req] : leaves) {
        auto issued = issue_cert(*ca, req);
        if (!issued.ok()) return issued.status().with_context(name + " certificate");
        plan_pem(plan, name, *issued);
    }

    // The server signs every task with the secret key; agents get the
    // public one beside their certificate.
    // TODO: an existing setup gets the pair only with --force, which makes
    // a new CA too; a command that adds just the key pair would spare that.
    auto keys = make_task_key_files();
    if (!keys.ok()) return keys.status().with_context("task signing key");
    plan.push_back({"certs/task-signing.key", keys->secret_text, 0600});
    plan.push_back({"certs/task-signing.pub", keys->public_text, 0644});

    plan.push_back({"nats-server.conf", with_dir(kNatsConf, dir), 0644});
    plan.push_back({"nats-auth.conf", auth_file({}), 0644});
    plan.push_back({"oasis.toml", with_dir(kOasisToml, dir), 0644});
    plan.push_back({"docker-compose.yml", with_dir(kDockerCompose, dir), 0644});
    return plan;
}

// An invalid_argument naming the first planned file that exists, unless
// `force`.
Status check_overwrite(const std::string& dir, const std::vector<Planned>& plan, bool force) {
    if (force) return {};
    for (const auto& file : plan) {
        std::error_code ec;
        std::string path = dir + "/" + file.path;
        if (fs::exists(fs::symlink_status(path, ec)))
            return error(Code::invalid_argument,
                         path +
                             " already exists; pass --force to replace the files "
                             "this command makes");
    }
    return {};
}

Status write_plan(const std::string& dir, const std::vector<Planned>& plan) {
    for (const auto& file : plan) {
        std::string path = dir + "/" + file.path;
        std::error_code ec;
        fs::create_directories(fs::path(path).parent_path(), ec);
        if (ec)
            return error(Code::io_error,
                         "cannot create the directory of " + path + ": " + ec.message());
        OASIS_RETURN_IF_ERROR(write_file_atomically(path, file.content, file.mode));
    }
    return {};
}

Result<Issued> read_ca(const std::string& certs) {
    Issued ca;
    for (auto [file, text] : {std::pair{"/ca.pem", &ca.cert_pem}, {"/ca-key.pem", &ca.key_pem}}) {
        std::string path = certs + file;
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (!f)
            return error(Code::not_found,
                         "cannot read " + path + "; run `oasis system init` first, or pass --dir");
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) text->append(buf, n);
        std::fclose(f);
    }
    return ca;
}

// The text of certs/task-signing.pub, checked; nullopt for a setup made
// before tasks were signed.
Result<std::optional<std::string>> read_task_public_key(const std::string& certs) {
    std::string path = certs + "/task-signing.pub";
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::optional<std::string>();
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto key = TaskVerifier::from_text(text); !key.ok()) return key.status().with_context(path);
    return std::optional<std::string>(std::move(text));
}

}  // namespace

int system_init(int argc, char** argv, int first) {
    cxxopts::Options options("oasis system init",
                             "Makes a CA, the certificates of NATS, the server and the CLI, "
                             "the key pair that signs tasks, a nats-server configuration "
                             "with mutual TLS and JetStream, oasis.toml and a "
                             "docker-compose.yml, all in one directory.");
    options.add_options()("dir",
                          std::string("the directory to write (default: ./") + kDefaultDir + ")",
                          cxxopts::value<std::string>())(
        "force", "replace the files this command makes if they exist")(
        "nats-host",
        "another name or address clients use to reach NATS (repeatable; "
        "localhost and 127.0.0.1 are always included)",
        cxxopts::value<std::vector<std::string>>());
    int exit = kOk;
    options.add_options()("h,help", "show this help");
    auto args = Context::parse_flags(options, argc, argv, first, exit);
    if (!args) return exit;

    auto dir = absolute_dir(*args);
    if (!dir.ok()) return Context::fail(dir.status());
    auto nats_req = nats_server_request(*args);
    if (!nats_req.ok()) return Context::fail(nats_req.status());
    auto plan = plan_setup(*dir, *nats_req);
    if (!plan.ok()) return Context::fail(plan.status());
    Status st = check_overwrite(*dir, *plan, (*args)["force"].as<bool>());
    if (!st.ok()) return Context::fail(st);
    st = write_plan(*dir, *plan);
    if (!st.ok()) return Context::fail(st);

    for (const auto& file : *plan) std::printf("wrote %s/%s\n", dir->c_str(), file.path.c_str());
    if (auto stale = issued_agents(*dir + "/certs/agents"); !stale.empty())
        std::printf(
            "\nnote: a new CA and task signing key: the %zu agent bundle(s) in %s/certs/agents/ "
            "were made\n      with the old ones and no longer work; re-issue each with "
            "`oasis system issue-agent-cert --force`\n",
            stale.size(), dir->c_str());
    std::printf(
        "\nnext: docker compose -f %s/docker-compose.yml up -d\n"
        "      (or: nats-server -c %s/nats-server.conf)\n"
        "      export OASIS_CONFIG=%s/oasis.toml; oasis server\n",
        dir->c_str(), dir->c_str(), dir->c_str());
    return kOk;
}

int system_issue_agent_cert(int argc, char** argv, int first) {
    cxxopts::Options options("oasis system issue-agent-cert",
                             "Issues an agent's certificate from the CA that `system init` "
                             "made, as a bundle to copy to the node: certs/agents/ID/ with "
                             "ca.pem, ID.pem, ID-key.pem and task-signing.pub (the agent's "
                             "[tls] certs_dir). "
                             "Adds the agent's NATS user to nats-auth.conf; reload NATS "
                             "afterwards.");
    options.add_options()("agent-id", "the agent's id (its certificate's CN)",
                          cxxopts::value<std::string>())(
        "dir", std::string("the directory `system init` wrote (default: ./") + kDefaultDir + ")",
        cxxopts::value<std::string>())("force", "replace the agent's certificate if it exists");
    int exit = kOk;
    options.add_options()("h,help", "show this help");
    auto args = Context::parse_flags(options, argc, argv, first, exit);
    if (!args) return exit;
    if (!args->count("agent-id")) return Context::usage_error("missing --agent-id ID");
    std::string id = (*args)["agent-id"].as<std::string>();
    if (!is_valid_agent_id(id))
        return Context::usage_error("--agent-id: " + core::quote(id) +
                                    " is not an agent id: " + kAgentIdRule);

    auto dir = absolute_dir(*args);
    if (!dir.ok()) return Context::fail(dir.status());
    auto ca = read_ca(*dir + "/certs");
    if (!ca.ok()) return Context::fail(ca.status());
    const std::string agents = *dir + "/certs/agents";
    const std::string bundle = agents + "/" + id;
    if (!(*args)["force"].as<bool>() && fs::exists(bundle + "/" + id + ".pem"))
        return Context::usage_error(bundle + "/" + id +
                                    ".pem already exists; pass --force to replace it");

    // NATS maps a DNS SAN before the subject: the agent's NATS user is
    // that name (see nats_permissions.h). The CN is the same name, not the
    // bare id: once the agent's user is gone, NATS falls back to the
    // subject, and an agent called "oasis-cli" must not then be the operator.
    // A CN holds at most 64 bytes: a longer name keeps the bare id, which
    // at 53 bytes and more can be no other identity's name.
    CertRequest req = client_request(agent_nats_user(id).size() <= 64 ? agent_nats_user(id) : id);
    req.dns_names = {agent_nats_user(id)};
    auto issued = issue_cert(*ca, req);
    if (!issued.ok()) return Context::fail(issued.status());
    // The agent checks tasks with the server's public key, which its
    // configuration looks for beside its certificate.
    auto public_key = read_task_public_key(*dir + "/certs");
    if (!public_key.ok()) return Context::fail(public_key.status());
    Status st = write_pem_files(bundle, id, *issued);
    if (st.ok()) st = write_file_atomically(bundle + "/ca.pem", ca->cert_pem, 0644);
    if (st.ok() && *public_key)
        st = write_file_atomically(bundle + "/task-signing.pub", **public_key, 0644);
    if (st.ok()) {
        auto ids = issued_agents(agents);
        st = write_file_atomically(*dir + "/nats-auth.conf", auth_file(ids), 0644);
    }
    if (!st.ok()) return Context::fail(st);
    std::printf("wrote %s/%s.pem\nwrote %s/%s-key.pem\nwrote %s/ca.pem\n", bundle.c_str(),
                id.c_str(), bundle.c_str(), id.c_str(), bundle.c_str());
    if (*public_key) std::printf("wrote %s/task-signing.pub\n", bundle.c_str());
    std::printf("wrote %s/nats-auth.conf\n", dir->c_str());
    if (!*public_key)
        std::printf(
            "\nnote: %s/certs has no task-signing.pub, so this agent will run unsigned\n"
            "      tasks; `oasis system init --force` makes one (and a new CA)\n",
            dir->c_str());
    std::printf(
        "\nnext: reload NATS so agent %s may connect: nats-server --signal reload\n"
        "      (or: docker compose -f %s/docker-compose.yml kill -s HUP nats)\n"
        "      copy %s/ to the node and set [tls] certs_dir to it in the agent's oasis.toml\n",
        id.c_str(), dir->c_str(), bundle.c_str());
    return kOk;
}

}  // namespace oasis::cli
