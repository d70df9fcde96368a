// Child of the permission tests, run as an unprivileged user: tries one atomic write and prints the outcome as JSON.
//   node denied-child.mjs <atomic-write.js> <destination>
const [entry, target] = process.argv.slice(2);
const { writeFileAtomic } = await import(entry);
try {
  await writeFileAtomic(target, new Uint8Array(1024).fill(7));
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (err) {
  process.stdout.write(
    JSON.stringify({ ok: false, name: err.name, path: err.path, message: err.message, code: err.cause?.code }),
  );
}
