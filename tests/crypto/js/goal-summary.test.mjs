// The plaintext summary her browser gives the server for a goal plan (frontend/static/js/portfolio/
// editors.js, the very file the browser is served): status, progress, and the due date of her next
// step, which her home page and her coach's caseload show without opening the plan.

import assert from 'node:assert/strict';
import { test } from 'node:test';

// editors.js reads its words from the page when it loads; a page without them is enough here.
globalThis.document ??= { getElementById: () => null };
const { nextStepDue, planSummary } = await import('../../../frontend/static/js/portfolio/editors.js');

const plan = (steps) => ({ goals: [{ id: 'g1', area: 'work', text: 'werk', steps }] });

test('the next step due is the soonest date of a step still to do', () => {
  const steps = [
    { text: 'cv', status: 'done', due: '2026-12-01' },
    { text: 'bellen', status: 'open', due: '2026-12-20' },
    { text: 'gesprek', status: 'in_progress', due: '2026-12-10' },
    { text: 'voorstel', status: 'open', due: '2026-12-05', suggested_by: 'coach-1' },
    { text: 'afgewezen', status: 'open', due: '2026-12-04', declined: true },
    { text: 'zonder datum', status: 'open' },
  ];
  assert.equal(nextStepDue(plan(steps)), '2026-12-10');
  assert.deepEqual(planSummary(plan(steps)), { status: 'in_progress', progress: 25, occurred_on: '2026-12-10' });
});

test('without a dated step to do the summary has no date', () => {
  assert.equal(nextStepDue(plan([{ text: 'x', status: 'open', due: '' }])), null);
  assert.deepEqual(planSummary(plan([{ text: 'x', status: 'done', due: '2026-12-01' }])), {
    status: 'done',
    progress: 100,
  });
  assert.deepEqual(planSummary({}), { status: 'open', progress: 0 });
});
