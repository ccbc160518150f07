// What identifies the machine xpudiag runs on, for redaction: whatever a report or a
// rendered ticket could carry of it, even where the report's own fields do not say so.
import { readFileSync } from 'node:fs';
import { homedir, hostname, networkInterfaces, userInfo } from 'node:os';
import type { KnownIdentifiers } from './redact.js';

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export function machineIdentifiers(env: NodeJS.ProcessEnv = process.env): KnownIdentifiers {
  const user = safe(() => userInfo().username) ?? env.USER ?? env.LOGNAME;
  const home = safe(() => homedir()) ?? env.HOME;
  const macs = new Set<string>();
  const ips = new Set<string>();
  for (const addrs of Object.values(safe(() => networkInterfaces()) ?? {})) {
    for (const a of addrs ?? []) {
      if (a.mac && a.mac !== '00:00:00:00:00:00') macs.add(a.mac);
      if (!a.internal) ips.add(a.address);
    }
  }
  const users = [user, env.SUDO_USER, env.USER, env.LOGNAME].filter((u): u is string => !!u);
  return {
    hosts: [safe(() => hostname()), env.HOSTNAME].filter((h): h is string => !!h),
    users: [...new Set(users)],
    homes: home && user ? [{ path: home, user }] : [],
    macs: [...macs],
    ips: [...ips],
    machineIds: ['/etc/machine-id', '/var/lib/dbus/machine-id', '/proc/sys/kernel/random/boot_id'].map(readTrimmed).filter((x): x is string => !!x),
  };
}
