// Facts: what an agent reports about its node (see oasis::kFactNames).
//
// collect_facts() does the I/O; the parsing lives in pure helpers that take
// the text of a file, so they can be tested with literal inputs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oasis/facts.h"

namespace oasis::agent {

// Returns every fact in kFactNames with a non-empty value ("unknown" when a
// source cannot be read). Reads /proc, /etc/os-release, uname(2) and
// getifaddrs(3); opens no socket. Reports no errors and throws nothing but
// std::bad_alloc. Safe to call from any thread.
StringMap collect_facts();

// "NAME VERSION_ID" from the text of /etc/os-release, e.g. "OpenCloudOS 9";
// else PRETTY_NAME, else NAME, else "unknown". Understands shell-style
// quoting, comments and blank lines; skips lines it cannot parse.
std::string os_version_from_os_release(std::string_view text);

// MemTotal from the text of /proc/meminfo, in GiB rounded to the nearest
// whole number, as a decimal string ("16"); "unknown" if missing or malformed.
std::string memory_total_gb_from_meminfo(std::string_view text);

// The interface of the default route (destination 00000000) in the text of
// /proc/net/route; the lowest metric wins. "" when there is none.
std::string default_route_interface(std::string_view proc_net_route);

// One IPv4 address of a network interface, as getifaddrs(3) reports it.
struct InterfaceAddress {
    std::string interface;  // e.g. "eth0"
    std::string ipv4;       // dotted quad, e.g. "192.168.1.100"
    bool up = false;
    bool loopback = false;
};

// The node's primary address: the first address of `route_interface` (the
// default route's), else the first non-loopback address of an interface
// that is up, else "127.0.0.1".
std::string choose_primary_ip(std::string_view route_interface,
                              const std::vector<InterfaceAddress>& addresses);

}  // namespace oasis::agent
