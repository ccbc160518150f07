/** Bad command-line usage: exit 2 with the message, never a stack trace. */
export class UsageError extends Error {}
