// The one number reader and the one byte formatter every layer uses. Pure.

/** A finite number, or null: how every report reader takes a number off metrics or params it did not write. */
export function finiteNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Formats a byte count with binary units: 134217728 -> "128 MiB", 1536 -> "1.5 KiB", 512 -> "512 B". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return `${String(n)} B`;
  const sign = n < 0 ? '-' : '';
  let abs = Math.abs(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  while (abs >= 1024 && i < units.length - 1) {
    abs /= 1024;
    i++;
  }
  let rounded = Math.round(abs * 100) / 100;
  if (rounded >= 1024 && i < units.length - 1) {
    rounded = Math.round((rounded / 1024) * 100) / 100;
    i++;
  }
  return `${sign}${String(rounded)} ${units[i] ?? 'B'}`;
}
