// Counts in words: "1 case", "2 cases", "1 error". One helper, so no line reads "1 cases".

export function counted(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}
