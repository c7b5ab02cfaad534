// Structured editors: the goal-action plan (goals per life area with steps, dates, status and who
// helps; coach-suggested steps she accepts or declines), the sociogram and the genogram. They
// read and write plain objects; every text goes into the DOM as a form value or textContent.

import { h, plural } from '../shared/dom.js';
import { drawGenogram, drawSociogram } from './diagrams.js';
import { newId } from './keyring.js';

export const words = document.getElementById('portfolio-messages')?.dataset ?? {};
export const labels = JSON.parse(document.getElementById('portfolio-labels')?.dataset.labels ?? '{}');

let counter = 0;
function fieldId() {
  counter += 1;
  return `g-${counter}`;
}

function labelled(text, control) {
  const id = fieldId();
  control.id = id;
  return h('div', { class: 'field field--small' }, h('label', { for: id, text }), control);
}

function select(options, value) {
  const node = h('select');
  for (const [key, text] of Object.entries(options)) node.append(h('option', { value: key, text }));
  if (value !== undefined && value !== null) node.value = value;
  return node;
}

function input(value, type = 'text') {
  return h('input', { type, value: value ?? '', autocomplete: 'off' });
}

function removeButton(onClick) {
  const button = h('button', { type: 'button', class: 'button button--secondary button--small', text: words.remove });
  button.addEventListener('click', onClick);
  return button;
}

// Goal plan ---------------------------------------------------------------------------------

export function stepsDone(plan) {
  const steps = (plan.goals ?? []).flatMap((g) => g.steps ?? []).filter((s) => !s.declined && !s.suggested_by);
  const done = steps.filter((s) => s.status === 'done').length;
  return { done, total: steps.length, percent: steps.length ? Math.round((100 * done) / steps.length) : 0 };
}

// The due date of her next step: the soonest date of a step she still has to do (null if none
// has a date). A due date, like a status, is what CRYPTO.md lets the server read.
export function nextStepDue(plan) {
  const dates = (plan.goals ?? [])
    .flatMap((g) => g.steps ?? [])
    .filter((s) => !s.declined && !s.suggested_by && s.status !== 'done' && /^\d{4}-\d{2}-\d{2}$/.test(s.due ?? ''))
    .map((s) => s.due)
    .sort();
  return dates[0] ?? null;
}

// The plaintext summary CRYPTO.md allows for a goal plan: a status, a progress figure and the due
// date of the next step (the item's date), so her home page and her coach's caseload can say
// "next step due" without opening the plan.
export function planSummary(plan) {
  const { done, total, percent } = stepsDone(plan);
  const status = total === 0 ? 'open' : done === total ? 'done' : done > 0 ? 'in_progress' : 'open';
  const due = nextStepDue(plan);
  return due ? { status, progress: percent, occurred_on: due } : { status, progress: percent };
}

export class GoalEditor {
  constructor(list, addButton, { coach, me, onChange }) {
    this.list = list;
    this.coach = coach;
    this.me = me;
    this.onChange = onChange;
    this.goals = [];
    addButton.addEventListener('click', () => {
      this.goals.push({ id: newId(), area: 'work', text: '', steps: [] });
      this.render();
      this.onChange();
    });
  }

  set(goals) {
    this.goals = structuredClone(goals ?? []);
    this.render();
  }

  value() {
    return structuredClone(this.goals);
  }

  render() {
    this.list.replaceChildren(...this.goals.map((goal) => this.goalNode(goal)));
  }

  bind(control, object, key) {
    control.addEventListener('input', () => {
      object[key] = control.value;
      this.onChange();
    });
    control.addEventListener('change', () => {
      object[key] = control.value;
      this.onChange();
    });
    return control;
  }

