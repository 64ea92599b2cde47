"""The page's one script, allowed by its hash."""

from __future__ import annotations

import base64
import hashlib

# The page's one script: sorting and filtering of the summary table, with its
# totals row following the filter, and proof trees drawn from the JSON block
# when opened or printed. It only ever sets text, never markup.
SCRIPT = """(() => {
const $ = (s, e = document) => e.querySelector(s);
const $$ = (s, e = document) => [...e.querySelectorAll(s)];
const table = $('table.summary-table');
if (table) {
  const body = table.tBodies[0], rows = [...body.rows], foot = table.tFoot.rows[0];
  const text = $('#filter'), grade = $('#grade-filter'), shown = $('#shown');
  const value = (row, i, type) => {
    const cell = row.cells[i];
    return type === 'num' ? Number(cell.dataset.v ?? cell.textContent) : cell.textContent;
  };
  $$('button.sort', table).forEach((button, i) => button.addEventListener('click', () => {
    const th = button.parentElement, type = button.dataset.type;
    const up = th.getAttribute('aria-sort') !== 'ascending';
    $$('th[aria-sort]', table.tHead).forEach(h => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    const sign = up ? 1 : -1;
    rows.sort((a, b) => {
      const x = value(a, i, type), y = value(b, i, type);
      const c = type === 'num' ? x - y : x.localeCompare(y);
      return sign * c || value(a, 0, 'num') - value(b, 0, 'num');
    });
    body.append(...rows);
  }));
  const filter = () => {
    const terms = text.value.toLowerCase().split(/\\s+/).filter(Boolean), g = grade.value;
    const sums = new Array(foot.cells.length).fill(0);
    let n = 0;
    for (const row of rows) {
      const words = [1, 2, 3].map(i => row.cells[i].textContent).join(' ').toLowerCase();
      const keep = (!g || row.dataset.grade === g) && terms.every(t => words.includes(t));
      row.hidden = !keep;
      if (!keep) continue;
      n += 1;
      for (let i = 4; i < sums.length; i++) sums[i] += Number(row.cells[i].textContent);
    }
    for (let i = 4; i < sums.length; i++) foot.cells[i].textContent = String(sums[i]);
    shown.textContent = shown.dataset.template.replace('{n}', n).replace('{total}', rows.length);
  };
  text.addEventListener('input', filter);
  grade.addEventListener('change', filter);
}
const block = $('#proof-data');
if (block) {
  const data = JSON.parse(block.textContent), w = data.w;
  const el = (tag, cls, content) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content !== undefined) e.textContent = content;
    return e;
  };
  const evidence = ([name, value, line]) => {
    const li = el('li');
    li.append(el('code', null, name), ' = ');
    li.append(value === null ? el('span', 'absent', w.absent) : value);
    if (line !== null) li.append(' ', el('span', 'muted', '(' + w.line.replace('{n}', line) + ')'));
    return li;
  };
  const node = i => {
    const [fact, value, entity, rules, ev, notes, kids] = data.n[i];
    const li = el('li', 'proof-fact');
    li.append(el('code', null, 'facts.' + fact + ' = ' + value));
    if (entity) {
      const at = el('span', 'muted', '@ ');
      at.append(el('code', null, entity));
      li.append(' ', at);
    }
    li.append(' ← ');
    if (rules.length) rules.forEach((r, k) => li.append(k ? ', ' : '', el('code', null, r)));
    else li.append(w.none);
    const items = [...ev.map(evidence),
                   ...notes.map(t => el('li', 'proof-note', w.note + ': ' + t)),
                   ...kids.map(node)];
    if (items.length) { const ul = el('ul'); ul.append(...items); li.append(ul); }
    return li;
  };
  const draw = d => {
    if ($('ul.proof', d)) return;
    const ul = el('ul', 'proof');
    ul.append(...d.dataset.proof.split(' ').map(Number).map(node));
    d.append(ul);
  };
  document.addEventListener('toggle', e => {
    const d = e.target;
    if (d.matches && d.matches('details.proof[data-proof]') && d.open) draw(d);
  }, true);
  window.addEventListener('beforeprint', () => $$('details.proof[data-proof]').forEach(draw));
}
})();"""

SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()


