// The distance she travelled, drawn as SVG in her browser from scores it opened: one small chart
// per part over time (self-score a solid line, coach's score a dashed one), and the bridge: six
// pillars under a deck, each a ladder of steps with its name under it, the self-score's steps
// filled and the coach's score marked. No chart library; text goes in with textContent. The SVGs scale to the phone's
// width (viewBox) and print as they are.

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function frame(width, height, title, description) {
  const id = `c${Math.random().toString(36).slice(2, 9)}`;
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-labelledby': `${id}-t ${id}-d`,
    class: 'chart',
    preserveAspectRatio: 'xMidYMid meet',
  });
  root.append(svg('title', { id: `${id}-t` }, title), svg('desc', { id: `${id}-d` }, description));
  return root;
}

// One part over time. `points` [{ at, self, coach }], `label(at)` formats a date.
export function lineChart({ title, description, points, lowest, highest, label, words }) {
  const width = 320;
  const height = 170;
  const left = 26;
  const right = 10;
  const top = 12;
  const bottom = 34;
  const root = frame(width, height, title, description);
  const y = (value) => top + ((highest - value) / Math.max(highest - lowest, 1)) * (height - top - bottom);
  const pad = 26; // room for the first and last date, and the dots off the axis numbers
  const x = (i) =>
    points.length === 1 ? (left + width - right) / 2 : left + pad + (i * (width - left - right - 2 * pad)) / (points.length - 1);
  for (let value = lowest; value <= highest; value += 1) {
    root.append(
      svg('line', { x1: left, x2: width - right, y1: y(value), y2: y(value), class: 'chart__grid' }),
      svg('text', { x: left - 8, y: y(value) + 4, 'text-anchor': 'end', class: 'chart__axis' }, String(value)),
    );
  }
  points.forEach((p, i) => {
    root.append(svg('text', { x: x(i), y: height - 12, 'text-anchor': 'middle', class: 'chart__axis' }, label(p.at)));
  });
  // Where both scored the same, the coach's mark sits beside hers rather than under it.
  const shift = (side) => (side === 'coach' ? 5 : -5);
  for (const [side, cls] of [['coach', 'chart__line--coach'], ['self', 'chart__line--self']]) {
    const drawn = points.map((p, i) => [p[side], i]).filter(([v]) => v !== null);
    if (drawn.length > 1) {
      const line = drawn.map(([v, i]) => `${x(i) + shift(side)},${y(v)}`).join(' ');
      root.append(svg('polyline', { points: line, class: `chart__line ${cls}` }));
    }
    for (const [v, i] of drawn) {
      const dot = side === 'self'
        ? svg('circle', { cx: x(i) + shift(side), cy: y(v), r: 5, class: `chart__dot ${cls}` })
        : svg('rect', { x: x(i) + shift(side) - 4.5, y: y(v) - 4.5, width: 9, height: 9, class: `chart__dot ${cls}` });
      dot.append(svg('title', {}, `${words[side]}: ${v}`));
      root.append(dot);
    }
  }
  return root;
}

// The names under the pillars: whole words on up to three lines of the pillar's width (estimated
// here; fitNames measures once the picture is on the page and draws a line that is still too wide
// narrower, rather than cutting it or running it into the next pillar).
const NAME_SIZE = 11;
const NAME_LINE = 13;
const NAME_LINES = 3;
const charWidth = (text) => text.length * NAME_SIZE * 0.5;

