// Share by link: the page's state (spec, namespace, operator defaults) as JSON, compressed
// with 'deflate-raw' and written base64url into the URL fragment (`#z=…`). The fragment never
// reaches a server, so nothing leaves the browser.

const PREFIX = '#z=';

async function pipe(bytes, stream) {
  const transformed = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(transformed).arrayBuffer());
}

function toBase64Url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/**
 * The fragment that holds `state`.
 * @param {{spec: string, namespace?: string, omittedMode?: string, defaults?: string}} state
 */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + toBase64Url(await pipe(json, new CompressionStream('deflate-raw')));
}

/**
 * The state in a fragment, or null when it holds none (or cannot be read).
 * @param {string} hash  location.hash
 */
export async function decodeState(hash) {
  if (!hash.startsWith(PREFIX)) return null;
  try {
    const json = await pipe(fromBase64Url(hash.slice(PREFIX.length)), new DecompressionStream('deflate-raw'));
    const state = JSON.parse(new TextDecoder().decode(json));
    return typeof state?.spec === 'string' ? state : null;
  } catch {
    return null;
  }
}
