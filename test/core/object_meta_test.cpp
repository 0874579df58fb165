// The object store's pure parts: subjects, name checks and the meta codec.
#include "oasis/object_store.h"

#include <catch2/catch.hpp>

using oasis::Code;

TEST_CASE("meta subjects are the name in padded base64url", "[objects]") {
    CHECK(oasis::object_meta_subject("b", "a") == "$O.b.M.YQ==");
    CHECK(oasis::object_meta_subject("b", "ab") == "$O.b.M.YWI=");
    // '+' and '/' of plain base64 become '-' and '_'.
    CHECK(oasis::object_meta_subject("b", "\xfb\xff") == "$O.b.M.-_8=");
    CHECK(oasis::object_chunk_subject("b", "N1") == "$O.b.C.N1");
    CHECK(oasis::object_stream("b") == "OBJ_b");
}

TEST_CASE("bucket and object names that would bend the subjects are refused", "[objects]") {
    CHECK(oasis::check_bucket_name("files_1-a").ok());
    for (const char* bad : {"", "a.b", "a*", "a>", "a b", "ä"})
        CHECK(oasis::check_bucket_name(bad).code() == Code::invalid_argument);
    CHECK(oasis::check_bucket_name(std::string(65, 'a')).code() == Code::invalid_argument);

    CHECK(oasis::check_object_name("etc/hosts with space ü").ok());
    CHECK(oasis::check_object_name(std::string(1024, 'n')).ok());
    CHECK(oasis::check_object_name(std::string(1025, 'n')).code() == Code::invalid_argument);
    CHECK(oasis::check_object_name("").code() == Code::invalid_argument);
    CHECK(oasis::check_object_name("\xc3").code() == Code::invalid_argument);
}

TEST_CASE("object meta survives a round trip and names what it lacks", "[objects]") {
    oasis::ObjectInfo info;
    info.name = "etc/hosts";
    info.bucket = "files";
    info.nuid = "abc";
    info.size = 131073;
    info.chunks = 2;
    info.digest = "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=";
    info.max_chunk_size = 131072;
    auto back = oasis::decode_object_meta(oasis::encode_object_meta(info));
    REQUIRE(back.ok());
    CHECK(back->name == info.name);
    CHECK(back->bucket == info.bucket);
    CHECK(back->nuid == info.nuid);
    CHECK(back->size == info.size);
    CHECK(back->chunks == info.chunks);
    CHECK(back->digest == info.digest);
    CHECK(back->max_chunk_size == info.max_chunk_size);
    CHECK_FALSE(back->deleted);

    info.deleted = true;
    CHECK(oasis::decode_object_meta(oasis::encode_object_meta(info))->deleted);

    auto bad = oasis::decode_object_meta(R"({"name":"a","bucket":"b"})");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message() == "object meta: no nuid");
    CHECK(oasis::decode_object_meta("[]").status().code() == Code::invalid_argument);
}