function nameLines(name, width) {
  const lines = [];
  for (const word of name.split(/\s+/).filter(Boolean)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && charWidth(`${last} ${word}`) <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  if (lines.length > NAME_LINES) lines.splice(NAME_LINES - 1, lines.length, lines.slice(NAME_LINES - 1).join(' '));
  return lines;
}

// Once the picture is on the page: a name line wider than its pillar's room is drawn narrower.
export function fitNames(picture) {
  for (const text of picture.querySelectorAll('text.bridge__name')) {
    const room = Number(text.dataset.room);
    if (text.getComputedTextLength() > room) {
      text.setAttribute('textLength', room);
      text.setAttribute('lengthAdjust', 'spacingAndGlyphs');
    }
  }
}

// The coach's mark: a triangle pointing at the step, the same shape in the picture and the legend.
export function coachMark(x, y, size = 14, cls = 'bridge__coach') {
  return svg('path', { d: `M${x} ${y} l${size} ${-size * 0.6} v${size * 1.2} z`, class: cls });
}

// The same mark on its own, for the legend under the picture.
export function coachKey() {
  const root = svg('svg', { viewBox: '0 0 16 18', width: 16, height: 18, 'aria-hidden': 'true', class: 'bridge-key' });
  root.append(coachMark(1, 9, 14, 'bridge-key__coach'));
  return root;
}

// A filled step on its own, for the legend.
export function stepKey() {
  const root = svg('svg', { viewBox: '0 0 24 14', width: 24, height: 14, 'aria-hidden': 'true', class: 'bridge-key' });
  root.append(svg('rect', { x: 1, y: 1, width: 22, height: 12, rx: 2, class: 'bridge-key__step' }));
  return root;
}

// The bridge: `pillars` [{ key, name, self, coach }] on a scale lowest..highest, each pillar's
// name under it.
export function bridgePicture({ title, description, pillars, lowest, highest, stepWord }) {
  const width = 320;
  const slot = (width - 8) / pillars.length;
  const labels = pillars.map((p) => nameLines(p.name, slot - 4));
  const band = Math.max(...labels.map((lines) => lines.length), 1) * NAME_LINE + 8;
  const height = 210 + band;
  const deck = 34;
  const ground = height - band;
  const root = frame(width, height, title, description);
  root.append(
    svg('path', { d: `M4 ${deck} Q ${width / 2} ${deck - 26} ${width - 4} ${deck}`, class: 'bridge__arch' }),
    svg('rect', { x: 4, y: deck, width: width - 8, height: 8, rx: 2, class: 'bridge__deck' }),
    svg('line', { x1: 0, x2: width, y1: ground, y2: ground, class: 'bridge__ground' }),
  );
  const steps = highest - lowest + 1;
  const pillarWidth = Math.min(30, slot - 20);
  const stepHeight = (ground - deck - 14) / steps;
  pillars.forEach((p, i) => {
    const cx = 4 + slot * i + slot / 2 - 5; // a little left of the middle: the coach's mark sits right
    const group = svg('g', { class: 'bridge__pillar', 'data-pillar': p.key });
    group.append(
      svg('line', { x1: cx - pillarWidth / 2, x2: cx - pillarWidth / 2, y1: deck + 8, y2: ground, class: 'bridge__rail' }),
      svg('line', { x1: cx + pillarWidth / 2, x2: cx + pillarWidth / 2, y1: deck + 8, y2: ground, class: 'bridge__rail' }),
    );
    for (let s = 0; s < steps; s += 1) {
      const value = lowest + s;
      const filled = p.self !== null && value <= p.self;
      const step = svg('rect', {
        x: cx - pillarWidth / 2 + 2,
        y: ground - (s + 1) * stepHeight + 2,
        width: pillarWidth - 4,
        height: stepHeight - 4,
        rx: 2,
        class: filled ? 'bridge__step bridge__step--filled' : 'bridge__step',
      });
      step.append(svg('title', {}, `${p.name}: ${stepWord.replace('%(num)s', value)}`));
      group.append(step);
    }
    if (p.coach !== null) {
      const my = ground - (p.coach - lowest + 1) * stepHeight + stepHeight / 2;
      group.append(coachMark(cx + pillarWidth / 2 + 1, my, 14));
    }
    const centre = 4 + slot * i + slot / 2;
    labels[i].forEach((line, n) => {
      group.append(svg('text', {
        x: centre,
        y: ground + 4 + NAME_LINE * (n + 1) - 2,
        'text-anchor': 'middle',
        class: 'bridge__name',
        'data-room': slot - 4,
      }, line));
    });
    root.append(group);
  });
  return root;
}
