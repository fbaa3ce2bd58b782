import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Duplex } from 'node:stream';
import type { AppConfig } from '../../config/app-config.js';
import { statusPhrase } from '../errors/problem.js';

/**
 * What Node's HTTP server answers before a request reaches the application: headers too large (431), a request
 * the parser cannot read (400), or one sent too slowly (408). Node's own answer has no body; this one is a
 * problem details document like every other error of this service, and the connection is closed. The two
 * timeouts bound how long a slow client can hold a connection (HTTP_HEADERS_TIMEOUT_S, HTTP_REQUEST_TIMEOUT_S).
 */
export function hardenHttpServer(server: Server, config: AppConfig): void {
  server.headersTimeout = Math.min(config.env.HTTP_HEADERS_TIMEOUT_S, config.env.HTTP_REQUEST_TIMEOUT_S) * 1000;
  server.requestTimeout = config.env.HTTP_REQUEST_TIMEOUT_S * 1000;
  // A request answered before its body had all arrived (a 429, a 413): if the rest never comes, the timeout must
  // close the connection, not write a second response after the first.
  const answeredEarly = new WeakSet<Duplex>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Only a request with a body can be answered before it has all arrived (most API calls have none).
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return;
    res.once('finish', () => {
      if (req.complete) return;
      answeredEarly.add(req.socket);
      req.once('end', () => answeredEarly.delete(req.socket));
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable || answeredEarly.has(socket)) return void socket.destroy();
    const [status, detail]: [number, string] =
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'The request headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'The request was not received in time.']
      : [400, 'The request could not be read as HTTP.'];
    const title = statusPhrase(status);
    const body = JSON.stringify({ type: 'about:blank', title, status, detail });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * How often Node looks for connections past HTTP_HEADERS_TIMEOUT_S and HTTP_REQUEST_TIMEOUT_S. Node's default is 30
 * s, so a slow client held a connection up to 30 s past either bound (a 3 s headers timeout answered 408 after 32 s).
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;

/**
 * Nest's Express adapter with its Node server created with CONNECTIONS_CHECKING_INTERVAL_MS, which Node reads only
 * when a server is created (Nest's own adapter creates it without options). HTTPS and Nest's connection options,
 * which this service does not use, are left to Nest.
 */
export class HardenedExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    if (options?.httpsOptions || options?.return503OnClosing || options?.forceCloseConnections) return super.initHttpServer(options);
    this.httpServer = createServer({ connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS }, this.getInstance());
  }
}
