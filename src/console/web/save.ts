import { ApiError, api, enc } from './api.js';
import { announce, navigate } from './app.js';
import { type Config, type Section, saveBody } from './config.js';
import { type Child, h } from './dom.js';
import { clearProblems, messageArea, showProblems, textField } from './forms.js';

/**
 * The save bar of every configuration form: a note, "Save as draft" (a new version, not in force until
 * activated) and "Save and activate". Problems come back per field and are shown there; a save over a version
 * someone else put in force meanwhile is refused by the API and says so.
 */
export function saveBar(form: HTMLElement, slug: string, base: () => Config, sections: Section[], after: string, baseVersion: () => number | null): Child {
  const note = textField({ label: 'Note for the history (optional)', field: 'note', hint: 'Why this change, e.g. "Customer added the Key Holder group".' });
  const msg = messageArea();
  const draft = h('button', { type: 'button', class: 'secondary', 'data-save': 'draft' }, 'Save as draft');
  const activate = h('button', { type: 'submit', 'data-save': 'activate' }, 'Save and activate');
  const run = async (mode: 'draft' | 'activate') => {
    const config = base();
    for (const s of sections) s.read(config);
    clearProblems(form);
    msg.info(mode === 'draft' ? 'Saving a draft…' : 'Saving and activating… (the Okta discovery document is checked again)');
    draft.disabled = activate.disabled = true;
    try {
      // The version this screen was loaded from: the API refuses the save if someone put another in force since.
      const from = baseVersion();
      const body = { ...saveBody(config, note.input.value.trim() || undefined), ...(from ? { baseVersion: from } : {}) };
      const r = mode === 'draft'
        ? await api<{ version: number }>('POST', `/admin/tenants/${enc(slug)}/versions`, body)
        : await api<{ activeVersion: number }>('PUT', `/admin/tenants/${enc(slug)}/config`, body);
      const v = 'version' in r ? r.version : r.activeVersion;
      announce(mode === 'draft' ? `Draft v${v} saved.` : `Version ${v} is now in force.`);
      navigate(after);
    } catch (e) {
      msg.clear();
      if (e instanceof ApiError && e.errors.length) {
        const hit = showProblems(form, e.errors, e.detail || 'The configuration was not saved');
        hit[0]?.dispatchEvent(new CustomEvent('reveal', { bubbles: true }));
      } else msg.error('The configuration was not saved.', e instanceof Error ? e.message : String(e));
    } finally {
      draft.disabled = activate.disabled = false;
    }
  };
  draft.addEventListener('click', () => void run('draft'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run('activate');
  });
  return h('div', { class: 'save-bar' }, note.root, h('div', { class: 'actions' }, activate, draft), msg.root);
}
