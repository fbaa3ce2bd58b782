import { ApiError, api, enc } from '../api.js';
import { type Screen, announce, render } from '../app.js';
import { type Child, badge, h, replace, time } from '../dom.js';
import { messageArea } from '../forms.js';
import { tenantFrame } from './tenant-frame.js';

interface Change {
  path: string;
  change: 'added' | 'removed' | 'changed';
  text: string;
}
interface FieldProblem {
  field: string;
  reason: string;
}
export interface Version {
  version: number;
  status: 'draft' | 'active' | 'superseded' | 'discarded';
  author: string;
  authorName: string | null;
  createdAt: string;
  note: string | null;
  baseVersion: number | null;
  check: { at: string; ok: boolean; problems: FieldProblem[]; warnings: FieldProblem[] } | null;
  activations: Array<{ kind: 'activate' | 'rollback'; actor: string; at: string; previousVersion: number | null; note: string | null }>;
  diff: { against: number | null; changes: Change[] };
}

const STATUS: Record<Version['status'], [string, 'ok' | 'warn' | 'muted' | 'info']> = {
  active: ['In force', 'ok'], draft: ['Draft', 'warn'], superseded: ['Earlier', 'muted'], discarded: ['Discarded', 'muted'],
};

/** A version's diff as a readable list; each line says what changed in words. */
export function diffList(changes: Change[]): Child {
  if (!changes.length) return h('p', { class: 'muted' }, 'No change.');
  return h('ul', { class: 'diff' }, changes.map((c) => h('li', { class: `diff-${c.change}` }, h('span', { class: 'sr-only' }, `${c.change}: `), c.text)));
}

/** Area 4: versions with author, time and diff; check, activate, roll back, discard. */
export function historyScreen(params: Record<string, string>): Screen {
  return {
    title: 'History',
    async render(main) {
      const { tenant, content } = await tenantFrame(main, params.slug!, 'history', 'Configuration history');
      const base = `/admin/tenants/${enc(tenant.slug)}`;
      const msg = messageArea();
      let versions: Version[];
      try {
        versions = await api<Version[]>('GET', `${base}/versions`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          content.append(h('p', { class: 'message message-info' }, 'This service does not keep a version history yet.'));
          return;
        }
        throw e;
      }
      const act = async (label: string, method: string, path: string, body: unknown, done: string) => {
        msg.info(`${label}…`);
        try {
          await api(method, path, body);
          announce(done);
          await render();
          document.querySelector<HTMLElement>('#history-message')?.replaceChildren(done);
        } catch (e) {
          const err = e as ApiError;
          msg.error(`${label} failed.`, err.errors?.length ? h('ul', {}, err.errors.map((p) => h('li', {}, `${p.field}: ${p.reason}`))) : err.message);
        }
      };
      // Every change here is made from the version in force this page showed: if someone put another in force since,
      // the API refuses it (409) instead of silently undoing their change.
      const from = tenant.activeVersion ? { baseVersion: tenant.activeVersion } : {};
      const card = (v: Version) => {
        const [label, kind] = STATUS[v.status];
        const buttons: HTMLElement[] = [];
        if (v.status === 'draft') {
          const check = h('button', { type: 'button', class: 'secondary' }, `Check v${v.version}`);
          check.addEventListener('click', async () => {
            msg.info(`Checking v${v.version}…`);
            try {
              const r = await api<{ ok: boolean; problems: FieldProblem[]; warnings: FieldProblem[] }>('POST', `${base}/versions/${v.version}/check`);
              msg.clear();
              replace(checkOut, checkResult({ at: new Date().toISOString(), ...r }));
              announce(r.ok ? `v${v.version} passed its check.` : `v${v.version} has ${r.problems.length} problem(s).`);
            } catch (e) {
              msg.error('The check failed.', (e as Error).message);
            }
          });
          const activate = h('button', { type: 'button' }, `Activate v${v.version}`);
          activate.addEventListener('click', () => void act(`Activating v${v.version}`, 'POST', `${base}/versions/${v.version}/activate`, from, `Version ${v.version} is now in force.`));
          const discard = h('button', { type: 'button', class: 'link-button' }, `Discard v${v.version}`);
          discard.addEventListener('click', () => void act(`Discarding v${v.version}`, 'DELETE', `${base}/versions/${v.version}`, undefined, `Draft v${v.version} discarded.`));
          buttons.push(activate, check, discard);
        } else if (v.status === 'superseded') {
          const back = h('button', { type: 'button', class: 'secondary' }, `Roll back to v${v.version}`);
          back.addEventListener('click', () => void act(`Rolling back to v${v.version}`, 'POST', `${base}/rollback`, { toVersion: v.version, ...from }, `Rolled back: version ${v.version} is in force again.`));
          buttons.push(back);
        }
        const checkOut = h('div', {}, v.check ? checkResult(v.check) : null);
        return h('article', { class: 'card version', 'data-version': v.version, 'data-status': v.status, 'aria-labelledby': `v-${v.version}` },
          h('div', { class: 'title-row' }, h('h2', { id: `v-${v.version}` }, `Version ${v.version}`), badge(label, kind)),
          h('p', { class: 'meta' }, 'By ', v.authorName ?? v.author, ', ', time(v.createdAt), v.baseVersion ? ` · based on v${v.baseVersion}` : ''),
          v.note ? h('p', { class: 'note' }, '“', v.note, '”') : null,
          h('h3', {}, v.diff.against ? `Changes from v${v.diff.against}` : 'Initial configuration'),
          diffList(v.diff.changes),
          v.activations.length ? h('details', {}, h('summary', {}, `Put in force ${v.activations.length} time${v.activations.length > 1 ? 's' : ''}`),
            h('ul', {}, v.activations.map((a) => h('li', {}, a.kind === 'rollback' ? 'Rolled back to' : 'Activated', ' by ', a.actor, ', ', time(a.at), a.note ? ` — ${a.note}` : '')))) : null,
          checkOut,
          buttons.length ? h('div', { class: 'actions' }, buttons) : null);
      };
      content.append(h('p', { id: 'history-message', class: 'message', role: 'status' }), msg.root, h('div', { class: 'versions' }, versions.map(card)));
    },
  };
}

function checkResult(c: { at: string; ok: boolean; problems: FieldProblem[]; warnings: FieldProblem[] }): Child {
  return h('div', { class: `check ${c.ok ? 'check-ok' : 'check-fail'}` },
    h('p', {}, c.ok ? badge('Check passed', 'ok') : badge('Check failed', 'fail'), ' ', time(c.at)),
    c.problems.length ? h('ul', {}, c.problems.map((p) => h('li', {}, `${p.field}: ${p.reason}`))) : null,
    c.warnings.length ? h('ul', { class: 'warnings' }, c.warnings.map((p) => h('li', {}, `Warning — ${p.field}: ${p.reason}`))) : null);
}
