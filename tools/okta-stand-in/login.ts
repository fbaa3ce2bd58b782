import type { Interaction, KoaContextWithOIDC, Middleware, Provider } from 'oidc-provider';
import type { AccountStore } from './accounts.js';
import { readForm } from './faults.js';

// The pages a browser sees: the login form (the interaction), error and logout pages.

export const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function htmlPage(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><main><h1>${esc(title)}</h1>
${content}
</main></body></html>`;
}

function loginForm(action: string, interaction: Interaction, username: string, error?: string): string {
  return htmlPage('Sign In', `<p>to continue to ${esc(interaction.params.client_id)}</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="${esc(action)}" id="form-login">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" value="${esc(username)}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button type="submit">Sign In</button>
</form>`);
}

/** Every requested scope is granted: no consent page (like an Okta app with consent off). */
async function autoConsent(provider: Provider, interaction: Interaction) {
  const details = interaction.prompt.details as {
    missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]>;
  };
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId: interaction.session?.accountId, clientId: interaction.params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

async function finish(ctx: KoaContextWithOIDC, provider: Provider, result: Record<string, unknown>) {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.redirect(returnTo);
  ctx.status = 303;
}

/**
 * The interaction pages at `${issuerPath}/login/{uid}`: GET shows a username/password form,
 * POST checks it (wrong credentials re-render the form, status 200, with an error).
 */
export function loginPages(provider: Provider, accounts: AccountStore, issuerPath: string): Middleware {
  return async (ctx, next) => {
    const uid = /^\/login\/([\w-]+)$/.exec(ctx.path)?.[1];
    if (!uid) return next();
    ctx.set('cache-control', 'no-store');
    ctx.type = 'html';
    const interaction = await provider.interactionDetails(ctx.req, ctx.res).catch(() => undefined);
    if (!interaction || interaction.uid !== uid) {
      ctx.status = 400;
      ctx.body = htmlPage('Sign In', '<p class="error" role="alert">Your sign-in session has expired. Go back to the application and try again.</p>');
      return;
    }
    if (interaction.prompt.name === 'consent') return finish(ctx, provider, await autoConsent(provider, interaction));

    const action = `${issuerPath}/login/${uid}`;
    if (ctx.method !== 'POST') {
      ctx.body = loginForm(action, interaction, String(interaction.params.login_hint ?? ''));
      return;
    }
    const form = await readForm(ctx);
    ctx.state.form = form;
    const check = accounts.check(form?.username, form?.password);
    if (check.ok) return finish(ctx, provider, { login: { accountId: check.user.sub } });
    ctx.body = loginForm(action, interaction, form?.username ?? '', check.reason === 'locked'
      ? 'Your account is locked. Please contact your administrator.'
      : 'Unable to sign in');
  };
}

/** oidc-provider's error page (authorization errors that cannot go back to the client). */
export async function renderError(ctx: KoaContextWithOIDC, out: Record<string, unknown>) {
  ctx.type = 'html';
  ctx.body = htmlPage('Error', `<p class="error" role="alert"><code>${esc(out.error)}</code>: ${esc(out.error_description)}</p>`);
}

// Okta signs out without asking when given a valid id_token_hint; the confirm form submits itself.
export async function logoutSource(ctx: KoaContextWithOIDC, form: string) {
  ctx.body = htmlPage('Signing out', `${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}
<script>document.forms[0].submit()</script>`);
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
  ctx.body = htmlPage('Signed out', '<p>You have been signed out.</p>');
}
