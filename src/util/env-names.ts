// What a tuned environment variable may look like: emit writes only such lines, and apply accepts
// only such lines, so nothing from a study can inject shell into a miner's .env.

export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Numbers, 0/1, simple tokens: no quotes, spaces, `=`, `$`, backticks, `;`, `&`, `|`, `<`, `>`, `\`... */
export const PLAIN_ENV_VALUE = /^[A-Za-z0-9_.,:+\-/@%]+$/;

// Variables that change which code a program loads, how its interpreter starts, or whom it trusts and
// talks to. A tuning value never needs them; written into a miner's .env they would run someone
// else's code next to a wallet. Neither emit nor apply writes them, whatever a space or a user names.
const LOADER_NAMES = new Set([
  'PATH',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELL',
  'SHELLOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'HOME',
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'CLASSPATH',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'PERL5LIB',
  'PERL5OPT',
  'PERLLIB',
  'RUBYLIB',
  'RUBYOPT',
  'GCONV_PATH',
  'OPENSSL_CONF',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
]);
const LOADER_PREFIXES = ['LD_', 'DYLD_', 'PYTHON'];

/** Whether NAME changes how programs load or whom they trust (PATH, LD_*, NODE_OPTIONS, PYTHONPATH...). */
export function isLoaderVariable(name: string): boolean {
  return LOADER_NAMES.has(name) || LOADER_PREFIXES.some((prefix) => name.startsWith(prefix));
}
