import { ApiError, api, enc } from '../api.js';
import { type Screen, announce } from '../app.js';
import { append, type Child, badge, h, replace, show } from '../dom.js';
import { clearProblems, messageArea, showProblems, textField } from '../forms.js';
import { tenantFrame } from './tenant-frame.js';

export interface Check {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail';
  /** The plain sentence an account manager reads. */
  summary: string;
  details?: Record<string, unknown>;
}
export interface Report {
  version: number;
  issuer: string;
  ranAt: string;
  status: 'pass' | 'warn' | 'fail';
  checks: Check[];
}

/** The checks the tool runs, in order, shown as pending before the first answer. */
const KNOWN_CHECKS: Array<[string, string]> = [
  ['discovery', 'Okta discovery document'], ['tls', 'Security certificate (TLS)'], ['jwks', 'Signing keys (JWKS)'],
  ['scopes', 'Scopes the integration needs'], ['client-authentication', 'Client ID and secret'], ['endpoints', 'Sign-in endpoints'],
];

const STATE_LABEL = { pending: 'Waiting', running: 'Running…', pass: 'Pass', warn: 'Warning', fail: 'Fail', skip: 'Skipped' } as const;
type State = keyof typeof STATE_LABEL;

function stateBadge(s: State): HTMLElement {
  return badge(STATE_LABEL[s], s === 'pass' ? 'ok' : s === 'warn' ? 'warn' : s === 'fail' ? 'fail' : 'muted');
}

/** Area 5: the troubleshooting checks with a visible state per check, and the dry run. */
export function troubleshootScreen(params: Record<string, string>): Screen {
  return {
    title: 'Troubleshoot',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'troubleshoot', 'Troubleshoot');
      const base = `/admin/tenants/${enc(tenant.slug)}`;
      const fresh = new URLSearchParams(location.search).has('new');

      // ---- checks ----
      const list = h('ol', { class: 'checks', id: 'checks' });
      const rows = new Map<string, HTMLElement>();
      const row = (id: string, title: string, state: State, sentence?: string, detail?: Child) => {
        const li = h('li', { class: `check-row check-${state}`, 'data-check': id, 'data-state': state },
          h('span', { class: 'check-title' }, title), ' ', stateBadge(state), sentence ? h('p', { class: 'sentence' }, sentence) : null, detail ?? null);
        const old = rows.get(id);
        if (old) old.replaceWith(li);
        else list.append(li);
        rows.set(id, li);
      };
      const msg = messageArea();
      const run = h('button', { type: 'button', id: 'run-checks' }, 'Run all checks');
      const summary = h('p', { class: 'summary', id: 'checks-summary' });
      run.addEventListener('click', async () => {
        run.disabled = true;
        replace(summary);
        msg.clear();
        rows.clear();
        replace(list);
        KNOWN_CHECKS.forEach(([id, title]) => row(id, title, 'running'));
        announce('Running the troubleshooting checks…');
        try {
          const r = await api<Report>('POST', `${base}/troubleshoot`, {});
          const checks = r.checks;
          for (const id of rows.keys()) if (!checks.some((c) => c.id === id)) rows.get(id)!.remove();
          for (const c of checks) {
            row(c.id, c.title, c.status, c.summary, c.details && Object.keys(c.details).length ? h('details', {}, h('summary', {}, 'Technical details'), h('pre', {}, JSON.stringify(c.details, null, 2))) : undefined);
          }
          const n = (s: string) => checks.filter((c) => c.status === s).length;
          summary.textContent = `Version ${r.version}: ${checks.length} checks, ${n('pass')} passed, ${n('warn')} with warnings, ${n('fail')} failed.`;
          announce(`Checks finished. ${summary.textContent}`);
        } catch (e) {
          rows.clear();
          replace(list);
          KNOWN_CHECKS.forEach(([id, title]) => row(id, title, 'pending'));
          msg.error('The checks could not run.', e instanceof ApiError && e.status === 404 ? 'This service has no troubleshooting tool for this tenant yet.' : (e as Error).message);
        } finally {
          run.disabled = false;
        }
      });
      KNOWN_CHECKS.forEach(([id, title]) => row(id, title, 'pending'));

      // ---- dry run ----
      const claims = textField({
        label: 'Claims (JSON)', field: 'claims', multiline: true, rows: 10,
        hint: 'Paste the claims of a user as Okta sends them (ID token and UserInfo merged), e.g. {"sub":"00u123","userName":"jane@kentel.com","security_group_name":"Store Manager"}. Nothing is written.',
      });
      const useLast = h('input', { type: 'checkbox', id: 'dry-last' });
      const version = textField({ label: 'Configuration version (optional)', field: 'version', type: 'number', inputmode: 'numeric', hint: 'Empty: the version in force. A draft can be tried before it is activated.' });
      const dryMsg = messageArea();
      const dryOut = h('div', { id: 'dry-result' });
      const dryRun = h('button', { type: 'submit' }, 'Dry run');
      const dryForm = h('form', { novalidate: true, id: 'dry-form' }, claims.root,
        h('div', { class: 'field field-check' }, useLast, h('label', { for: 'dry-last' }, 'Use the claims of the last sign-in instead')),
        version.root,
        h('div', { class: 'actions' }, dryRun), dryMsg.root, dryOut);
      dryForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearProblems(dryForm);
        replace(dryOut);
        let body: Record<string, unknown>;
        if (useLast.checked) body = { lastSignIn: true };
        else {
          try {
            const parsed = JSON.parse(claims.input.value);
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
            body = { claims: parsed };
          } catch {
            showProblems(dryForm, [{ field: 'claims', reason: 'must be a JSON object of claims, e.g. {"sub": "00u123", "email": "jane@kentel.com"}' }], 'The claims could not be read');
            return;
          }
        }
        if (version.input.value.trim()) body.version = Number(version.input.value);
        dryRun.disabled = true;
        dryMsg.info('Mapping the claims as a real sign-in would (nothing is written)…');
        try {
          const r = await api<DryRun>('POST', `${base}/dry-run`, body);
          dryMsg.clear();
          replace(dryOut, dryResult(r));
          announce(`Dry run finished: ${r.problems?.length ? `${r.problems.length} problem(s)` : 'no problem'}.`);
        } catch (err) {
          dryMsg.clear();
          if (err instanceof ApiError && err.errors.length) showProblems(dryForm, err.errors, err.detail || 'The dry run was refused');
          else dryMsg.error('The dry run failed.', err instanceof ApiError && err.status === 404 ? 'This service has no dry run for this tenant yet.' : (err as Error).message);
        } finally {
          dryRun.disabled = false;
        }
      });

      append(content, [
        fresh ? h('p', { class: 'message message-info' }, `Tenant ${tenant.name} was created. Run the checks now to prove its Okta works.`) : null,
        h('section', { class: 'section', 'aria-labelledby': 'ts-checks' }, h('h2', { id: 'ts-checks' }, 'Checks'),
          h('p', {}, 'Each check talks to the customer\'s Okta as sign-in will, and says in a sentence what it found.'),
          h('div', { class: 'actions' }, run), msg.root, list, h('div', { role: 'status', 'aria-live': 'polite' }, summary)),
        h('section', { class: 'section', 'aria-labelledby': 'ts-dry' }, h('h2', { id: 'ts-dry' }, 'Dry run'), dryForm),
      ]);
    },
  };
}