  goalNode(goal) {
    const steps = h('ol', { class: 'step-list' }, ...(goal.steps ?? []).map((step) => this.stepNode(goal, step)));
    const addStep = h('button', {
      type: 'button',
      class: 'button button--secondary',
      text: this.coach ? words.suggest : words.addStep,
      'data-add-step': goal.id,
    });
    addStep.addEventListener('click', () => {
      goal.steps.push({
        id: newId(),
        text: '',
        due: '',
        status: 'open',
        helper: '',
        suggested_by: this.coach ? this.me : null,
      });
      this.render();
      this.onChange();
    });
    return h(
      'li',
      { class: 'goal card', 'data-goal': goal.id },
      labelled(words.area, this.bind(select(labels.areas ?? {}, goal.area), goal, 'area')),
      labelled(words.goal, this.bind(input(goal.text), goal, 'text')),
      steps,
      h(
        'div',
        { class: 'actions' },
        addStep,
        this.coach
          ? null
          : removeButton(() => {
              this.goals = this.goals.filter((g) => g !== goal);
              this.render();
              this.onChange();
            }),
      ),
    );
  }

  stepNode(goal, step) {
    const node = h('li', { class: `step${step.declined ? ' step--declined' : ''}`, 'data-step': step.id });
    node.append(
      labelled(words.step, this.bind(input(step.text), step, 'text')),
      labelled(words.due, this.bind(input(step.due, 'date'), step, 'due')),
      labelled(words.status, this.bind(select(labels.statuses ?? {}, step.status), step, 'status')),
      labelled(words.helper, this.bind(input(step.helper), step, 'helper')),
    );
    if (step.suggested_by && !step.declined) {
      node.append(h('p', { class: 'badge badge--warning', text: words.suggested }));
      if (!this.coach) {
        const accept = h('button', { type: 'button', class: 'button', text: words.accept, 'data-accept': step.id });
        const decline = h('button', {
          type: 'button',
          class: 'button button--secondary',
          text: words.decline,
          'data-decline': step.id,
        });
        accept.addEventListener('click', () => {
          step.suggested_by = null;
          this.render();
          this.onChange();
        });
        decline.addEventListener('click', () => {
          step.declined = true;
          this.render();
          this.onChange();
        });
        node.append(h('div', { class: 'actions' }, accept, decline));
      }
    } else if (step.declined) {
      node.append(h('p', { class: 'muted', text: words.declined }));
    }
    if (!this.coach || step.suggested_by === this.me) {
      node.append(
        removeButton(() => {
          goal.steps = goal.steps.filter((s) => s !== step);
          this.render();
          this.onChange();
        }),
      );
    }
    return node;
  }
}

// Three-way merge of goal plans: theirs is the base for what I did not change; what I changed
// (relative to the version I started from) wins; new goals and steps from both sides are kept.
export function mergePlans(base, mine, theirs) {
  const byId = (list) => new Map((list ?? []).map((x) => [x.id, x]));
  const baseGoals = byId(base.goals);
  const mineGoals = byId(mine.goals);
  const result = structuredClone(theirs);
  result.goals = result.goals ?? [];
  const theirGoals = byId(result.goals);
  const mergeFields = (target, baseObject, mineObject, fields) => {
    for (const field of fields) {
      if (baseObject === undefined || JSON.stringify(mineObject[field]) !== JSON.stringify(baseObject[field])) {
        target[field] = mineObject[field];
      }
    }
  };
  for (const [id, goal] of mineGoals) {
    const theirs_ = theirGoals.get(id);
    if (!theirs_) {
      if (!baseGoals.has(id)) result.goals.push(structuredClone(goal));
      continue;
    }
    const baseGoal = baseGoals.get(id);
    mergeFields(theirs_, baseGoal, goal, ['area', 'text']);
    const baseSteps = byId(baseGoal?.steps);
    const theirSteps = byId(theirs_.steps);
    theirs_.steps = theirs_.steps ?? [];
    for (const step of goal.steps ?? []) {
      const theirStep = theirSteps.get(step.id);
      if (!theirStep) {
        if (!baseSteps.has(step.id)) theirs_.steps.push(structuredClone(step));
        continue;
      }
      mergeFields(theirStep, baseSteps.get(step.id), step, ['text', 'due', 'status', 'helper', 'suggested_by', 'declined']);
    }
  }
  return result;
}

// Sociogram and genogram ----------------------------------------------------------------------

