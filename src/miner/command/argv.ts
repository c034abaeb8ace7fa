// A command line given as one option (--command, --restart-command) split into words without a
// shell: quotes and backslashes group words as in sh, nothing is expanded, and placeholders such as
// {url} are replaced inside a word, so a value arrives as exactly one argument whatever it holds.

import { AutotuneError } from '../../errors.js';

const OPERATORS = /^(\||\|\||&|&&|;|<|>|>>|2>|2>&1)$/;

/** Splits `text` into words; E_USAGE for unbalanced quotes, shell operators or an empty command. */
export function splitCommand(text: string, option: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      if (c === '`' || (c === '$' && text[i + 1] === '(')) throw noShell(option, text);
      word += c;
      inWord = true;
    }
  }
  if (quote) {
    throw new AutotuneError('E_USAGE', `${option} ${JSON.stringify(text)} has an unclosed ${quote} quote`, { hint: 'close the quote' });
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new AutotuneError('E_USAGE', `${option} is empty`, { hint: 'give the program and its arguments' });
  if (words.some((w) => OPERATORS.test(w))) throw noShell(option, text);
  return words;
}

function noShell(option: string, text: string): AutotuneError {
  return new AutotuneError('E_USAGE', `${option} ${JSON.stringify(text)} uses shell syntax, but it runs without a shell`, {
    hint: 'put pipes, redirections and substitutions in a script and give the script',
  });
}

/** Replaces each {name} inside every word by its value (a word stays one argument). */
export function substitute(argv: readonly string[], values: Record<string, string>): string[] {
  return argv.map((word) => word.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole));
}

export function mentions(argv: readonly string[], placeholder: string): boolean {
  return argv.some((w) => w.includes(`{${placeholder}}`));
}
