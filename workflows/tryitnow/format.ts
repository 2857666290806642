/** `12 %` of `part / whole`, rounded down so 19.9 % never prints as 20 %. */
export function percent(part: number, whole: number): string {
  return `${Math.floor((part / whole) * 1000) / 10} %`;
}

/** `1 message`, `3 messages`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}
