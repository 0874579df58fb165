#include "agent/facts.h"

#include <arpa/inet.h>

#include <catch2/catch.hpp>

using oasis::agent::choose_primary_ip;
using oasis::agent::default_route_interface;
using oasis::agent::InterfaceAddress;
using oasis::agent::memory_total_gb_from_meminfo;
using oasis::agent::os_version_from_os_release;

TEST_CASE("os_version prefers NAME and VERSION_ID", "[facts]") {
    REQUIRE(os_version_from_os_release("NAME=\"OpenCloudOS\"\nVERSION_ID=\"9\"") ==
            "OpenCloudOS 9");

    const char* debian =
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
        "NAME=\"Debian GNU/Linux\"\n"
        "VERSION_ID=\"12\"\n"
        "VERSION=\"12 (bookworm)\"\n"
        "ID=debian\n";
    REQUIRE(os_version_from_os_release(debian) == "Debian GNU/Linux 12");

    const char* stream =
        "# OpenCloudOS Stream\n"
        "\n"
        "NAME='OpenCloudOS Stream'\r\n"
        "VERSION_ID=23\r\n";
    REQUIRE(os_version_from_os_release(stream) == "OpenCloudOS Stream 23");
}

TEST_CASE("os_version falls back to PRETTY_NAME, then NAME, then unknown", "[facts]") {
    REQUIRE(os_version_from_os_release("NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\n"
                                       "BUILD_ID=rolling\n") == "Arch Linux");
    REQUIRE(os_version_from_os_release("PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"") ==
            "Debian GNU/Linux trixie/sid");
    REQUIRE(os_version_from_os_release("NAME=Gentoo") == "Gentoo");
    REQUIRE(os_version_from_os_release("VERSION_ID=9") == "unknown");
    REQUIRE(os_version_from_os_release("") == "unknown");
}

TEST_CASE("os_version reads shell quoting and survives malformed lines", "[facts]") {
    SECTION("escapes inside double quotes") {
        REQUIRE(os_version_from_os_release("NAME=\"My \\\"Own\\\" OS\"\nVERSION_ID=1") ==
                "My \"Own\" OS 1");
    }
    SECTION("adjacent quoted pieces and a trailing comment") {
        REQUIRE(os_version_from_os_release("NAME=Open'Cloud'\"OS\"  # vendor\nVERSION_ID=9") ==
                "OpenCloudOS 9");
    }
    SECTION("lines without '=', comments and blank keys are skipped") {
        const char* text =
            "garbage line\n"
            "   # NAME=\"Commented\"\n"
            "=orphan value\n"
            "NAME=\"Real\"\n"
            "VERSION_ID=\"2\"";
        REQUIRE(os_version_from_os_release(text) == "Real 2");
    }
    SECTION("an unterminated quote keeps what it read") {
        REQUIRE(os_version_from_os_release("NAME=\"Broken\nVERSION_ID=\"7\"") == "Broken 7");
    }
    SECTION("a later assignment wins") {
        REQUIRE(os_version_from_os_release("NAME=Old\nNAME=New\nVERSION_ID=3") == "New 3");
    }
    SECTION("an empty VERSION_ID falls back") {
        REQUIRE(os_version_from_os_release("NAME=X\nVERSION_ID=\"\"\nPRETTY_NAME=\"X Y\"") ==
                "X Y");
    }
}

TEST_CASE("memory_total_gb rounds MemTotal to whole GiB", "[facts]") {
    REQUIRE(memory_total_gb_from_meminfo("MemTotal:       16318440 kB\n"
                                         "MemFree:         1234567 kB\n") == "16");
    REQUIRE(memory_total_gb_from_meminfo("MemFree: 1 kB\nMemTotal: 16777216 kB\n") == "16");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal: 1572864 kB") == "2");  // 1.5 rounds up
    REQUIRE(memory_total_gb_from_meminfo("MemTotal: 1572863 kB") == "1");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal: 1000 kB") == "0");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal:\t8048576") == "8");  // no unit
}

TEST_CASE("memory_total_gb is unknown when MemTotal is missing or malformed", "[facts]") {
    REQUIRE(memory_total_gb_from_meminfo("") == "unknown");
    REQUIRE(memory_total_gb_from_meminfo("MemFree: 1024 kB\n") == "unknown");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal: lots kB\n") == "unknown");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal: -5 kB\n") == "unknown");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal: 16318440 MB\n") == "unknown");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal:\n") == "unknown");
    REQUIRE(memory_total_gb_from_meminfo("MemTotal: 99999999999999999999999 kB") == "unknown");
}

TEST_CASE("default_route_interface finds the interface of the default route", "[facts]") {
    const char* table =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
        "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
    REQUIRE(default_route_interface(table) == "eth0");

    SECTION("the lowest metric wins") {
        const char* two =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
            "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\n"
            "enp3s0\t00000000\t010010AC\t0003\t0\t0\t100\t00000000\n"
            "tun0\t00000000\t00000000\t0003\t0\t0\t900\t00000000\n";
        REQUIRE(default_route_interface(two) == "enp3s0");
    }
    SECTION("a route that is not up is ignored") {
        REQUIRE(default_route_interface("eth1\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\n"
                                        "eth2\t00000000\t0101A8C0\t0003\t0\t0\t5\t00000000") ==
                "eth2");
    }
}

TEST_CASE("default_route_interface is empty without a default route", "[facts]") {
    REQUIRE(default_route_interface("").empty());
    REQUIRE(default_route_interface("Iface\tDestination\tGateway \tFlags\n").empty());
    REQUIRE(default_route_interface("eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n")
                .empty());
    REQUIRE(default_route_interface("eth0\n\n   \nnonsense 00000001").empty());
    // A zero destination with a non-zero mask is not a default route.
    REQUIRE(default_route_interface("eth0\t00000000\t0\t0003\t0\t0\t0\t000000FF").empty());
}

TEST_CASE("choose_primary_ip prefers the default route's interface", "[facts]") {
    std::vector<InterfaceAddress> addrs = {
        {"lo", "127.0.0.1", true, true},
        {"docker0", "172.17.0.1", true, false},
        {"eth0", "192.168.1.100", true, false},
    };
    REQUIRE(choose_primary_ip("eth0", addrs) == "192.168.1.100");

    SECTION("without a route, the first non-loopback address of an up interface") {
        addrs.insert(addrs.begin() + 1, {"eth9", "10.9.9.9", false, false});
        REQUIRE(choose_primary_ip("", addrs) == "172.17.0.1");
    }
    SECTION("a route interface without an IPv4 address falls back") {
        REQUIRE(choose_primary_ip("wg0", addrs) == "172.17.0.1");
    }
    SECTION("only loopback addresses give 127.0.0.1") {
        REQUIRE(choose_primary_ip("", {{"lo", "127.0.0.1", true, true}}) == "127.0.0.1");
        REQUIRE(choose_primary_ip("", {}) == "127.0.0.1");
    }
}

TEST_CASE("collect_facts reports all eight facts with values", "[facts]") {
    auto facts = oasis::agent::collect_facts();
    REQUIRE(facts.size() == oasis::kFactNames.size());
    for (auto name : oasis::kFactNames) {
        INFO("fact " << name);
        REQUIRE(facts.count(name) == 1);
        REQUIRE_FALSE(facts.find(name)->second.empty());
    }

    REQUIRE(facts["os_name"] == "linux");
    REQUIRE(std::stoi(facts["cpu_cores"]) >= 1);
    in_addr addr{};
    REQUIRE(::inet_pton(AF_INET, facts["primary_ip"].c_str(), &addr) == 1);
}
