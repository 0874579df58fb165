// object_store_bench: put and get of one large object through ObjectStore,
// next to the raw JetStream figures of the same NATS server in the same run:
// the same bytes in the same 128 KiB messages, published asynchronously
// with the same window of un-acked publishes (Bus::start_publishing), and
// read back through the same kind of consumer (Bus::read_subject_each).
// What the object store adds is the SHA-256 on both sides, the meta, and
// its checks.
//
// Prints a markdown table on stdout: the median of --runs for each figure
// and the process's peak resident memory (VmHWM), which covers every run.
// Creates and at the end deletes the streams OBJ_bench and OBJ_BENCH_RAW.
//
// For the fleet benchmarks (bench/file_transfer.sh): --raw-only leaves the
// object store out; --readers N reads the raw bytes back with N readers at
// once, each on its own connection through its own consumer (N agents
// fetching one file), and counts N times the bytes; --kv prints the medians
// as "name value" lines, in seconds, instead of the table.
#include "bench_args.h"
#include "bench_bus.h"
#include "oasis/object_store.h"

#include <cxxopts.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using oasis::bench::Clock;
using oasis::bench::median;
using oasis::bench::seconds_since;

// Peak resident memory of this process in MiB, from /proc/self/status.
double peak_rss_mib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return -1;
}

// Fills `buf` with bytes that do not repeat from chunk to chunk (xorshift),
// fast enough not to be what is measured.
void fill_pseudo_random(char* buf, std::size_t n, std::uint64_t& state) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        std::memcpy(buf + i, &state, 8);
    }
    for (; i < n; ++i) buf[i] = static_cast<char>(i);
}

// A source of `size` bytes that never holds more than one buffer.
oasis::ObjectReader generated(std::uint64_t size) {
    auto left = std::make_shared<std::uint64_t>(size);
    auto state = std::make_shared<std::uint64_t>(0x9e3779b97f4a7c15ull);
    return [left, state](std::span<char> buf) -> oasis::Result<std::size_t> {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), *left));
        fill_pseudo_random(buf.data(), n, *state);
        *left -= n;
        return n;
    };
}

// Reads benchraw.chunks back through `buses.size()` consumers at once, one
// per connection; every reader must get all `size` bytes.
oasis::Status read_raw_fanout(const std::vector<oasis::Bus*>& buses, std::uint64_t size,
                              std::size_t window) {
    std::vector<oasis::Status> outcome(buses.size());
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < buses.size(); ++i) {
        readers.emplace_back([&, i] {
            std::uint64_t read = 0;
            outcome[i] = buses[i]->read_subject_each("OBJ_BENCH_RAW", "benchraw.chunks", 1,
                                                     "bench_raw_reader_" + std::to_string(i),
                                                     window, [&](oasis::Message&& m) {
                                                         read += m.data.size();
                                                         return oasis::Status{};
                                                     });
            if (outcome[i].ok() && read != size)
                outcome[i] = oasis::error(oasis::Code::data_loss, "raw read short");
        });
    }
    for (auto& r : readers) r.join();
    for (auto& st : outcome)
        if (!st.ok()) return st;
    return {};
}

