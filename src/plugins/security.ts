import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import helmet from 'helmet';
import fp from 'fastify-plugin';
import { pickLocale } from '../i18n/index.js';

const CSP_DIRECTIVES = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  manifestSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

// Every powerful feature off. The form's file input needs none of them: choosing a photo (or taking
// one through the phone's picker) is the operating system's dialog, not the page using the camera.
const PERMISSIONS_POLICY = [
  'accelerometer', 'ambient-light-sensor', 'autoplay', 'battery', 'bluetooth', 'camera', 'display-capture',
  'encrypted-media', 'fullscreen', 'gamepad', 'geolocation', 'gyroscope', 'hid', 'idle-detection',
  'local-fonts', 'magnetometer', 'microphone', 'midi', 'payment', 'picture-in-picture',
  'publickey-credentials-get', 'screen-wake-lock', 'serial', 'usb', 'web-share', 'xr-spatial-tracking',
].map((feature) => `${feature}=()`).join(', ');

/**
 * The security headers of every answer, worked out once: they are the same on every response, so
 * running helmet per request (as @fastify/helmet does) only costs CPU (docs/PERFORMANCE.md).
 * Everything the pages use is served by this app, so the CSP allows only 'self' and no inline
 * script or style at all.
 */
export function securityHeaders(secure: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    removeHeader: () => {},
  };
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CSP_DIRECTIVES, ...(secure ? { upgradeInsecureRequests: [] } : {}) },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  })({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  headers['permissions-policy'] = PERMISSIONS_POLICY;
  // Pages may show a code or what was typed: never kept in a shared or browser cache (a route that
  // serves something else, the static files, sets its own).
  headers['cache-control'] = 'no-store';
  return headers;
}

/** Pages no search engine should list: the staff side, and the status lookup with its answers. */
const UNLISTED = /^\/(staff|status|api\/v1\/status)(\/|\?|$)/;

export default fp(
  async (app, opts: { headers: Record<string, string> }) => {
    const { headers } = opts;
    // Callback style: every request runs it, and a callback hook costs Fastify no promise.
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(headers);
      if (UNLISTED.test(request.url)) reply.header('x-robots-tag', 'noindex, nofollow');
      done();
    });
  },
  { name: 'security' },
);

const CLIENT_ERRORS: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, ERR_HTTP_REQUEST_TIMEOUT: 408 };

/**
 * What Node's HTTP parser refuses before Fastify sees a request (an unknown method, a malformed
 * request line, oversized headers) gets the same headers as every other answer and a short page
 * with the hotline in the user's language, instead of Node's bare "400 Bad Request".
 */
export function answerClientError(app: () => FastifyInstance | undefined, headers: Record<string, string>) {
  return (err: ConnectionError, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const server = app();
    const status = CLIENT_ERRORS[err.code ?? ''] ?? 400;
    const language = /\r\naccept-language:[ \t]*([^\r\n]{0,200})/i.exec(rawText(err.rawPacket) ?? '')?.[1];
    const locale = pickLocale(undefined, undefined, language);
    const t = server?.translators[locale];
    const page = status === 400 ? 400 : 500;
    const hotline = server?.campaign.hotlines[0]?.number ?? '';
    const text = (key: string) => escapeHtml(t ? t(key) : '');
    const html =
      `<!doctype html>\n<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>${text(`errors.page.${page}.title`)}</title></head><body><h1>${text(`errors.page.${page}.title`)}</h1>` +
      `<p>${text(`errors.page.${page}.body`)}</p>` +
      `<p>${text('errors.callUs')} <a href="tel:${escapeHtml(hotline.replace(/[^\d+]/g, ''))}">${escapeHtml(hotline)}</a></p></body></html>\n`;
    const head = [
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}`,
      ...Object.entries({ ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(html)), connection: 'close' }).map(
        ([name, value]) => `${name}: ${value}`,
      ),
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${html}`);
  };
}

// Node hands the bytes it could not parse as a Buffer (typed by Fastify as a Buffer's JSON form).
function rawText(packet: unknown): string {
  return Buffer.isBuffer(packet) ? packet.toString('latin1') : '';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
