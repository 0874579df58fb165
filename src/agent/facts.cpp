#include "agent/facts.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <limits>

namespace oasis::agent {

namespace {

constexpr std::string_view kUnknown = "unknown";
constexpr std::string_view kSpace = " \t\r\n\v\f";
// Larger files are cut here; every file we read is a few kB in practice.
constexpr std::size_t kMaxFileBytes = 4 * 1024 * 1024;

std::string_view trim(std::string_view s) {
    auto first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(kSpace);
    return s.substr(first, last - first + 1);
}

template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
    while (!text.empty()) {
        auto end = text.find('\n');
        fn(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    for (;;) {
        auto begin = line.find_first_not_of(kSpace);
        if (begin == std::string_view::npos) return fields;
        line.remove_prefix(begin);
        auto end = line.find_first_of(kSpace);
        fields.push_back(line.substr(0, end));
        if (end == std::string_view::npos) return fields;
        line.remove_prefix(end);
    }
}

bool parse_uint(std::string_view text, std::uint64_t& value, int base = 10) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    return ec == std::errc() && end == text.data() + text.size();
}

// The value of one shell assignment as os-release(5) allows it: double or
// single quotes, backslash escapes, and adjacent pieces ("a"'b'c). Unquoted
// whitespace ends the value, and an unterminated quote keeps what it read.
std::string shell_value(std::string_view v) {
    std::string out;
    char quote = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        char c = v[i];
        if (quote == '\'') {
            if (c == '\'') quote = 0;
            else out += c;
            continue;
        }
        if (c == '\\' && i + 1 < v.size()) {
            char next = v[++i];
            // Inside double quotes a backslash escapes only these four.
            bool escapes = quote == 0 || std::string_view("\"\\$`").find(next) != v.npos;
            if (!escapes) out += c;
            out += next;
            continue;
        }
        if (quote == '"') {
            if (c == '"') quote = 0;
            else out += c;
            continue;
        }
        if (c == '"' || c == '\'') quote = c;
        else if (kSpace.find(c) != kSpace.npos) break;
        else out += c;
    }
    return out;
}

// The whole file, or "" if it cannot be read. Uses read(2) because /proc
// files report a size of 0.
std::string read_text(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string text;
    char buf[8192];
    while (text.size() < kMaxFileBytes) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

std::string or_unknown(std::string_view value) {
    value = trim(value);
    return std::string(value.empty() ? kUnknown : value);
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string host_name(const utsname* uts) {
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0 && buf[0] != '\0') return or_unknown(buf);
    return or_unknown(uts != nullptr ? uts->nodename : "");
}

std::string online_cpus() {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? std::to_string(n) : std::string(kUnknown);
}

std::vector<InterfaceAddress> ipv4_addresses() {
    std::vector<InterfaceAddress> result;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return result;

    for (ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_INET) continue;
        char text[INET_ADDRSTRLEN] = {};
        auto* in = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
        if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) == nullptr) continue;
        result.push_back({ifa->ifa_name != nullptr ? ifa->ifa_name : "", text,
                          (ifa->ifa_flags & IFF_UP) != 0, (ifa->ifa_flags & IFF_LOOPBACK) != 0});
    }
    ::freeifaddrs(list);
    return result;
}

}  // namespace

StringMap collect_facts() {
    utsname uts{};
    const utsname* have_uts = ::uname(&uts) == 0 ? &uts : nullptr;
    std::string os_release = read_text("/etc/os-release");
    if (os_release.empty()) os_release = read_text("/usr/lib/os-release");
    std::string route_iface = default_route_interface(read_text("/proc/net/route"));

    StringMap facts;
    facts["hostname"] = host_name(have_uts);
    facts["primary_ip"] = choose_primary_ip(route_iface, ipv4_addresses());
    facts["cpu_arch"] = or_unknown(have_uts ? uts.machine : "");
    facts["cpu_cores"] = online_cpus();
    facts["memory_total_gb"] = memory_total_gb_from_meminfo(read_text("/proc/meminfo"));
    facts["os_name"] = lower(or_unknown(have_uts ? uts.sysname : ""));
    facts["os_version"] = os_version_from_os_release(os_release);
    facts["kernel_version"] = or_unknown(have_uts ? uts.release : "");
    return facts;
}

std::string os_version_from_os_release(std::string_view text) {
    std::string name, version_id, pretty_name;
    for_each_line(text, [&](std::string_view line) {
        line = trim(line);
        auto eq = line.find('=');
        if (line.empty() || line.front() == '#' || eq == std::string_view::npos) return;

        auto key = trim(line.substr(0, eq));
        std::string value(trim(shell_value(trim(line.substr(eq + 1)))));
        // Later assignments win, as when the shell sources the file.
        if (key == "NAME") name = value;
        if (key == "VERSION_ID") version_id = value;
        if (key == "PRETTY_NAME") pretty_name = value;
    });

    if (!name.empty() && !version_id.empty()) return name + " " + version_id;
    if (!pretty_name.empty()) return pretty_name;
    if (!name.empty()) return name;
    return std::string(kUnknown);
}

std::string memory_total_gb_from_meminfo(std::string_view text) {
    constexpr std::uint64_t kKibPerGib = 1024 * 1024;
    std::string result(kUnknown);
    for_each_line(text, [&](std::string_view line) {
        constexpr std::string_view kKey = "MemTotal:";
        if (line.substr(0, kKey.size()) != kKey) return;

        // "MemTotal:       16318440 kB"; the kernel always uses kB.
        auto fields = split_fields(line.substr(kKey.size()));
        std::uint64_t kib = 0;
        if (fields.empty() || fields.size() > 2 || !parse_uint(fields[0], kib)) return;
        if (fields.size() == 2 && fields[1] != "kB") return;
        std::uint64_t gib = kib / kKibPerGib + (kib % kKibPerGib >= kKibPerGib / 2 ? 1 : 0);
        result = std::to_string(gib);
    });
    return result;
}

std::string default_route_interface(std::string_view proc_net_route) {
    // Columns: Iface Destination Gateway Flags RefCnt Use Metric Mask ...
    constexpr std::uint64_t kRouteUp = 0x1;  // RTF_UP
    std::string best;
    std::uint64_t best_metric = std::numeric_limits<std::uint64_t>::max();
    for_each_line(proc_net_route, [&](std::string_view line) {
        auto f = split_fields(line);
        if (f.size() < 2 || f[1] != "00000000") return;  // also skips the header

        std::uint64_t flags = 0, metric = 0;
        if (f.size() > 3 && parse_uint(f[3], flags, 16) && (flags & kRouteUp) == 0) return;
        if (f.size() > 7 && f[7] != "00000000") return;
        if (f.size() > 6 && !parse_uint(f[6], metric)) metric = best_metric - 1;

        if (best.empty() || metric < best_metric) {
            best = std::string(f[0]);
            best_metric = metric;
        }
    });
    return best;
}

std::string choose_primary_ip(std::string_view route_interface,
                              const std::vector<InterfaceAddress>& addresses) {
    if (!route_interface.empty())
        for (const auto& a : addresses)
            if (a.interface == route_interface && !a.ipv4.empty()) return a.ipv4;

    for (const auto& a : addresses)
        if (a.up && !a.loopback && !a.ipv4.empty() && a.ipv4.rfind("127.", 0) != 0)
            return a.ipv4;
    return "127.0.0.1";
}

}  // namespace oasis::agent
