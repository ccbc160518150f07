// Progress on stderr: a live line on a terminal, plain lines when piped or under CI.
import { colorStatus } from '../report/render-text.js';
import type { Progress } from '../runner/run-suite.js';

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: Progress) => void {
  const live = !!stream.isTTY && !process.env.CI;
  return (p) => {
    const head = `[${p.index + 1}/${p.total}] ${p.id}`;
    if (!p.result) {
      if (live) stream.write(`\r\x1b[K${head} ...`);
      return;
    }
    const again = p.result.attempts?.length ? `, measured ${p.result.attempts.length + 1} times` : '';
    const line = `${colorStatus(p.result.status, live)} ${head} (${(p.result.durationMs / 1000).toFixed(1)} s${again})`;
    stream.write(live ? `\r\x1b[K${line}\n` : `${line}\n`);
    for (const r of p.revised ?? []) stream.write(`${colorStatus(r.result.status, live)} ${r.result.id}: was ${r.was.toUpperCase()}, revised: ${p.id} failed\n`);
  };
}
