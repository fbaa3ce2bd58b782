import type { Response } from 'express';
import { html, sendPage } from '../common/web/page.js';

/** Asks for the work email when the app did not say which company the user belongs to. */
export function sendHomeRealmPage(res: Response, params: Record<string, string>, problem?: string): void {
  const hidden = Object.entries(params)
    .filter(([k]) => k !== 'login_hint')
    .map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  sendPage(
    res,
    problem ? 400 : 200,
    'Sign in',
    html`${problem ? html`<p role="alert"><strong>${problem}</strong></p>` : html``}
<form method="get" action="/oauth2/authorize">
${hidden}
<label for="login_hint">Work email</label>
<input id="login_hint" name="login_hint" type="email" autocomplete="username" required autofocus value="${params.login_hint ?? ''}">
<button type="submit">Continue</button>
</form>
<p class="muted">You will continue to your company's sign-in page.</p>`,
  );
}
