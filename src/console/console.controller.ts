import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AdminActionLog } from '../admin-auth/admin-action-log.js';
import { safeEqual, sha256 } from '../common/crypto/tokens.js';
import { ProblemError } from '../common/errors/problem.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { AppConfig } from '../config/app-config.js';
import { type Asset, loadAssets } from './console-assets.js';
import { assertConsoleRequest, assertSameOrigin, consoleCookieName, consoleSessionToken, csrfTokenFor } from './console-session.js';
import { ConsoleSessions } from './console-sessions.service.js';

const signInSchema = z.strictObject({ token: z.string().trim().min(1, 'paste your API token').max(200, 'this is not an API token') });

/**
 * Console sign-in and sign-out. The session is a cookie (HttpOnly, SameSite=Lax, Secure and `__Host-` under
 * https, path /); the console reads its anti-forgery token from GET here and sends it on every change.
 */
@ApiExcludeController()
@Controller('console/api/session')
export class ConsoleSessionController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly actions: AdminActionLog,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async current(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    res.set('Cache-Control', 'no-store');
    const token = consoleSessionToken(req, this.config);
    const session = token ? await this.sessions.current(token) : undefined;
    if (!token || !session) throw ProblemError.unauthorized('Sign in to the console with your API token.');
    return { name: session.actor.name, role: session.actor.role, expiresAt: session.expiresAt, csrfToken: csrfTokenFor(token) };
  }

  @Post()
  @HttpCode(201)
  async signIn(@Req() req: Request & { id?: string }, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    res.set('Cache-Control', 'no-store');
    // Login CSRF: only the console's own page may open a session.
    assertSameOrigin(req, this.config);
    const { token } = parseOrProblem(signInSchema, body);
    if (safeEqual(sha256(token), sha256(this.config.adminApiKey))) {
      throw ProblemError.validation([{ field: 'token', reason: 'the bootstrap operator key belongs to no one and cannot open a console session; sign in with a personal API token' }], 'The console needs a personal API token.');
    }
    const route = '/console/api/session';
    let opened;
    try {
      opened = await this.sessions.open(token, req.headers['user-agent']);
    } catch (e) {
      if (e instanceof ProblemError) await this.actions.record({ actor: null, method: 'POST', route, path: req.path, status: e.status, outcome: 'denied', detail: { reason: 'console sign-in refused' }, correlationId: req.id });
      throw e;
    }
    await this.actions.record({ actor: opened.actor, method: 'POST', route, path: req.path, status: 201, outcome: 'ok', detail: { action: 'console sign-in', session: opened.actor.credentialId }, correlationId: req.id });
    res.cookie(consoleCookieName(this.config), opened.token, {
      httpOnly: true, sameSite: 'lax', secure: this.config.secureCookies, path: '/', expires: new Date(opened.expiresAt),
    });
    return { name: opened.actor.name, role: opened.actor.role, expiresAt: opened.expiresAt, csrfToken: opened.csrfToken };
  }

  @Delete()
  @HttpCode(204)
  async signOut(@Req() req: Request & { id?: string }, @Res({ passthrough: true }) res: Response) {
    res.set('Cache-Control', 'no-store');
    const token = consoleSessionToken(req, this.config);
    if (token) {
      assertConsoleRequest(req, this.config, token);
      const session = await this.sessions.current(token);
      await this.sessions.close(token, session?.actor.id ?? 'console');
      if (session) await this.actions.record({ actor: session.actor, method: 'DELETE', route: '/console/api/session', path: req.path, status: 204, outcome: 'ok', detail: { action: 'console sign-out' }, correlationId: req.id });
    }
    res.clearCookie(consoleCookieName(this.config), { httpOnly: true, sameSite: 'lax', secure: this.config.secureCookies, path: '/' });
  }
}

/**
 * The console itself: one HTML shell for every console path (the browser code routes), and its built
 * assets. No templating, nothing about the user in the page: everything comes from the admin API.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  private readonly assets: Map<string, Asset> = loadAssets();

  @Get('assets/*path')
  asset(@Param('path') path: string | string[], @Req() req: Request, @Res() res: Response) {
    const name = Array.isArray(path) ? path.join('/') : path;
    const asset = this.assets.get(name);
    if (!asset || name === 'index.html') throw ProblemError.notFound('Console file');
    res.set({ 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    res.send(asset.body);
  }

  @Get(['', '*path'])
  shell(@Req() req: Request, @Res() res: Response) {
    if (/^\/console\/(api|assets)(\/|$)/.test(req.path)) throw ProblemError.notFound('Console resource');
    const index = this.assets.get('index.html');
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    if (!index) {
      res.status(503).type('text/plain').send('The console is not built: run `npm run build` (it compiles the console into dist/console).');
      return;
    }
    res.type('text/html; charset=utf-8').send(index.body);
  }
}