int fail(const oasis::Status& st) {
    std::fprintf(stderr, "object_store_bench: %s\n", st.message().c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string url = "nats://127.0.0.1:4222";
    int size_mib = 256, runs = 3, readers = 1;
    bool raw_only = false, kv = false;
    cxxopts::Options options("object_store_bench", "Object store throughput (see the source)");
    // clang-format off
    options.add_options()
        ("nats-url", "NATS server", cxxopts::value<std::string>(url))
        ("size-mib", "object size in MiB", cxxopts::value<int>(size_mib))
        ("runs", "runs per figure", cxxopts::value<int>(runs))
        ("readers", "raw readers at once, a connection each (1 to 1000)",
         cxxopts::value<int>(readers))
        ("raw-only", "measure raw JetStream only", cxxopts::value<bool>(raw_only))
        ("kv", "print \"name value\" lines (seconds) instead of a table",
         cxxopts::value<bool>(kv))
        ("h,help", "show this help");
    // clang-format on
    if (int exit_code = 0; !oasis::bench::parse_flags(options, argc, argv, exit_code))
        return exit_code;
    if (size_mib < 1 || runs < 1 || readers < 1 || readers > 1000) {
        std::fprintf(stderr,
                     "object_store_bench: --size-mib, --runs and --readers must be >= 1, "
                     "--readers at most 1000\n");
        return 2;
    }
    if (readers > 1 && !raw_only) {
        std::fprintf(stderr,
                     "object_store_bench: --readers needs --raw-only (an object store "
                     "get has one reader)\n");
        return 2;
    }
    auto bus = oasis::bench::quiet_bus(url, "object-store-bench");
    if (!bus) return 1;
    oasis::Bus& b = *bus;
    // The fan-out readers' connections, made before anything is timed.
    std::vector<std::unique_ptr<oasis::Bus>> reader_buses;
    std::vector<oasis::Bus*> fanout;
    for (int i = 0; readers > 1 && i < readers; ++i) {
        auto rb = oasis::bench::quiet_bus(url, "object-store-bench");
        if (!rb) return 1;
        fanout.push_back(rb.get());
        reader_buses.push_back(std::move(rb));
    }

    const oasis::ObjectStoreOptions store_options;
    oasis::ObjectStore store(b, store_options);
    if (!raw_only)
        if (auto st = store.ensure_bucket("bench"); !st.ok()) return fail(st);
    oasis::StreamSpec raw_spec;
    raw_spec.name = "OBJ_BENCH_RAW";
    raw_spec.subjects = {"benchraw.>"};
    if (auto st = b.ensure_stream(raw_spec); !st.ok()) return fail(st);

    const std::uint64_t size = static_cast<std::uint64_t>(size_mib) << 20;
    const double mb = static_cast<double>(size) / 1e6;
    std::vector<double> put_s, get_s, raw_pub_s, raw_read_s;
    std::string chunk(store_options.chunk_size, '\0');
    for (int r = 0; r < runs; ++r) {
        // Raw: the same bytes, the same messages and window, no digest or meta.
        (void)b.purge_subject("OBJ_BENCH_RAW", "benchraw.chunks");
        auto t0 = Clock::now();
        auto publisher = b.start_publishing(store_options.window, store_options.ack_timeout);
        if (!publisher.ok()) return fail(publisher.status());
        std::uint64_t state = 0x9e3779b97f4a7c15ull;
        for (std::uint64_t sent = 0; sent < size; sent += chunk.size()) {
            std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - sent));
            fill_pseudo_random(chunk.data(), n, state);
            if (auto st = (*publisher)->publish("benchraw.chunks", {chunk.data(), n}); !st.ok())
                return fail(st);
        }
        if (auto st = (*publisher)->finish(std::chrono::seconds(60)); !st.ok()) return fail(st);
        raw_pub_s.push_back(seconds_since(t0));
        publisher->reset();

        t0 = Clock::now();
        if (fanout.empty()) {
            std::uint64_t read = 0;
            auto st = b.read_subject_each("OBJ_BENCH_RAW", "benchraw.chunks", 1, "bench_raw_reader",
                                          store_options.window, [&](oasis::Message&& m) {
                                              read += m.data.size();
                                              return oasis::Status{};
                                          });
            if (!st.ok()) return fail(st);
            if (read != size) return fail(oasis::error(oasis::Code::data_loss, "raw read short"));
        } else if (auto st = read_raw_fanout(fanout, size, store_options.window); !st.ok()) {
            return fail(st);
        }
        raw_read_s.push_back(seconds_since(t0));
        if (raw_only) continue;

        // The object store.
        t0 = Clock::now();
        auto put = store.put("bench", "big.bin", generated(size));
        if (!put.ok()) return fail(put.status());
        put_s.push_back(seconds_since(t0));

        t0 = Clock::now();
        std::uint64_t got = 0;
        auto info = store.get("bench", "big.bin", [&](std::string_view bytes) {
            got += bytes.size();
            return oasis::Status{};
        });
        if (!info.ok()) return fail(info.status());
        get_s.push_back(seconds_since(t0));
    }
    if (!raw_only) (void)b.delete_stream("OBJ_bench");
    (void)b.delete_stream("OBJ_BENCH_RAW");

    if (kv) {
        std::printf("raw_publish_s %.6f\nraw_read_s %.6f\nreaders %d\n", median(raw_pub_s),
                    median(raw_read_s), readers);
        if (!raw_only) std::printf("put_s %.6f\nget_s %.6f\n", median(put_s), median(get_s));
        std::printf("peak_rss_mib %.1f\n", peak_rss_mib());
        return 0;
    }
    const double read_mb = mb * readers;  // every reader reads it all
    double raw_pub = mb / median(raw_pub_s), raw_read = read_mb / median(raw_read_s);
    if (raw_only) {
        std::printf("| %d MiB, median of %d runs | raw JetStream |\n", size_mib, runs);
        std::printf("| --- | --- |\n");
        std::printf("| write (async publish) | %.0f MB/s |\n", raw_pub);
        std::printf("| read (%d consumer%s at once) | %.0f MB/s |\n", readers,
                    readers == 1 ? "" : "s", raw_read);
        std::printf("\nPeak resident memory of this process (VmHWM): %.1f MiB\n", peak_rss_mib());
        return 0;
    }
    double put = mb / median(put_s), get = mb / median(get_s);
    std::printf("| %d MiB object, median of %d runs | object store | raw JetStream | ratio |\n",
                size_mib, runs);
    std::printf("| --- | --- | --- | --- |\n");
    std::printf("| write (put / async publish) | %.0f MB/s | %.0f MB/s | %.2fx |\n", put, raw_pub,
                raw_pub / put);
    std::printf("| read (get / consumer) | %.0f MB/s | %.0f MB/s | %.2fx |\n", get, raw_read,
                raw_read / get);
    std::printf("\nPeak resident memory of this process (VmHWM): %.1f MiB\n", peak_rss_mib());
    return 0;
}
