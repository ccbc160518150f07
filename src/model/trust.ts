// Whether a run's host-memory verdicts can be trusted: what its controls read. Plain
// types, imported by every layer.

/** One reading of one control case: where it stood in the run, and what it read against its truth. */
export interface ControlReading {
  id: string;
  role: 'negative' | 'positive';
  /** opening: before the measured cases; closing: after them (the same case measured again). */
  bracket: 'opening' | 'closing';
  status: string;
  /** It read its verdict and its truth within its interval and the tolerance. */
  ok: boolean;
  /** It could be judged at all (an inconclusive, erroring or interrupted control cannot). */
  judged: boolean;
  reason: string;
  /** What other processes did to the machine meanwhile (the control read its truth despite it, or not). */
  busy?: string;
}

export interface Trust {
  /** Every control that ran was judged and read its truth, before and after the measured cases. */
  trusted: boolean;
  reasons: string[];
  /** Readings that could not be judged but did not cost the trust (another reading of the same control vouched). */
  notes?: string[];
  /** Each control reading, in the order measured (absent in reports before schema 1.1). */
  controls?: ControlReading[];
}
