// The backup file of `hikyaku backup`: a header line, then a gzip stream of
// entries, encrypted when a passphrase is given. Why not tar: the archive is
// written and read only by Hikyaku, holds a few dozen files it made itself,
// and must be encrypted as a whole (keys stay encrypted at rest in the file),
// which a plain .tar.gz would not give anyway; a ~150-line format with
// node:zlib and node:crypto needs no dependency and no tar path-handling
// pitfalls (links, absolute paths, device files cannot be expressed here).
//
// Layout:
//   header   one ASCII line:
//            "HIKYAKU-BACKUP 1 plain\n", or
//            "HIKYAKU-BACKUP 1 aes-256-gcm scrypt N=32768 r=8 p=1 salt=B64 iv=B64\n"
//   body     gzip of the entries; with aes-256-gcm, encrypted with the key
//            scrypt(passphrase, salt) and the header line as associated data
//   tag      with aes-256-gcm only: the last 16 bytes, GCM's tag (a wrong
//            passphrase or a changed byte anywhere fails the whole restore)
//   entry    a JSON line {"path":"data/queue/queue.db","mode":384,"size":N}
//            then N bytes; a directory {"path":…,"mode":…,"dir":true}; the
//            stream ends with {"end":true}. Paths are relative, "/"-separated,
//            without "." or ".." parts.
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { chmodSync, createReadStream, createWriteStream, closeSync, fsyncSync, mkdirSync, openSync, readSync, fstatSync, writeSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

const MAGIC = 'HIKYAKU-BACKUP';
const VERSION = 1;
const TAG_BYTES = 16;
const SCRYPT = { N: 32_768, r: 8, p: 1 } as const;
const MAX_HEADER_BYTES = 512;
const MAX_ENTRY_LINE = 4096;

export interface ArchiveEntry {
  readonly path: string;
  readonly mode: number;
  /** A directory; otherwise a file read from `source`. */
  readonly dir?: boolean;
  readonly source?: string;
  readonly size?: number;
}

/** A backup file that cannot be read: the message says why and what to do, in English and Japanese. */
export class BackupError extends Error {
  constructor(
    readonly en: string,
    readonly ja: string,
  ) {
    super(en);
    this.name = 'BackupError';
  }
}

function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(passphrase.normalize('NFKC'), salt, 32, { ...SCRYPT, maxmem: 128 * SCRYPT.N * SCRYPT.r * 2 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Writes the archive to `file` (through a temporary file renamed into place; mode 0600). */
export async function writeArchive(file: string, entries: readonly ArchiveEntry[], passphrase: string | undefined): Promise<void> {
  let header = `${MAGIC} ${VERSION} plain\n`;
  let cipher: CipherGCM | undefined;
  if (passphrase !== undefined) {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    header = `${MAGIC} ${VERSION} aes-256-gcm scrypt N=${SCRYPT.N} r=${SCRYPT.r} p=${SCRYPT.p} salt=${salt.toString('base64')} iv=${iv.toString('base64')}\n`;
    cipher = createCipheriv('aes-256-gcm', await deriveKey(passphrase, salt), iv);
    cipher.setAAD(Buffer.from(header, 'ascii'));
  }
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp, { mode: 0o600 });
  out.write(header);
  try {
    const stages: (NodeJS.ReadableStream | Transform | Writable)[] = [Readable.from(entryStream(entries)), createGzip()];
    if (cipher !== undefined) stages.push(cipher);
    await pipeline([...stages, out] as readonly (NodeJS.ReadableStream | NodeJS.WritableStream)[]);
    const fd = openSync(tmp, 'r+');
    try {
      if (cipher !== undefined) writeSync(fd, cipher.getAuthTag(), 0, TAG_BYTES, fstatSync(fd).size);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

async function* entryStream(entries: readonly ArchiveEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    if (e.dir) {
      yield Buffer.from(JSON.stringify({ path: e.path, mode: e.mode, dir: true }) + '\n');
      continue;
    }
    if (e.source === undefined || e.size === undefined) throw new Error(`archive entry ${e.path}: no source`);
    yield Buffer.from(JSON.stringify({ path: e.path, mode: e.mode, size: e.size }) + '\n');
    let written = 0;
    // An empty file: nothing to read (a read stream cannot be given end: -1).
    const chunks = e.size === 0 ? [] : (createReadStream(e.source, { start: 0, end: e.size - 1 }) as AsyncIterable<Buffer>);
    for await (const chunk of chunks) {
      written += chunk.length;
      yield chunk;
    }
    // The snapshot is of files no one writes any more (copies, or files that never change): a size change is a bug.
    if (written !== e.size) throw new Error(`${e.source} changed size while being archived (${e.size} → ${written})`);
  }
  yield Buffer.from(JSON.stringify({ end: true }) + '\n');
}

export interface ArchiveInfo {
  readonly encrypted: boolean;
}

/** Reads the header line: whether a passphrase is needed. */
export function readArchiveInfo(file: string): ArchiveInfo & { readonly header: string } {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(MAX_HEADER_BYTES);
  let n: number;
  try {
    n = readSync(fd, buf, 0, MAX_HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const end = buf.subarray(0, n).indexOf(0x0a);
  const header = end < 0 ? '' : buf.subarray(0, end + 1).toString('ascii');
  const parts = header.trim().split(' ');
  if (parts[0] !== MAGIC) {
    throw new BackupError(`${file} is not a Hikyaku backup (made by hikyaku backup)`, `${file} は Hikyaku のバックアップ (hikyaku backup で作成) ではありません`);
  }
  if (Number(parts[1]) !== VERSION) {
    throw new BackupError(
      `${file} is a backup of format ${parts[1]}, from a newer Hikyaku; this one reads format ${VERSION}: restore it with that newer version`,
      `${file} はバックアップ形式 ${parts[1]} (より新しい Hikyaku) です。この Hikyaku が読めるのは形式 ${VERSION} です。新しいバージョンで復元してください`,
    );
  }
  return { encrypted: parts[2] === 'aes-256-gcm', header };
}

/**
 * Extracts the archive into `targetDir` (created, mode 0700). With
 * encryption, every byte is authenticated by the end: the caller must use
 * nothing extracted unless this resolves.
 */
export async function extractArchive(file: string, targetDir: string, passphrase: string | undefined): Promise<void> {
  const { encrypted, header } = readArchiveInfo(file);
  const headerBytes = Buffer.byteLength(header, 'ascii');
  const size = fstatSizeOf(file);
  mkdirSync(targetDir, { recursive: true, mode: 0o700 });
  const stages: (NodeJS.ReadableStream | Transform | Writable)[] = [];
  if (encrypted) {
    if (passphrase === undefined) {
      throw new BackupError(`${file} is encrypted: give its passphrase with --passphrase-file FILE`, `${file} は暗号化されています。--passphrase-file ファイル でパスフレーズを指定してください`);
    }
    const fields = Object.fromEntries(header.trim().split(' ').slice(4).map((kv) => kv.split('=', 2) as [string, string]));
    const salt = Buffer.from(fields['salt'] ?? '', 'base64');
    const iv = Buffer.from(fields['iv'] ?? '', 'base64');
    if (size < headerBytes + TAG_BYTES || salt.length !== 16 || iv.length !== 12) throw damaged(file);
    const decipher: DecipherGCM = createDecipheriv('aes-256-gcm', await deriveKey(passphrase, salt), iv);
    decipher.setAAD(Buffer.from(header, 'ascii'));
    decipher.setAuthTag(readTag(file, size));
    stages.push(createReadStream(file, { start: headerBytes, end: size - TAG_BYTES - 1 }), decipher);
  } else {
    stages.push(createReadStream(file, { start: headerBytes }));
  }
  stages.push(createGunzip(), new EntryWriter(targetDir));
  try {
    await pipeline(stages as readonly (NodeJS.ReadableStream | NodeJS.WritableStream)[]);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    if (encrypted) {
      throw new BackupError(
        `cannot decrypt ${file}: the passphrase is wrong, or the file is damaged (nothing was restored)`,
        `${file} を復号できません: パスフレーズが違うか、ファイルが壊れています (何も復元していません)`,
      );
    }
    throw damaged(file, (err as Error).message);
  }
}

function damaged(file: string, detail = ''): BackupError {
  return new BackupError(`${file} is damaged or truncated${detail ? ` (${detail})` : ''}: nothing was restored`, `${file} は壊れているか途中で切れています${detail ? ` (${detail})` : ''}。何も復元していません`);
}

function fstatSizeOf(file: string): number {
  const fd = openSync(file, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

function readTag(file: string, size: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const tag = Buffer.alloc(TAG_BYTES);
    readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
    return tag;
  } finally {
    closeSync(fd);
  }
}

/** Parses the entry stream and writes each file under the target directory (synchronously: a CLI with nothing else to do). */
class EntryWriter extends Writable {
  #pending = Buffer.alloc(0);
  #file: { fd: number; left: number } | undefined;
  #ended = false;

  constructor(private readonly root: string) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    try {
      this.#take(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _final(done: (err?: Error) => void): void {
    done(this.#ended && this.#file === undefined ? undefined : new Error('the archive ends in the middle'));
  }

  #take(chunk: Buffer): void {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#ended) throw new Error('data after the end of the archive');
      if (this.#file !== undefined) {
        const n = Math.min(this.#file.left, data.length);
        writeSync(this.#file.fd, data, 0, n);
        this.#file.left -= n;
        data = data.subarray(n);
        if (this.#file.left === 0) this.#closeFile();
        continue;
      }
      const nl = data.indexOf(0x0a);
      if (nl < 0) {
        if (data.length > MAX_ENTRY_LINE) throw new Error('an entry line is too long');
        this.#pending = Buffer.from(data);
        return;
      }
      this.#open(JSON.parse(data.subarray(0, nl).toString('utf8')) as { path?: string; mode?: number; size?: number; dir?: boolean; end?: boolean });
      data = data.subarray(nl + 1);
    }
  }

  #open(e: { path?: string; mode?: number; size?: number; dir?: boolean; end?: boolean }): void {
    if (e.end === true) {
      this.#ended = true;
      return;
    }
    const parts = (e.path ?? '').split('/');
    if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`unsafe path in the archive: ${JSON.stringify(e.path)}`);
    const target = join(this.root, ...parts);
    const mode = (e.mode ?? 0o600) & 0o7777;
    if (e.dir === true) {
      mkdirSync(target, { recursive: true, mode });
      // mkdir's mode passes through the umask and drops setgid and sticky bits (the maildrop's 3730).
      chmodSync(target, mode);
      return;
    }
    mkdirSync(join(this.root, ...parts.slice(0, -1)), { recursive: true, mode: 0o700 });
    const fd = openSync(target, 'wx', mode & 0o777);
    this.#file = { fd, left: e.size ?? 0 };
    if (this.#file.left === 0) this.#closeFile();
  }

  #closeFile(): void {
    if (this.#file === undefined) return;
    fsyncSync(this.#file.fd);
    closeSync(this.#file.fd);
    this.#file = undefined;
  }
}
