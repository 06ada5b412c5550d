// Lab helper: sends one UDP datagram to each of `count` (address, port) pairs on 127.0.0.1-127.0.0.N
// from one socket, so the network namespace it runs in gets `count` real conntrack entries. Loopback
// only (docs/architecture.md §8.5); run inside the lab worker as `node --input-type=module -e <this source> <count>`: the
// lab's /tmp is a private tmpfs, so a checkout under /tmp is not a path the worker can read.
import dgram from "node:dgram";
const count = Number(process.argv.at(-1));
const sock = dgram.createSocket("udp4");
sock.bind(0, "127.0.0.1", async () => {
  const payload = Buffer.from("x");
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - i) }, (_, j) => i + j);
    await Promise.all(batch.map((n) => new Promise((resolve) => sock.send(payload, 1 + (n % 60000), `127.0.0.${1 + Math.floor(n / 60000)}`, resolve))));
  }
  sock.close();
  process.stdout.write("sent\n");
});
