import { ApiError, api } from '../api.js';
import { type Screen, type Session, announce, render, setSession } from '../app.js';
import { h } from '../dom.js';
import { messageArea, showProblems, textField } from '../forms.js';

/**
 * Sign-in: the account manager pastes the personal API token an operator issued them. It is exchanged for a
 * console session (a cookie the page cannot read) and is not kept by the page.
 */
export function signInScreen(): Screen {
  return {
    title: 'Sign in',
    render(main) {
      const token = textField({
        label: 'API token', field: 'token', type: 'password', autocomplete: 'off', required: true,
        hint: 'Your personal account-manager token (it starts with iqsso_am_). An operator issues it; it is never shown again after that.',
      });
      const msg = messageArea();
      const submit = h('button', { type: 'submit' }, 'Sign in');
      const form = h('form', { class: 'narrow', novalidate: true }, token.root, h('div', { class: 'actions' }, submit), msg.root);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        submit.disabled = true;
        msg.info('Signing in…');
        try {
          const s = await api<Session>('POST', '/console/api/session', { token: token.input.value.trim() }, { quiet401: true });
          token.input.value = '';
          setSession(s);
          announce(`Signed in as ${s.name}.`);
          await render();
        } catch (err) {
          msg.clear();
          if (err instanceof ApiError && err.errors.length) showProblems(form, err.errors, 'You could not be signed in');
          else msg.error('You could not be signed in.', err instanceof Error ? err.message : String(err));
          token.input.focus();
        } finally {
          submit.disabled = false;
        }
      });
      main.append(
        h('h1', {}, 'Sign in to the SSO console'),
        h('p', {}, 'Configure your customers\' Okta, prove it works, and read what each sign-in did.'),
        form,
      );
    },
  };
}
