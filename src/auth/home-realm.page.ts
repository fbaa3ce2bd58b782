import type { Response } from 'express';
import type { Environment } from '../database/directory-databases.js';
import { html, sendPage } from '../common/web/page.js';
import { formTargetSource } from '../common/web/security-headers.js';

export interface HomeRealmPageOptions {
  environment: Environment;
  /** Why the address given could not be used (unknown domain, not an email...): shown above the form. */
  problem?: string;
}

/**
 * Asks for the work email when the app did not say which company the user belongs to, or said it in a way
 * that did not work. The form goes back to /oauth2/authorize with the app's validated parameters, so the
 * request is checked again from the start; nothing is kept on the server meanwhile. Its action is relative (the
 * page is served at …/oauth2/authorize), so it stays under a PUBLIC_URL with a path.
 *
 * Its submission is redirected on to the tenant's Okta, which the address typed decides (any https origin), and,
 * when Okta or this service answers at once, to the app's redirect URI: form-action names both (pageCsp).
 */
export function sendHomeRealmPage(res: Response, params: Record<string, string>, options: HomeRealmPageOptions): void {
  const { environment, problem } = options;
  const hidden = Object.entries(params)
    .filter(([k]) => k !== 'login_hint')
    .map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  const training = environment === 'training';
  sendPage(
    res,
    problem ? 400 : 200,
    training ? 'Sign in to training' : 'Sign in',
    html`${training ? html`<p><strong>Training environment.</strong> You will sign in with your usual company account; what you do here does not touch production.</p>` : html``}
${problem ? html`<p role="alert" id="problem"><strong>${problem}</strong></p>` : html``}
<form method="get" action="authorize">
${hidden}
<label for="login_hint">Work email</label>
<input id="login_hint" name="login_hint" type="email" autocomplete="username" required autofocus maxlength="320" value="${params.login_hint ?? ''}"${problem ? html` aria-describedby="problem" aria-invalid="true"` : html``}>
<button type="submit">Continue</button>
</form>
<p class="muted">You will continue to your company's sign-in page.</p>`,
    ['https:', ...[formTargetSource(params.redirect_uri ?? '')].filter((t) => t !== undefined)],
  );
}
