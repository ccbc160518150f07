// This machine's identifiers, and a check that a text holds none of them. Words are
// matched whole ("vm" as a host name must not match the key "vmRSS").
import { readFileSync } from 'node:fs';
import { homedir, hostname, networkInterfaces, userInfo } from 'node:os';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export interface Identifier {
  what: string;
  value: string;
  pattern: RegExp;
}

function word(what: string, value: string, flags = ''): Identifier {
  return { what, value, pattern: new RegExp(`(?<![A-Za-z0-9_])${escapeRe(value)}(?![A-Za-z0-9_])`, flags) };
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function machineIdentifiers(): Identifier[] {
  const ids: Identifier[] = [word('host name', hostname(), 'i'), word('user name', userInfo().username)];
  ids.push({ what: 'home directory', value: homedir(), pattern: new RegExp(`${escapeRe(homedir())}(?![A-Za-z0-9_.-])`) });
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.mac) ids.push(word(`MAC of ${name}`, a.mac, 'i'));
      ids.push({ what: `address of ${name}`, value: a.address, pattern: new RegExp(`(?<![\\w:.])${escapeRe(a.address)}(?![\\w:]|\\.\\d)`, 'i') });
    }
  }
  for (const f of ['/etc/machine-id', '/proc/sys/kernel/random/boot_id']) {
    const v = read(f);
    if (v) ids.push(word(f, v, 'i'));
  }
  return ids;
}

export const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The identifiers found in `text`, as "host name 'vm' in report.json: ...context...". */
export function leaks(text: string, where: string, ids: Identifier[] = machineIdentifiers()): string[] {
  const out: string[] = [];
  for (const id of [...ids, { what: 'a UUID', value: 'uuid', pattern: UUID_RE }]) {
    const m = id.pattern.exec(text);
    if (m) out.push(`${id.what} '${m[0]}' in ${where}: ...${text.slice(Math.max(0, m.index - 60), m.index + m[0].length + 60)}...`);
  }
  return out;
}
