import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Cookies are HttpOnly and SameSite=Lax always; Secure (and __Host-) whenever PUBLIC_URL is HTTPS. */
export function cookieName(config: AppConfig, base: string): string {
  return config.secureCookies ? `__Host-${base}` : base;
}

export function setCookie(res: Response, config: AppConfig, base: string, value: string, maxAgeSeconds: number): void {
  res.cookie(cookieName(config, base), value, { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/', maxAge: maxAgeSeconds * 1000 });
}