export interface DryRun {
  version?: number;
  claimsFrom?: string;
  outcome?: string;
  user?: Record<string, unknown> | null;
  stored?: Record<string, unknown> | null;
  diff?: Record<string, { before?: unknown; after?: unknown; from?: unknown; to?: unknown }> | Array<{ field: string; before?: unknown; after?: unknown }>;
  problems?: Array<{ field: string; reason: string }>;
  warnings?: Array<{ field: string; reason: string }>;
}

export function diffRows(diff: DryRun['diff']): Array<[string, unknown, unknown]> {
  if (!diff) return [];
  if (Array.isArray(diff)) return diff.map((d) => [d.field, d.before, d.after]);
  return Object.entries(diff).map(([f, d]) => [f, d?.before ?? d?.from, d?.after ?? d?.to]);
}

function dryResult(r: DryRun): Child {
  const rows = diffRows(r.diff);
  return [
    h('h3', { tabindex: -1 }, 'Result', r.outcome ? [' ', badge(r.outcome, r.outcome === 'refused' || r.outcome === 'failed' ? 'fail' : 'ok')] : null),
    r.version ? h('p', { class: 'muted' }, `Mapped with version ${r.version}${r.claimsFrom ? `, claims ${r.claimsFrom === 'pasted' ? 'pasted' : `from ${r.claimsFrom}`}` : ''}. Nothing was written.`) : null,
    r.problems?.length ? h('section', { class: 'problems', 'aria-label': 'Problems' }, h('h4', {}, `Problems (${r.problems.length})`), h('ul', {}, r.problems.map((p) => h('li', {}, h('code', {}, p.field), ': ', p.reason)))) : h('p', {}, badge('No problem', 'ok')),
    r.warnings?.length ? h('section', { class: 'warnings', 'aria-label': 'Warnings' }, h('h4', {}, `Warnings (${r.warnings.length})`), h('ul', {}, r.warnings.map((p) => h('li', {}, h('code', {}, p.field), ': ', p.reason)))) : null,
    r.user ? h('section', { 'aria-label': 'Resulting user' }, h('h4', {}, 'The user as provisioning would write it'),
      h('dl', { class: 'pairs' }, Object.entries(r.user).map(([k, v]) => [h('dt', {}, k), h('dd', {}, show(v))]))) : null,
    h('section', { 'aria-label': 'Difference from the stored user' }, h('h4', {}, r.stored === null ? 'Difference (no stored user yet: all new)' : 'Difference from the stored user'),
      rows.length
        ? h('table', { class: 'stack diff-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Stored'), h('th', { scope: 'col' }, 'Would become'))),
          h('tbody', {}, rows.map(([f, a, b]) => h('tr', {}, h('th', { scope: 'row', 'data-label': 'Field' }, f), h('td', { 'data-label': 'Stored' }, show(a)), h('td', { 'data-label': 'Would become' }, show(b))))))
        : h('p', { class: 'muted' }, 'No change.')),
  ];
}
