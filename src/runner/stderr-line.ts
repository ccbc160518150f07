// A failed case's own words are often the driver's: the simulator says which variable
// is wrong, a loader which library it could not open, while the API only returns
// ZE_RESULT_ERROR_INVALID_ARGUMENT. The error line carries the last thing the probe
// process wrote to stderr, not only the report's stderrTail.

/** The last line of `stderr` worth showing: not blank, not a stack frame, not a Node warning. */
export function lastStderrLine(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^at\s/.test(l) && !/^\(node:\d+\)/.test(l) && !/^\(Use `node --trace/.test(l));
  const last = lines.at(-1);
  return last === undefined ? undefined : last.length > 300 ? `${last.slice(0, 297)}...` : last;
}

/** An error's message with the probe's last stderr line after it, unless the message already holds it. */
export function withStderr(message: string, kind: string, stderr: string): string {
  // Nothing the probe wrote explains a stop the runner made itself.
  if (kind === 'guard' || kind === 'interrupted') return message;
  const line = lastStderrLine(stderr);
  return line && !message.includes(line) ? `${message}; stderr: ${line}` : message;
}
