// Reads an Oasis object store bucket with the stock NATS JavaScript client,
// as any NATS user would: status() of the bucket, list() of its objects,
// then info() and get() of each. get() checks the bytes against the digest
// in the object's meta; a mismatch, a digest it cannot parse, a bucket it
// cannot open or one whose stream is not set up as the client would set
// up its own makes this script fail.
//
//   node object_store_read.mjs NATS_URL BUCKET
//
// Prints one JSON object a line, sorted by name:
//   {"name":..., "size": bytes read, "sha256": hex of the bytes read,
//    "info_size":..., "chunks":..., "digest":...}
// and exits 0; on any error it prints it to stderr and exits 1 (2 when
// the whole read took more than 20 s, as when chunks never arrive).
import { createHash } from "node:crypto";
// The client is CommonJS: its default export is the whole module, whatever
// Node.js version finds of its named exports.
import nats from "nats";

const { connect } = nats;

const [url, bucket] = process.argv.slice(2);
if (!url || !bucket) {
  console.error("usage: node object_store_read.mjs NATS_URL BUCKET");
  process.exit(64);
}

setTimeout(() => {
  console.error(`${bucket}: no answer within 20 s`);
  process.exit(2);
}, 20000).unref();

// All of an object's bytes through the client's own get(), which errors
// the stream when the digest does not match.
async function readObject(os, name) {
  const result = await os.get(name);
  if (result === null) throw new Error(`${name}: get() found no object`);
  const hash = createHash("sha256");
  let size = 0;
  const reader = result.data.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    size += value.length;
  }
  const failed = await result.error;
  if (failed) throw failed;
  return { size, sha256: hash.digest("hex") };
}

// The stream settings the client gives a bucket it creates itself.
function checkStream(status) {
  const c = status.streamInfo.config;
  const want = {
    subjects: `$O.${bucket}.C.>,$O.${bucket}.M.>`,
    discard: "new",
    allow_rollup_hdrs: true,
    allow_direct: true,
  };
  const got = {
    subjects: [...(c.subjects || [])].sort().join(","),
    discard: c.discard,
    allow_rollup_hdrs: c.allow_rollup_hdrs,
    allow_direct: c.allow_direct,
  };
  for (const key of Object.keys(want)) {
    if (got[key] !== want[key]) {
      throw new Error(
        `stream ${c.name}: ${key} is ${got[key]}, a standard bucket has ${want[key]}`);
    }
  }
}

async function main() {
  const nc = await connect({ servers: url, timeout: 5000 });
  try {
    // views.os() would create a missing bucket: it must be Oasis's own.
    await (await nc.jetstreamManager()).streams.info(`OBJ_${bucket}`);
    const os = await nc.jetstream().views.os(bucket);
    checkStream(await os.status());
    const listed = await os.list();
    listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of listed) {
      const info = await os.info(entry.name);
      if (info === null) throw new Error(`${entry.name}: listed, but info() found nothing`);
      if (info.bucket !== bucket) {
        throw new Error(`${entry.name}: its meta names bucket ${info.bucket}`);
      }
      const read = await readObject(os, entry.name);
      console.log(JSON.stringify({
        name: entry.name,
        size: read.size,
        sha256: read.sha256,
        info_size: info.size,
        chunks: info.chunks,
        digest: info.digest,
      }));
    }
  } finally {
    await nc.close();
  }
}

main().catch((err) => {
  console.error(`${bucket}: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