export class PeopleEditor {
  // kind: 'sociogram' (name, closeness, support) or 'genogram' (name, relation)
  constructor(kind, list, addButton, diagram, { me, onChange }) {
    this.kind = kind;
    this.list = list;
    this.diagram = diagram;
    this.me = me;
    this.onChange = onChange;
    this.people = [];
    addButton.addEventListener('click', () => {
      this.people.push(
        kind === 'sociogram'
          ? { id: newId(), name: '', closeness: '2', support: 'emotional' }
          : { id: newId(), name: '', relation: 'mother' },
      );
      this.render();
      this.onChange();
    });
  }

  set(people) {
    this.people = structuredClone(people ?? []);
    this.render();
  }

  value() {
    return structuredClone(this.people);
  }

  draw() {
    const options = { me: this.me, label: words.me };
    if (this.kind === 'sociogram') drawSociogram(this.diagram, this.people, { ...options, supports: labels.supports });
    else drawGenogram(this.diagram, this.people, { ...options, relations: labels.relations });
  }

  render() {
    const relationOptions = Object.fromEntries(
      Object.entries(labels.relations ?? {}).map(([key, value]) => [key, value.label]),
    );
    this.list.replaceChildren(
      ...this.people.map((person) => {
        const bind = (control, key) => {
          const update = () => {
            person[key] = control.value;
            this.draw();
            this.onChange();
          };
          control.addEventListener('input', update);
          control.addEventListener('change', update);
          return control;
        };
        const fields =
          this.kind === 'sociogram'
            ? [
                labelled(words.closeness, bind(select(labels.closeness ?? {}, person.closeness), 'closeness')),
                labelled(words.support, bind(select(labels.supports ?? {}, person.support), 'support')),
              ]
            : [labelled(words.relation, bind(select(relationOptions, person.relation), 'relation'))];
        return h(
          'li',
          { class: 'card person-row' },
          labelled(words.name, bind(input(person.name), 'name')),
          ...fields,
          removeButton(() => {
            this.people = this.people.filter((p) => p !== person);
            this.render();
            this.onChange();
          }),
        );
      }),
    );
    this.draw();
  }
}

// Read-only views -------------------------------------------------------------------------------

export function planView(plan, { coach, onDecide }) {
  const { done, total } = stepsDone(plan);
  const line = h('p', { class: 'progress-line', text: plural(words.progress, total, { done }), 'data-done': done, 'data-total': total });
  const root = h('div', { class: 'plan-view' }, line);
  const bar = h('progress', { max: 100, value: total ? Math.round((100 * done) / total) : 0 });
  root.append(bar);
  for (const goal of plan.goals ?? []) {
    const steps = h('ol', { class: 'step-list' });
    for (const step of goal.steps ?? []) {
      const item = h('li', { class: step.declined ? 'step--declined' : '' });
      item.append(h('span', { text: step.text || '…' }));
      const facts = [labels.statuses?.[step.status], step.due, step.helper].filter(Boolean).join(' · ');
      if (facts) item.append(h('span', { class: 'muted', text: ` (${facts})` }));
      if (step.declined) item.append(h('span', { class: 'badge', text: words.declined }));
      else if (step.suggested_by) {
        item.append(h('span', { class: 'badge badge--warning', text: words.suggested }));
        if (!coach && onDecide) {
          const accept = h('button', { type: 'button', class: 'button button--small', text: words.accept, 'data-accept': step.id });
          const decline = h('button', {
            type: 'button',
            class: 'button button--secondary button--small',
            text: words.decline,
            'data-decline': step.id,
          });
          accept.addEventListener('click', () => onDecide(goal.id, step.id, true));
          decline.addEventListener('click', () => onDecide(goal.id, step.id, false));
          item.append(h('span', { class: 'actions' }, accept, decline));
        }
      }
      steps.append(item);
    }
    root.append(
      h(
        'section',
        { class: 'card goal-view' },
        h('h3', { text: `${labels.areas?.[goal.area] ?? ''}: ${goal.text ?? ''}` }),
        steps,
      ),
    );
  }
  return root;
}
