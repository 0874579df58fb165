#include "oasis/sha256.h"

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>

using namespace oasis;

TEST_CASE("sha256 gives the standard digests in hex and in the object store's form") {
    Sha256 empty;
    CHECK(*empty.finish_hex() ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    Sha256 abc;
    abc.update("a");
    abc.update("bc");
    auto digest = abc.finish_object_digest();
    REQUIRE(digest.ok());
    CHECK(*digest == "SHA-256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=");
    CHECK(*object_digest_to_hex(*digest) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Other clients may leave the padding off.
    CHECK(*object_digest_to_hex("SHA-256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 refuses what is not a digest") {
    CHECK_FALSE(object_digest_to_hex("").ok());
    CHECK_FALSE(object_digest_to_hex("SHA-256=").ok());
    CHECK_FALSE(object_digest_to_hex("MD5=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=").ok());
    CHECK_FALSE(object_digest_to_hex("SHA-256=YQ==").ok());  // one byte
    CHECK_FALSE(object_digest_to_hex("SHA-256=!!!!").ok());
    CHECK(is_sha256_hex(std::string(64, 'a')));
    CHECK_FALSE(is_sha256_hex(std::string(64, 'A')));
    CHECK_FALSE(is_sha256_hex(std::string(63, 'a')));
    CHECK_FALSE(is_sha256_hex(""));
}

TEST_CASE("sha256 of a file descriptor reads it to its end") {
    char path[] = "/tmp/oasis-sha-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    std::string big(300 * 1024, 'x');
    REQUIRE(write(fd, big.data(), big.size()) == static_cast<ssize_t>(big.size()));
    lseek(fd, 0, SEEK_SET);
    Sha256 expect;
    expect.update(big);
    CHECK(*sha256_hex_of_fd(fd, "test file") == *expect.finish_hex());
    close(fd);
    unlink(path);
    CHECK(sha256_hex_of_fd(-1, "nothing").status().code() == Code::io_error);
}
