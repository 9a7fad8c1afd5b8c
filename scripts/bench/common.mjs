// What the bench's parts share: synthetic safetensors files and whole-process measurements.
/* global Buffer, performance -- Node globals (eslint.config.mjs gives scripts/ no environment) */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/**
 * A safetensors file of `tensors` ([name, shape]) of float32 values `fill(i)`, or sparse (headers
 * only), or whose data section (`bytes` long) `data(fd, bytes)` writes. Returns the data's size.
 */
export function writeSafetensors(path, tensors, { dtype = 'F32', bytesPer = 4, fill, data, sparse = false, metadata = { format: 'pt' } } = {}) {
  const header = { __metadata__: metadata };
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * bytesPer;
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(path, 'w');
  writeSync(fd, prefix);
  writeSync(fd, json);
  if (sparse) ftruncateSync(fd, 8 + json.length + offset);
  else if (data) data(fd, offset);
  else {
    const chunk = Buffer.alloc(1 << 20);
    for (let at = 0, i = 0; at < offset; at += chunk.length) {
      const n = Math.min(chunk.length, offset - at);
      for (let j = 0; j < n; j += 4, i++) chunk.writeFloatLE(fill(i), j);
      writeSync(fd, chunk, 0, n);
    }
  }
  closeSync(fd);
  return offset;
}

/** A whole process with its output to a file (stats of 100,000 tensors print ~90 MB): seconds, peak RSS. */
export function run(cmd, argv, outFile) {
  const haveTime = existsSync('/usr/bin/time');
  const fd = openSync(outFile, 'w');
  const t = performance.now();
  const r = spawnSync(haveTime ? '/usr/bin/time' : cmd, haveTime ? ['-v', cmd, ...argv] : argv, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  const seconds = (performance.now() - t) / 1000;
  closeSync(fd);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { seconds, rssMB: m ? Number(m[1]) / 1024 : NaN };
}

export function bestOf(runs, fn) {
  let out;
  for (let i = 0; i < runs; i++) {
    const r = fn();
    out = !out ? r : { seconds: Math.min(out.seconds, r.seconds), rssMB: Math.max(out.rssMB, r.rssMB) };
  }
  return out;
}
